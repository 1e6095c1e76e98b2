class PpvcMatrixWinogradConv2d(PpvcWinogradConv2d):
    """PpvcWinogradConv2d whose products, one [tiles x in] x [in x out] per transform point,
    are computed in memory in blocks of matrix_block's shape (_ppvc_matrix_products): what
    protocols with matrix triples make cheaply. The same sums, the same truncation."""

    def __init__(self, *args, matrix_block, **kwargs):
        super(PpvcMatrixWinogradConv2d, self).__init__(*args, **kwargs)
        self.matrix_block = matrix_block

    def _products(self, pairs, T, C, K):
        return _ppvc_matrix_products(pairs, (T, C, K), self.matrix_block)
