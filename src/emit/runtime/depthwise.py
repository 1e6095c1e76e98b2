class PpvcDepthwiseConv2d(NoVariableLayer):
    """Depthwise 2D convolution in fixed point (Keras DepthwiseConv2D; MP-SPDZ 0.4.2 has a
    quantised one only): each input channel convolved with its own `multiplier` filters,
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
            self.padding = [
                max((o - 1) * s + k - i, 0) // 2
                for o, s, k, i in zip(output_shape[1:3], strides, kernel, input_shape[1:3])
            ]
        else:
            self.padding = [0, 0]

    def __repr__(self):
        return "PpvcDepthwiseConv2d(%s, kernel=%s, multiplier=%s, strides=%s)" % (
            self._X.sizes,
            self.kernel,
            self.multiplier,
            self.strides,
        )

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
            res = _ppvc_conv2ds(
                plane, weights, (H, W), (OH, OW), self.kernel, self.strides, self.padding, 1, N
            )
            if self.use_bias:
                res += self.bias.expand_to_vector(j, res.size).v << sfix.f
            res.store_in_mem(regint.inc(res.size, unreduced.address + j, OC))

        break_point()  # the channels' scattered stores above all land before this read
        total = unreduced.get_vector()
        self.Y.assign_vector(
            sfix._new(
                sfix.int_type.round(
                    total, sfix.k + sfix.f, sfix.f, nearest=sfix.round_nearest, signed=True
                )
            )
        )
