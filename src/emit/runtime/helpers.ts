// The Python helpers ppvc-dsl adds to MP-SPDZ's Compiler/ml.py (0.4.2 lacks them). Each
// helper is a named block; a program's ml.py.patch carries only the blocks it uses.
// They work on whole tensors at once: window gathers are local memory reads, so a pooling
// layer costs one vectorised multiplication (average) or log2(window) comparison rounds (max),
// where upstream's FixAveragePool2d/MaxPool loop over every frame and channel.

export type HelperName =
  | 'ordered'
  | 'windows'
  | 'input'
  | 'avgpool'
  | 'maxpool'
  | 'relu'
  | 'conv'
  | 'winograd'
  | 'depthwise'
  | 'batchnorm'
  | 'reshape_ops'
  | 'merge'
  | 'argmax'
  | 'softmax_division'
  | 'relu_softmax'
  | 'exact_softmax';

export interface Helper {
  name: HelperName;
  needs: HelperName[];
  code: string;
}

const ordered = `
class _ppvc_ordered_memory:
    """MP-SPDZ's scheduler orders a gather or scatter (addresses in a register) only against
    accesses through the same register, and a long vector only by its first -b addresses, so
    a read may be moved before the write that fills it. Memory accesses inside this scope
    (a \`with\` block, or a decorated method) keep program order. Only for code without
    communication: ordering memory around a round trip would serialise rounds."""

    def __init__(self, forward=None):
        self.forward = forward

    def __enter__(self):
        get_program().open_memory_scope()

    def __exit__(self, *exc):
        get_program().close_memory_scope()

    def __get__(self, layer, owner=None):
        def forward(*args, **kwargs):
            with _ppvc_ordered_memory():
                return self.forward(layer, *args, **kwargs)
        return forward
`;

const windows = `
def _ppvc_index(n, rows, cols, chans, batch_stride, row_stride, col_stride, chan_stride=1, base=0):
    """regint vector of n*rows*cols*chans addresses from \`base\`, batch-major then row,
    column, channel."""
    size = n * rows * cols * chans
    res = regint.inc(size, base, chan_stride, 1, chans)
    res += regint.inc(size, 0, col_stride, chans, cols)
    res += regint.inc(size, 0, row_stride, cols * chans, rows)
    res += regint.inc(size, 0, batch_stride, rows * cols * chans)
    return res


def _ppvc_window_values(X, out_shape, pool, strides, pads, fill=None):
    """For each position (di, dj) of a pooling window, the vector of the input values at
    that position of every window (all frames, rows, columns and channels at once).

    Only local memory reads: no communication. Windows that reach into the padding read
    \`fill\` (a full-size vector) there instead."""
    with _ppvc_ordered_memory():
        return _ppvc_window_values_unordered([X], out_shape, pool, strides, pads, fill)[0]


def _ppvc_window_values_unordered(sources, out_shape, pool, strides, pads, fill):
    """_ppvc_window_values for each of \`sources\` (arrays of one shape), from one address
    vector per window position."""
    N, H, W, C = sources[0].sizes
    _, OH, OW, _ = out_shape
    size = N * OH * OW * C
    if fill is not None:
        tmp = sint.Array(size)
    X = sources[0]
    # (addresses may be registers: a layer's forward is compiled as a function of its arrays)
    offsets = [None] + [s.address - X.address for s in sources[1:]]
    res = [[] for _ in sources]
    for di in range(pool[0]):
        for dj in range(pool[1]):
            h0, w0 = di - pads[0], dj - pads[1]
            # output rows/columns whose window position (di, dj) lies inside the input
            r0 = 0
            while r0 * strides[0] + h0 < 0:
                r0 += 1
            r1 = OH
            while r1 > r0 and (r1 - 1) * strides[0] + h0 >= H:
                r1 -= 1
            c0 = 0
            while c0 * strides[1] + w0 < 0:
                c0 += 1
            c1 = OW
            while c1 > c0 and (c1 - 1) * strides[1] + w0 >= W:
                c1 -= 1
            if (r0, r1, c0, c1) == (0, OH, 0, OW):
                where = X.address + (h0 * W + w0) * C
                index = _ppvc_index(N, OH, OW, C, H * W * C, strides[0] * W * C, strides[1] * C, base=where)
                for r, offset in zip(res, offsets):
                    r.append(sint.load_mem(index if offset is None else index + offset))
                continue
            assert fill is not None, "padding needs a fill value"
            src = dst = None
            if r1 > r0 and c1 > c0:
                first_in = X.address + ((r0 * strides[0] + h0) * W + c0 * strides[1] + w0) * C
                src = _ppvc_index(N, r1 - r0, c1 - c0, C, H * W * C, strides[0] * W * C, strides[1] * C, base=first_in)
                dst = _ppvc_index(N, r1 - r0, c1 - c0, C, OH * OW * C, OW * C, C, base=tmp.address + (r0 * OW + c0) * C)
            for r, offset in zip(res, offsets):
                tmp.assign_vector(fill)
                if src is not None:
                    sint.load_mem(src if offset is None else src + offset).store_in_mem(dst)
                r.append(tmp.get_vector())
    return res


def _ppvc_positive(x, extra, k=None):
    """(x > 0) as 0/1 sint, for sint x with \`extra\` more fractional bits than sfix.f, in one vector.
    \`k\` is the values' sfix k (default sfix.k; fewer where a declared bound allows).

    With the protocol's share split (compile.py -Z), MP-SPDZ's own comparison (LtzRing) on
    bits [extra, extra + k + 1) of the shares: the cost of the (k + 1)-bit comparison that
    sfix's (0 < x) runs, where an exact one needs extra more bits. The carry out of the
    dropped bits is ignored, so x above zero by less than (shares - 1) * 2^-f may count as not
    positive; a negative x never counts as positive (down to (shares - 1) * 2^-f above the
    lowest (k + 1)-bit value, where it would wrap). Without the split, an exact comparison."""
    from Compiler.types import _bitint
    n = get_program().use_split()
    k = extra + (k or sfix.k) + 1
    if not n:
        return x.greater_than(0, k)
    columns = x.split_to_n_summands(k, n)[extra:]
    summands = _bitint.wallace_tree_without_finish(columns, False)
    carry = CarryOutRawLE(*reversed(list(s[:-1] for s in summands)))
    negative = carry ^ summands[0][-1] ^ summands[1][-1]
    return 1 - sint.conv(negative)


def _ppvc_pool_output_shape(input_shape, pool, strides, padding):
    N, H, W, C = input_shape
    if padding == "SAME":
        OH, OW = -(-H // strides[0]), -(-W // strides[1])
        pads = []
        for size, out, k, s in ((H, OH, pool[0], strides[0]), (W, OW, pool[1], strides[1])):
            pads.append(max((out - 1) * s + k - size, 0) // 2)
    else:
        OH, OW = (H - pool[0]) // strides[0] + 1, (W - pool[1]) // strides[1] + 1
        pads = [0, 0]
    return [N, OH, OW, C], pads
`;

