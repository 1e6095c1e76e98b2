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
