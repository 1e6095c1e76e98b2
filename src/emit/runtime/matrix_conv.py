class PpvcMatrixConv2d(PpvcConv2d):
    """PpvcConv2d as one matrix product, [frames x output positions, kh kw in] x [kh kw in,
    out], computed in blocks of matrix_block's shape (_ppvc_matrix_products): what protocols
    with matrix triples make cheaply. The same sums as PpvcConv2d's, truncated the same way."""

    def __init__(self, *args, matrix_block, **kwargs):
        super(PpvcMatrixConv2d, self).__init__(*args, **kwargs)
        self.matrix_block = matrix_block

    def _forward(self, batch):
        assert self.tf_weight_format
        n = len(batch)
        assert n == self.X.sizes[0]
        kh, kw, n_channels_in, n_channels_out = self.weight_shape
        _, output_h, output_w, _ = self.output_shape
        rows, inner = n * output_h * output_w, kh * kw * n_channels_in
        inputs = _ppvc_im2col(self.X, self.padding, self.stride, (kh, kw), (output_h, output_w))
        weights = self.weights.get_vector().v
        shape = (rows, inner, n_channels_out)
        res = _ppvc_matrix_products([(inputs, weights)], shape, self.matrix_block)[0]
        if self.use_bias:
            with _ppvc_ordered_memory():
                bias = sint.load_mem(regint.inc(res.size, self.bias.address, 1, 1, n_channels_out))
            res += bias << self.weight_squant.f
        self.unreduced.assign_vector(res)
        self.reduction(n)