const avgpool = `
class PpvcAvgPool2d(NoVariableLayer):
    """Average pooling over all frames and channels at once (Keras semantics: with SAME
    padding each window is divided by the number of real inputs it covers).

    The window sums are local; the division is one vectorised multiplication by public
    constants, i.e. one truncation for the whole layer.

    With relu=True the pooling reads the ReLU's input and applies the ReLU first:
    relu(x) = b * x with b = (x > 0), so a window sum of ReLU outputs is a dot product of
    bits and inputs, one secret product per pooled output (under replicated sharing a dot
    product costs one value whatever its length) instead of one per ReLU output.

    With raw=True as well, the input is a convolution's untruncated output, with raw_bits
    more fractional bits than sfix.f (set by the program from the layer that computes it):
    the bits come from the values' upper bits (_ppvc_positive) and the window sums are
    truncated once, together with the division, instead of every input before."""

    def __init__(self, input_shape, pool, strides, padding="VALID", relu=False, raw=False, compare_bits=None):
        assert relu or not raw, "an untruncated input is for the fused ReLU only"
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
            self._X.sizes, self.pool, self.strides, self.padding, ", relu" if self.relu else "",
            ", raw" if self.raw else "")

    def _forward(self, batch=None):
        N, OH, OW, C = self.Y.sizes
        size = N * OH * OW * C
        zero = sint(0, size=size) if self.padding == "SAME" else None
        assert not self.raw or self.raw_bits is not None, "raw_bits: the producer's, set by the program"
        extra = self.raw_bits if self.raw else 0
        if self.raw:
            bits = _ppvc_positive(self.X.get_vector().v, extra, self.compare_bits)
        elif self.relu:
            # the comparison of ml.relu, (0 < x), for the whole tensor in one vector
            x = self.X.get_vector()
            bits = x.v.greater_than(0, self.compare_bits) if self.compare_bits else 0 < x
        if self.relu:
            with _ppvc_ordered_memory():
                self.positive.assign_vector(bits)
                parts, factors = _ppvc_window_values_unordered(
                    [self.X, self.positive], self.Y.sizes, self.pool, self.strides, self.pads, zero)
            # element-wise over the vectors: one dot product of window length per output
            total = sint.dot_product(factors, parts)
        else:
            parts = _ppvc_window_values(self.X, self.Y.sizes, self.pool, self.strides, self.pads, zero)
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
            self.Y.assign_vector(sfix._new((total * factor.v).round(
                sfix.k + sfix.f + extra, sfix.f + extra, nearest=sfix.round_nearest, signed=True)))
        else:
            # no room in the ring for both: the sums first (up to count times the inputs)
            bound = sfix.k + extra + (max(counts) - 1).bit_length()
            total = total.round(bound, extra, nearest=sfix.round_nearest, signed=True)
            self.Y.assign_vector(sfix._new(total) * factor)

    def _counts(self):
        _, H, W, _ = self.X.sizes
        _, OH, OW, _ = self.Y.sizes
        def covered(out, size, k, s, pad):
            return [min(o * s - pad + k, size) - max(o * s - pad, 0) for o in range(out)]
        rows = covered(OH, H, self.pool[0], self.strides[0], self.pads[0])
        cols = covered(OW, W, self.pool[1], self.strides[1], self.pads[1])
        return [r * c for r in rows for c in cols]
`;

