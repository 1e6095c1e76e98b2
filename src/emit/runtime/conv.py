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
        _, inputs_h, inputs_w, n_channels_in = self.input_shape
        _, output_h, output_w, n_channels_out = self.output_shape
        n = len(batch)

        @for_range_opt_multithread(self.n_threads, n_channels_out)
        def _(j):
            inputs = self.X.get_slice_vector(batch.get_part(0, n)).pre_mul()
            weights = self.weights.get_vector_by_indices(None, None, None, j).pre_mul()
            res = _ppvc_conv2ds(
                inputs,
                weights,
                (inputs_h, inputs_w),
                (output_h, output_w),
                self.weight_shape[:2],
                self.stride,
                self.padding,
                n_channels_in,
                n,
            )
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
        res = (
            self.input_squant()
            .unreduced(
                unreduced, self.weight_squant(), self.output_squant.params, self.n_summands()
            )
            .reduce_after_mul()
        )
        res.store_in_mem(self.Y.address)
