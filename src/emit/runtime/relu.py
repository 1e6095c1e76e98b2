class PpvcRelu(NoVariableLayer):
    """ReLU over the whole batch as one vector: one comparison round trip for the layer,
    whatever its size (upstream's Relu splits the tensor into chunks of the compile budget
    -b, each paying the comparison's rounds again).

    With raw=True the input is a convolution's untruncated output, with raw_bits more
    fractional bits than sfix.f (set by the program from the layer that computes it): the
    comparison is exact on that many more bits (and one for the rounding), and the output
    stays untruncated for the average pooling after it, which truncates its window sums."""

    def __init__(self, shape, max_value=None, compare_bits=None, raw=False):
        assert not (raw and max_value is not None), "a clamp from above needs truncated values"
        self.X = Tensor(shape, sfix)
        self.Y = Tensor(shape, sfix)
        self.max_value = max_value
        # the comparison's k, fewer than sfix.k where a declared bound allows
        self.compare_bits = compare_bits
        self.raw = raw
        self.raw_bits = None

    def __repr__(self):
        return "PpvcRelu(%s%s)" % (self._X.sizes, ", raw" if self.raw else "")

    def _forward(self, batch=None):
        x = self.X.get_vector()
        if self.raw:
            assert self.raw_bits is not None, "raw_bits: the producer's, set by the program"
            # one bit more than k + raw_bits: the untruncated value may exceed the truncated
            # one's range by its rounding (as _ppvc_positive allows)
            bits = x.v.greater_than(0, (self.compare_bits or sfix.k) + self.raw_bits + 1)
            y = sfix._new(bits.if_else(x.v, 0))
        elif self.compare_bits:
            y = x.v.greater_than(0, self.compare_bits).if_else(x, 0)
        else:
            y = relu(x)
        if self.max_value is not None:
            # ReLU6 and friends: both comparisons in the same round trip
            y = (x < self.max_value).if_else(y, self.max_value)
        self.Y.assign_vector(y)