const maxpool = `
class PpvcMaxPool2d(NoVariableLayer):
    """Max pooling over all frames and channels at once: a tree of vectorised comparisons,
    ceil(log2(window)) comparison rounds for the whole layer. With SAME padding a window's
    positions outside the input repeat a value inside it, which leaves the maximum alone."""

    def __init__(self, input_shape, pool, strides, padding="VALID", compare_bits=None):
        self.pool, self.strides, self.padding = tuple(pool), tuple(strides), padding
        output_shape, self.pads = _ppvc_pool_output_shape(input_shape, pool, strides, padding)
        self.X = Tensor(input_shape, sfix)
        self.Y = Tensor(output_shape, sfix)
        # the values' k: sfix.k, as sfix's own comparison (the sint one would take the ring's
        # 63 bits), or fewer where a declared bound allows
        self.compare_bits = compare_bits or sfix.k

    def __repr__(self):
        return "PpvcMaxPool2d(%s, pool=%s, strides=%s, padding=%s)" % (
            self._X.sizes, self.pool, self.strides, self.padding)

    def _forward(self, batch=None):
        fill = None
        if self.padding == "SAME":
            # position (pad_top, pad_left) of every window lies inside the input
            fill = _ppvc_window_values(self.X, self.Y.sizes, (1, 1), self.strides, (0, 0))[0]
        parts = _ppvc_window_values(self.X, self.Y.sizes, self.pool, self.strides, self.pads, fill)
        def larger(a, b):
            return a.less_than(b, self.compare_bits).if_else(b, a)
        best = tree_reduce(larger, parts)
        self.Y.assign_vector(sfix._new(best))
`;

const relu = `
class PpvcRelu(NoVariableLayer):
    """ReLU over the whole batch as one vector: one comparison round trip for the layer,
    whatever its size (upstream's Relu splits the tensor into chunks of the compile budget
    -b, each paying the comparison's rounds again)."""

    def __init__(self, shape, max_value=None, compare_bits=None):
        self.X = Tensor(shape, sfix)
        self.Y = Tensor(shape, sfix)
        self.max_value = max_value
        # the comparison's k, fewer than sfix.k where a declared bound on the values allows
        self.compare_bits = compare_bits

    def __repr__(self):
        return "PpvcRelu(%s)" % (self._X.sizes,)

    def _forward(self, batch=None):
        x = self.X.get_vector()
        if self.compare_bits:
            y = x.v.greater_than(0, self.compare_bits).if_else(x, 0)
        else:
            y = relu(x)
        if self.max_value is not None:
            # ReLU6 and friends: both comparisons in the same round trip
            y = (x < self.max_value).if_else(y, self.max_value)
        self.Y.assign_vector(y)
`;

const conv = `
class PpvcConv2d(FixConv2d):
    """FixConv2d (Keras weight layout) for a whole batch at once: one convolution instruction
    per output channel covering every frame, and one truncation for the whole output.
    Upstream issues one instruction per frame and channel and truncates in chunks of the
    compile budget, and each group of them costs another round trip.

    With raw=True the outputs are left untruncated, raw_bits (= f) more fractional bits than
    sfix.f, for the fused ReLU + average pooling that reads them and truncates its sums."""

    def __init__(self, *args, raw=False, **kwargs):
        super(PpvcConv2d, self).__init__(*args, **kwargs)
        self.raw = raw
        self.raw_bits = sfix.f if raw else 0

    def _forward(self, batch):
        assert self.tf_weight_format
        weights_h, weights_w, _, _ = self.weight_shape
        _, inputs_h, inputs_w, n_channels_in = self.input_shape
        _, output_h, output_w, n_channels_out = self.output_shape
        stride_h, stride_w = self.stride
        padding_h, padding_w = self.padding
        n = len(batch)

        @for_range_opt_multithread(self.n_threads, n_channels_out)
        def _(j):
            inputs = self.X.get_slice_vector(batch.get_part(0, n)).pre_mul()
            weights = self.weights.get_vector_by_indices(None, None, None, j).pre_mul()
            res = sint(size=output_h * output_w * n)
            conv2ds(res, inputs, weights, output_h, output_w, inputs_h, inputs_w,
                    weights_h, weights_w, stride_h, stride_w, n_channels_in,
                    padding_h, padding_w, n)
            if self.use_bias:
                res += self.bias.expand_to_vector(j, res.size).v << self.weight_squant.f
            addresses = regint.inc(res.size, self.unreduced[0].address + j, n_channels_out)
            res.store_in_mem(addresses)

        self.reduction(n)

    def reduction(self, batch_length=1):
        break_point()  # the channels' scattered stores above all land before this read
        n_outputs = batch_length * reduce(operator.mul, self.output_shape[1:])
        unreduced = sint.load_mem(self.unreduced.address, size=n_outputs)
        if self.raw:
            unreduced.store_in_mem(self.Y.address)
            return
        res = self.input_squant().unreduced(
            unreduced, self.weight_squant(), self.output_squant.params, self.n_summands()
        ).reduce_after_mul()
        res.store_in_mem(self.Y.address)
`;

