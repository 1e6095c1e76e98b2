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
            self._X.sizes,
            self.pool,
            self.strides,
            self.padding,
        )

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
