class PpvcAvgPool2d(NoVariableLayer):
    """Average pooling over all frames and channels at once (Keras semantics: with SAME
    padding each window is divided by the number of real inputs it covers).

    The window sums are local; the division is one vectorised multiplication by public
    constants, i.e. one truncation for the whole layer.

    With relu=True the pooling reads the ReLU's input and applies the ReLU first:
    relu(x) = b * x with b = (x > 0), so a window sum of ReLU outputs is a dot product of
    bits and inputs, one secret product per pooled output (under replicated sharing a dot
    product costs one value whatever its length) instead of one per ReLU output.

    With raw=True the input is a convolution's untruncated output (directly with relu=True,
    else through a raw PpvcRelu), with raw_bits more fractional bits than sfix.f (set by the
    program from the layer that computes it): the window sums are truncated once, together
    with the division, instead of every input before. A fused ReLU takes its bits from the
    values' upper bits (_ppvc_positive)."""

    def __init__(
        self, input_shape, pool, strides, padding="VALID", relu=False, raw=False, compare_bits=None
    ):
        # the comparison's k, fewer than sfix.k where a declared bound on the values allows
        self.compare_bits = compare_bits
        self.pool, self.strides, self.padding = tuple(pool), tuple(strides), padding
        output_shape, self.pads = _ppvc_pool_output_shape(input_shape, pool, strides, padding)
        self.X = Tensor(input_shape, sfix)
        self.Y = Tensor(output_shape, sfix)
        self.relu, self.raw = relu, raw
        self.raw_bits = None
        if relu:
            # allocated here: the layer's compiled forward only sees allocated arrays
            self.positive = MultiArray(input_shape, sint)

    def __repr__(self):
        return "PpvcAvgPool2d(%s, pool=%s, strides=%s, padding=%s%s%s)" % (
            self._X.sizes,
            self.pool,
            self.strides,
            self.padding,
            ", relu" if self.relu else "",
            ", raw" if self.raw else "",
        )

    def _forward(self, batch=None):
        N, OH, OW, C = self.Y.sizes
        size = N * OH * OW * C
        zero = sint(0, size=size) if self.padding == "SAME" else None
        assert not self.raw or self.raw_bits is not None, (
            "raw_bits: the producer's, set by the program"
        )
        extra = self.raw_bits if self.raw else 0
        if self.relu and self.raw:
            bits = _ppvc_positive(self.X.get_vector().v, extra, self.compare_bits)
        elif self.relu:
            # the comparison of ml.relu, (0 < x), for the whole tensor in one vector
            x = self.X.get_vector()
            bits = x.v.greater_than(0, self.compare_bits) if self.compare_bits else 0 < x
        if self.relu:
            with _ppvc_ordered_memory():
                self.positive.assign_vector(bits)
                parts, factors = _ppvc_window_values_unordered(
                    [self.X, self.positive], self.Y.sizes, self.pool, self.strides, self.pads, zero
                )
            # element-wise over the vectors: one dot product of window length per output
            total = sint.dot_product(factors, parts)
        else:
            parts = _ppvc_window_values(
                self.X, self.Y.sizes, self.pool, self.strides, self.pads, zero
            )
            total = sum(parts[1:], parts[0])
        counts = self._counts()
        if len(set(counts)) == 1:
            factor = cfix(1 / counts[0])
        else:
            per_position = cfix.Array(OH * OW)
            per_position.assign([cfix(1 / c) for c in counts])
            index = _ppvc_index(N, OH, OW, C, 0, OW, 1, 0, base=per_position.address)
            factor = cfix._new(cint.load_mem(index))
        if extra == 0:
            self.Y.assign_vector(sfix._new(total) * factor)
        elif sfix.k + sfix.f + extra < get_program().bit_length:
            # the division and both truncations in one: (sum * 2^f / count) / 2^(f + extra)
            self.Y.assign_vector(
                sfix._new(
                    (total * factor.v).round(
                        sfix.k + sfix.f + extra,
                        sfix.f + extra,
                        nearest=sfix.round_nearest,
                        signed=True,
                    )
                )
            )
        else:
            # no room in the ring for both: the sums first (up to count times the inputs)
            bound = sfix.k + extra + (max(counts) - 1).bit_length()
            total = total.round(bound, extra, nearest=sfix.round_nearest, signed=True)
            self.Y.assign_vector(sfix._new(total) * factor)

    def _counts(self):
        _, H, W, _ = self.X.sizes
        _, OH, OW, _ = self.Y.sizes
        rows = _ppvc_covered(OH, H, self.pool[0], self.strides[0], self.pads[0])
        cols = _ppvc_covered(OW, W, self.pool[1], self.strides[1], self.pads[1])
        return [r * c for r in rows for c in cols]


def _ppvc_covered(outputs, size, k, s, pad):
    """For each output along one axis, how many real inputs (not padding) its window covers."""
    return [min(o * s - pad + k, size) - max(o * s - pad, 0) for o in range(outputs)]