const winograd = `
def _ppvc_winograd_transforms(m, r):
    """Winograd's minimal filtering F(m, r) (Lavin and Gray, CVPR 2016) from the points
    0, 1, -1, 2, -2 and infinity, as the transpose of Toom-Cook linear convolution:
    y = A^T [(G g) * (B^T d)]. B^T (alpha x alpha) and A^T (m x alpha) are scaled to integers,
    which G (alpha x r, rational) absorbs. Returns (A^T, G, B^T) as lists of Fractions."""
    from fractions import Fraction
    n = m + r - 1
    points = [Fraction(p) for p in (0, 1, -1, 2, -2)][:n - 1]
    assert len(points) == n - 1, "F(%d, %d) needs more than 6 points" % (m, r)

    def evaluation(degree):
        rows = [[p ** i for i in range(degree)] for p in points]
        return rows + [[Fraction(0)] * (degree - 1) + [Fraction(1)]]

    def inverse(matrix):
        size = len(matrix)
        a = [row[:] + [Fraction(int(i == j)) for j in range(size)] for i, row in enumerate(matrix)]
        for c in range(size):
            pivot = next(i for i in range(c, size) if a[i][c] != 0)
            a[c], a[pivot] = a[pivot], a[c]
            a[c] = [x / a[c][c] for x in a[c]]
            for i in range(size):
                if i != c and a[i][c] != 0:
                    a[i] = [x - a[i][c] * y for x, y in zip(a[i], a[c])]
        return [row[size:] for row in a]

    at = [list(col) for col in zip(*evaluation(m))]
    g = evaluation(r)
    interpolation = inverse(evaluation(n))
    bt = [list(col) for col in zip(*interpolation)]
    for j in range(n):
        scale = _ppvc_denominator(bt[j])
        bt[j] = [x * scale for x in bt[j]]
        g[j] = [x / scale for x in g[j]]
    return at, g, bt


def _ppvc_denominator(fractions):
    """The least common denominator of Fractions."""
    res = 1
    for c in fractions:
        res = res * c.denominator // math.gcd(res, c.denominator)
    return res


def _ppvc_combine(coefficients, vectors):
    """sum_i c_i v_i for integer c_i: local on shares."""
    total = None
    for c, v in zip(coefficients, vectors):
        c = int(c)
        if c == 0:
            continue
        term = v if c == 1 else -v if c == -1 else v * c
        total = term if total is None else total + term
    return total


class PpvcWinogradConv2d(PpvcConv2d):
    """Stride-1 convolution by Winograd's minimal filtering F(mh x mw, kh x kw) (Lavin and
    Gray, CVPR 2016), whole batch at once: (mh + kh - 1)(mw + kw - 1) secret products per
    mh x mw output tile and channel pair instead of mh mw kh kw.

    Inputs and outputs are transformed with integer matrices (B^T d B, A^T m A): local and
    exact on shares. The weights are transformed once per layer with G g G^T, held at e more
    fractional bits so that the transforms' growth does not magnify their rounding; each
    output is then 2^e times the direct convolution's sum of products and the layer's one
    truncation drops f + e bits. Where G's denominators are powers of two (tiles up to
    4 x 4 inputs: F(2x2, 3x3)) the weights' transform is exact too and the result has the
    same distribution as PpvcConv2d's (identical with nearest rounding); otherwise it costs
    one truncation per transformed weight and the outputs differ by a few units in the
    last place. The products per tile position are one matrix product [tiles x in] x [in x out]."""

    def __init__(self, *args, tile=(2, 2), **kwargs):
        super(PpvcWinogradConv2d, self).__init__(*args, **kwargs)
        self.tile = tuple(tile)
        if self.raw:
            # raw outputs keep the weights' extra bits too: the pooling's truncation drops them
            self.raw_bits = sfix.f + self._weight_bits()[-1]

    def _weight_bits(self):
        """(A^T, G, B^T) per axis, G's common denominator, and e: the weights' fractional bits
        beyond f."""
        kh, kw = self.weight_shape[:2]
        mh, mw = self.tile
        at_h, g_h, bt_h = _ppvc_winograd_transforms(mh, kh)
        at_w, g_w, bt_w = _ppvc_winograd_transforms(mw, kw)
        scale_h = _ppvc_denominator(c for row in g_h for c in row)
        scale_w = _ppvc_denominator(c for row in g_w for c in row)
        scale = scale_h * scale_w
        if scale & (scale - 1) == 0:
            e = scale.bit_length() - 1
        else:
            e = self._extra_bits(at_h, bt_h, at_w, bt_w)
        return (at_h, g_h, bt_h), (at_w, g_w, bt_w), (scale_h, scale_w), e

    def __repr__(self):
        return "PpvcWinogradConv2d(%s, kernel=%s, tile=%s)" % (
            self._X.sizes, tuple(self.weight_shape[:2]), self.tile)

    def _forward(self, batch):
        assert self.tf_weight_format and tuple(self.stride) == (1, 1)
        N, H, W, C = self.X.sizes
        assert len(batch) == N
        _, OH, OW, K = self.output_shape
        kh, kw = self.weight_shape[:2]
        mh, mw = self.tile
        ah, aw = mh + kh - 1, mw + kw - 1
        (at_h, g_h, bt_h), (at_w, g_w, bt_w), (scale_h, scale_w), e = self._weight_bits()
        TH, TW = -(-OH // mh), -(-OW // mw)
        T = N * TH * TW

        # input tiles: ah x aw windows with strides (mh, mw) (zeros outside the input),
        # then B^T d B, one axis after the other
        zero = sint(0, size=T * C)
        d = _ppvc_window_values(self.X, [N, TH, TW, C], (ah, aw), (mh, mw), self.padding, zero)
        rows = [[_ppvc_combine(bt_h[a], [d[x * aw + y] for x in range(ah)]) for y in range(aw)]
                for a in range(ah)]
        v = [[_ppvc_combine(bt_w[b], rows[a]) for b in range(aw)] for a in range(ah)]

        # weights, Keras layout [kh, kw, C, K] (written by the input stage, an earlier basic
        # block): U = G g G^T with integer (L G), then scaled to 2^e
        weights = self.weights.get_vector().v
        g = [[weights.get_vector((x * kw + y) * C * K, C * K) for y in range(kw)] for x in range(kh)]
        rows = [[_ppvc_combine([c * scale_h for c in g_h[a]], [g[x][y] for x in range(kh)])
                 for y in range(kw)] for a in range(ah)]
        u = [[_ppvc_combine([c * scale_w for c in g_w[b]], rows[a]) for b in range(aw)]
             for a in range(ah)]
        scale = scale_h * scale_w
        if scale & (scale - 1) != 0:
            # U * 2^e = (L^2 U) * round(2^(e + t) / L^2) / 2^t, t as large as the ring allows
            sum_h = max(sum(abs(c) for c in row) for row in g_h)
            sum_w = max(sum(abs(c) for c in row) for row in g_w)
            growth = max(0, math.ceil(math.log2(sum_h * sum_w)))
            kbits = get_program().bit_length - 2
            t = kbits - sfix.k - e - growth
            factor = int(round(2 ** (e + t) / scale))
            flat = sint.concat([u[a][b] for a in range(ah) for b in range(aw)]) * factor
            flat = sfix.int_type.round(flat, kbits, t, nearest=sfix.round_nearest, signed=True)
            u = [[flat.get_vector((a * aw + b) * C * K, C * K) for b in range(aw)] for a in range(ah)]

        # one matrix product [T x C] x [C x K] per tile position, at most 2^20 output values
        # per instruction
        rows_per = max(1, min(T, 2 ** 20 // K))
        m = []
        for a in range(ah):
            for b in range(aw):
                parts = [sint.matrix_mul(v[a][b].get_vector(start * C, min(rows_per, T - start) * C),
                                         u[a][b], C)
                         for start in range(0, T, rows_per)]
                m.append(parts[0] if len(parts) == 1 else sint.concat(parts))

        # outputs A^T m A, scattered into a [N, mh TH, mw TW, K] grid
        cols = [[_ppvc_combine(at_w[j], [m[a * aw + b] for b in range(aw)]) for j in range(mw)]
                for a in range(ah)]
        ys = [[_ppvc_combine(at_h[i], [cols[a][j] for a in range(ah)]) for j in range(mw)]
              for i in range(mh)]
        grid = sint.Array(N * mh * TH * mw * TW * K)
        with _ppvc_ordered_memory():
            for i in range(mh):
                for j in range(mw):
                    index = _ppvc_index(N, TH, TW, K, mh * TH * mw * TW * K, mh * mw * TW * K,
                                        mw * K, base=grid.address + (i * mw * TW + j) * K)
                    ys[i][j].store_in_mem(index)
            if (mh * TH, mw * TW) == (OH, OW):
                total = grid.get_vector()
            else:
                total = sint.load_mem(_ppvc_index(N, OH, OW, K, mh * TH * mw * TW * K,
                                                  mw * TW * K, K, base=grid.address))
        if self.use_bias:
            bias = sint.load_mem(regint.inc(total.size, self.bias.address, 1, 1, K))
            total += bias << (sfix.f + e)
        if self.raw:
            self.Y.assign_vector(sfix._new(total))
            return
        self.Y.assign_vector(sfix._new(sfix.int_type.round(
            total, sfix.k + sfix.f + e, sfix.f + e, nearest=sfix.round_nearest, signed=True)))

    @staticmethod
    def _extra_bits(at_h, bt_h, at_w, bt_w):
        """Fractional bits beyond f for the transformed weights: enough that their rounding,
        magnified by the input and output transforms, stays below one unit of the output
        (at most what the ring leaves above k + f)."""
        def growth(at, bt):
            return max(sum(abs(at[i][a]) * sum(abs(x) for x in bt[a]) for a in range(len(bt)))
                       for i in range(len(at)))
        wanted = math.ceil(math.log2(growth(at_h, bt_h) * growth(at_w, bt_w)))
        room = get_program().bit_length - 2 - sfix.k - sfix.f
        assert room > 0, "no room in the ring for Winograd's extra weight bits"
        return min(wanted, room)
`;

