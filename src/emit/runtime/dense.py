class PpvcDense(Dense):
    """ml.Dense whose product [N d, in] x [in, out] is computed in blocks of matrix_block's shape
    (_ppvc_matrix_products) and then truncated once per output, as sfix's own matrix product
    truncates: what protocols with matrix triples make cheaply (hemi fills a batch of matrix
    triples only with many blocks of a few rows). The bias is added before the truncation, a
    multiple of 2^f: the same outputs as ml.Dense's under nearest rounding."""

    def __init__(self, *args, matrix_block, **kwargs):
        super(PpvcDense, self).__init__(*args, **kwargs)
        self.matrix_block = matrix_block

    def compute_f_input(self, batch):
        assert len(batch) == self.N, "PpvcDense computes the whole batch, in order"
        shape = (self.N * self.d, self.d_in, self.d_out)
        inputs, weights = self.X.get_vector().v, self.W.get_vector().v
        res = _ppvc_matrix_products([(inputs, weights)], shape, self.matrix_block)[0]
        with _ppvc_ordered_memory():
            bias = sint.load_mem(regint.inc(res.size, self.b.address, 1, 1, self.d_out))
        res += bias << sfix.f
        self.f_input.assign_vector(unreduced_sfix._new(res).reduce_after_mul())
