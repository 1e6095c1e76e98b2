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