const input = `
class PpvcInput(NoVariableLayer):
    """The selected frames, as the output of a layer, so that any layer of a graph can read
    them (\`inputs\` names their producers)."""

    def __init__(self, shape):
        self.X = Tensor(shape, sfix)
        self.Y = Tensor(shape, sfix)

    def __repr__(self):
        return "PpvcInput(%s)" % (self._Y.sizes,)

    @_ppvc_ordered_memory
    def _forward(self, batch=None):
        pass
`;

const depthwise = `
class PpvcDepthwiseConv2d(NoVariableLayer):
    """Depthwise 2D convolution in fixed point (Keras DepthwiseConv2D; MP-SPDZ 0.4.2 has a
    quantised one only): each input channel convolved with its own \`multiplier\` filters,
    one convolution instruction per output channel for the whole batch, then one truncation.
    Weights in Keras layout [kh, kw, in_channels, multiplier]; output channel c * m + k."""

    def __init__(self, input_shape, kernel, multiplier, strides, padding, output_shape, bias=True):
        N, H, W, C = input_shape
        self.kernel, self.multiplier, self.strides = tuple(kernel), multiplier, tuple(strides)
        self.use_bias = bias
        self.X = Tensor(input_shape, sfix)
        self.Y = Tensor(output_shape, sfix)
        self.weights = Tensor([kernel[0], kernel[1], C, multiplier], sfix)
        self.bias = sfix.Array(C * multiplier)
        if padding == "SAME":
            self.padding = [max((o - 1) * s + k - i, 0) // 2 for o, s, k, i in
                            zip(output_shape[1:3], strides, kernel, input_shape[1:3])]
        else:
            self.padding = [0, 0]

    def __repr__(self):
        return "PpvcDepthwiseConv2d(%s, kernel=%s, multiplier=%s, strides=%s)" % (
            self._X.sizes, self.kernel, self.multiplier, self.strides)

    def input_from(self, player, **kwargs):
        self.weights.input_from(player, **kwargs)
        if self.use_bias:
            self.bias.input_from(player, **kwargs)

    def _forward(self, batch=None):
        N, H, W, C = self.X.sizes
        _, OH, OW, OC = self.Y.sizes
        kh, kw = self.kernel
        unreduced = sint.Array(N * OH * OW * OC)

        @for_range_opt(OC)
        def _(j):
            c = j // self.multiplier
            k = j % self.multiplier
            plane = self.X.get_vector_by_indices(None, None, None, c).pre_mul()
            weights = self.weights.get_vector_by_indices(None, None, c, k).pre_mul()
            res = sint(size=OH * OW * N)
            conv2ds(res, plane, weights, OH, OW, H, W, kh, kw, self.strides[0],
                    self.strides[1], 1, self.padding[0], self.padding[1], N)
            if self.use_bias:
                res += self.bias.expand_to_vector(j, res.size).v << sfix.f
            res.store_in_mem(regint.inc(res.size, unreduced.address + j, OC))

        break_point()  # the channels' scattered stores above all land before this read
        total = unreduced.get_vector()
        self.Y.assign_vector(sfix._new(sfix.int_type.round(
            total, sfix.k + sfix.f, sfix.f, nearest=sfix.round_nearest, signed=True)))
`;

const batchnorm = `
class PpvcBatchNorm(NoVariableLayer):
    """Inference-time batch normalisation as a per-channel affine map x * scale + shift; the
    model owner computes scale and shift from gamma, beta and the moving statistics in the
    clear (ppvc-dsl export-weights). One multiplication round trip for the layer."""

    def __init__(self, shape):
        self.X = Tensor(shape, sfix)
        self.Y = Tensor(shape, sfix)
        self.scale = sfix.Array(shape[-1])
        self.shift = sfix.Array(shape[-1])

    def __repr__(self):
        return "PpvcBatchNorm(%s)" % (self._X.sizes,)

    def input_from(self, player, **kwargs):
        self.scale.input_from(player, **kwargs)
        self.shift.input_from(player, **kwargs)

    def _forward(self, batch=None):
        size = self.X.total_size()
        C = self.X.sizes[-1]
        scale = sfix._new(sint.load_mem(regint.inc(size, self.scale.address, 1, 1, C)))
        shift = sfix._new(sint.load_mem(regint.inc(size, self.shift.address, 1, 1, C)))
        self.Y.assign_vector(self.X.get_vector() * scale + shift)
`;

const reshapeOps = `
class PpvcZeroPad2d(NoVariableLayer):
    """Zero padding [top, bottom, left, right]: public, local memory moves only."""

    def __init__(self, input_shape, pad):
        N, H, W, C = input_shape
        self.pad = tuple(pad)
        self.X = Tensor(input_shape, sfix)
        self.Y = Tensor([N, H + pad[0] + pad[1], W + pad[2] + pad[3], C], sfix)

    def __repr__(self):
        return "PpvcZeroPad2d(%s, pad=%s)" % (self._X.sizes, self.pad)

    @_ppvc_ordered_memory
    def _forward(self, batch=None):
        N, H, W, C = self.X.sizes
        _, OH, OW, _ = self.Y.sizes
        self.Y.assign_all(0)
        to = _ppvc_index(N, H, W, C, OH * OW * C, OW * C, C,
                         base=self.Y.address + (self.pad[0] * OW + self.pad[2]) * C)
        self.X.get_vector().v.store_in_mem(to)


class PpvcCrop2d(NoVariableLayer):
    """A public crop [top, bottom, left, right]: local memory moves only."""

    def __init__(self, input_shape, crop):
        N, H, W, C = input_shape
        self.crop = tuple(crop)
        self.X = Tensor(input_shape, sfix)
        self.Y = Tensor([N, H - crop[0] - crop[1], W - crop[2] - crop[3], C], sfix)

    def __repr__(self):
        return "PpvcCrop2d(%s, crop=%s)" % (self._X.sizes, self.crop)

    @_ppvc_ordered_memory
    def _forward(self, batch=None):
        N, H, W, C = self.X.sizes
        _, OH, OW, _ = self.Y.sizes
        src = _ppvc_index(N, OH, OW, C, H * W * C, W * C, C,
                          base=self.X.address + (self.crop[0] * W + self.crop[2]) * C)
        self.Y.assign_vector(sfix._new(sint.load_mem(src)))
`;

const merge = `
class PpvcAdd(NoVariableLayer):
    """Element-wise sum of the outputs of \`inputs\` (residual connections): local."""

    def __init__(self, shape):
        self.X = Tensor(shape, sfix)
        self.Y = Tensor(shape, sfix)

    def __repr__(self):
        return "PpvcAdd(%s)" % (self._Y.sizes,)

    @_ppvc_ordered_memory
    def _forward(self, batch=None):
        parts = [layer.Y.get_vector() for layer in self.inputs]
        self.Y.assign_vector(sum(parts[1:], parts[0]))


class PpvcConcat(NoVariableLayer):
    """Concatenation of the outputs of \`inputs\` along the last (channel) axis: local."""

    def __init__(self, shape):
        self.X = Tensor(shape, sfix)
        self.Y = Tensor(shape, sfix)

    def __repr__(self):
        return "PpvcConcat(%s)" % (self._Y.sizes,)

    @_ppvc_ordered_memory
    def _forward(self, batch=None):
        C = self.Y.sizes[-1]
        offset = 0
        for layer in self.inputs:
            part = layer.Y.get_vector()
            c = layer.Y.sizes[-1]
            to = regint.inc(part.size, self.Y.address + offset, 1, 1, c)
            to += regint.inc(part.size, 0, C, c)
            part.v.store_in_mem(to)
            offset += c
`;

const argmax = `
def ppvc_argmax(values):
    """Index of the largest of a list of secret values; ties go to the lowest index, as in
    numpy and Keras (upstream ml.argmax sends them to the highest)."""
    def op(a, b):
        take_b = a[1] < b[1]
        return take_b.if_else(b[0], a[0]), take_b.if_else(b[1], a[1])
    return tree_reduce(op, [(sint(i), v) for i, v in enumerate(values)])[0]


def ppvc_argmax_onehot(columns):
    """Per-frame argmax of C class columns (each a vector over frames), as C one-hot
    indicator vectors; ties go to the lowest class index."""
    n = len(columns[0])
    def op(a, b):
        take_b = a[0] < b[0]
        keep_a = 1 - take_b
        return (take_b.if_else(b[0], a[0]),
                [keep_a * x for x in a[1]] + [take_b * x for x in b[1]])
    return tree_reduce(op, [(v, [sint(1, size=n)]) for v in columns])[1]
`;

const softmaxDivision = `
def _ppvc_normalised_quotients(r, sum_bits, bits, iterations):
    """r_j / sum_j r_j for non-negative sfix vectors r_j (one per class, over the frames),
    however large the sum: it is an sint of sum_bits bits, never an sfix (whose k it may
    exceed), and the quotients depend only on r_j / sum, not on the scale.

    Norm (library.Norm for a non-negative value, which needs no sign test) finds v, the power
    of two with c = sum * v in [2^(sum_bits-1), 2^sum_bits), 0 where the sum is 0. Cut to
    \`bits\` fractional bits, c is z in [1/2, 1) and r_j * v is y_j in [0, z]. Goldschmidt:
    w = 2.9142 - 2z is within 2^-3.5 of 1/z, e = 1 - z w, and y_j w (1 + e)(1 + e^2)... tends
    to y_j / z, doubling its correct bits per step. Every product lies below 2^(2 bits + 2),
    inside the ring for bits <= (ring - 3) / 2.

    :returns: the quotients (sfix vectors; 0 where the sum is 0) and where the sum is not 0
    """
    from Compiler.floatingpoint import PreOR
    n, classes = len(r[0]), len(r)
    nearest = sfix.round_nearest
    total = sum((x.v for x in r[1:]), r[0].v)
    # the sum's bits from the top; suffix ORs mark its highest set bit, and the first is
    # (sum != 0) itself, so no comparison is needed for the masking
    suffixes = PreOR(total.bit_decompose(sum_bits, maybe_mixed=True)[::-1])[::-1]
    top = [suffixes[i] - suffixes[i + 1] for i in range(sum_bits - 1)] + [suffixes[-1]]
    v = sint.bit_compose(reversed(top))
    scaled = sint.concat([total] + [x.v for x in r]) * sint.concat([v] * (classes + 1))
    cut = sum_bits - bits
    if cut > 0:
        scaled = scaled.round(sum_bits + 1, cut, nearest=nearest, signed=False)
    elif cut < 0:
        scaled = scaled << -cut
    z = scaled.get_vector(0, n)
    one = 2**bits
    product = 2 * bits + 2
    w = int(2.9142 * one) - 2 * z
    # z w and every y_j w at once; e = 1 - z w is signed, |e| < 2^-3.5
    p = (scaled * sint.concat([w] * (classes + 1))).round(product, bits, nearest=nearest, signed=False)
    e = one - p.get_vector(0, n)
    y = p.get_vector(n, n * classes)
    for i in range(iterations):
        factor = sint.concat([one + e] * classes)
        if i == iterations - 1:
            # the last step truncates to sfix's f bits at once
            y = (y * factor).round(product, 2 * bits - sfix.f, nearest=nearest, signed=False)
        else:
            y = (y * factor).round(product, bits, nearest=nearest, signed=False)
            # e^2 >= 0 whatever e's sign
            e = (e * e).round(product, bits, nearest=nearest, signed=False)
    # the bits may be binary shares (maybe_mixed): the mask needs an arithmetic one
    return [sfix._new(y.get_vector(j * n, n)) for j in range(classes)], sint.conv(suffixes[0])
`;

const reluSoftmax = `
def ppvc_relu_normalized_softmax(logits, n, classes, division):
    """The paper's approximate softmax for every frame at once (Mohassel and Zhang):
    relu(u_i) / sum_j relu(u_j), or 1/C when that sum is 0.

    :param logits: sfix vector of n * classes values, frame-major
    :param division: (sum_bits, bits, iterations) of _ppvc_normalised_quotients; sum_bits is
        k - 1 + ceil(log2 classes), what a sum of classes values below sfix's limit needs
    :returns: list of \`classes\` sfix vectors over the n frames
    """
    # class j of every frame, picked from the registers with a stride: no trip through memory,
    # whose reads by index compile.py cannot order after the write ("Order of memory
    # instructions not preserved, errors possible")
    r = [relu(logits.get_vector(j, n, classes)) for j in range(classes)]
    quotients, positive = _ppvc_normalised_quotients(r, *division)
    uniform = sfix(1.0 / classes).expand_to_vector(n)
    return [positive.if_else(q, uniform) for q in quotients]
`;

const exactSoftmax = `
def ppvc_exact_softmax(logits, n, classes, division):
    """Softmax for every frame: MP-SPDZ's exponentials (ml.exp_for_softmax), divided as the
    ReLU-normalised softmax divides (_ppvc_normalised_quotients).

    ml.softmax divides with sfix, but its shift makes the largest exponential 2^(k-f-1) / C, so
    the exponentials of C about equal logits sum to sfix's limit 2^(k-f-1) less only the
    exponential's own error (5e-5 of it at precision 16 31): a sum at the limit reads as
    negative in the division's sign test. Here the sum is held in k + 1 bits.

    :param logits: sfix vector of n * classes values, frame-major
    :param division: (sum_bits, bits, iterations) of _ppvc_normalised_quotients
    :returns: list of \`classes\` sfix vectors over the n frames
    """
    # registers only, frame by frame (see ppvc_relu_normalized_softmax)
    rows = [exp_for_softmax(logits.get_vector(i * classes, classes))[0] for i in range(n)]
    r = [sfix.concat([row[j] for row in rows]) for j in range(classes)]
    return _ppvc_normalised_quotients(r, *division)[0]
`;


export const HELPERS: Record<HelperName, Helper> = {
  ordered: { name: 'ordered', needs: [], code: ordered },
  windows: { name: 'windows', needs: [], code: windows },
  avgpool: { name: 'avgpool', needs: ['ordered', 'windows'], code: avgpool },
  maxpool: { name: 'maxpool', needs: ['ordered', 'windows'], code: maxpool },
  input: { name: 'input', needs: ['ordered'], code: input },
  relu: { name: 'relu', needs: ['ordered'], code: relu },
  conv: { name: 'conv', needs: ['ordered'], code: conv },
  winograd: { name: 'winograd', needs: ['ordered', 'windows', 'conv'], code: winograd },
  depthwise: { name: 'depthwise', needs: ['ordered'], code: depthwise },
  batchnorm: { name: 'batchnorm', needs: ['ordered'], code: batchnorm },
  reshape_ops: { name: 'reshape_ops', needs: ['ordered', 'windows'], code: reshapeOps },
  merge: { name: 'merge', needs: ['ordered'], code: merge },
  argmax: { name: 'argmax', needs: [], code: argmax },
  softmax_division: { name: 'softmax_division', needs: [], code: softmaxDivision },
  relu_softmax: { name: 'relu_softmax', needs: ['softmax_division'], code: reluSoftmax },
  exact_softmax: { name: 'exact_softmax', needs: ['softmax_division'], code: exactSoftmax },
};

export const HELPER_NAMES = Object.keys(HELPERS) as HelperName[];

/** The helpers and everything they depend on, in a fixed order (deterministic output). */
export function closeHelpers(wanted: Iterable<HelperName>): HelperName[] {
  const set = new Set<HelperName>();
  const add = (h: HelperName) => {
    if (set.has(h)) return;
    HELPERS[h].needs.forEach(add);
    set.add(h);
  };
  for (const h of wanted) add(h);
  const order = Object.keys(HELPERS) as HelperName[];
  return order.filter((h) => set.has(h));
}
