class PpvcInput(NoVariableLayer):
    """The selected frames, as the output of a layer, so that any layer of a graph can read
    them (`inputs` names their producers)."""

    def __init__(self, shape):
        self.X = Tensor(shape, sfix)
        self.Y = Tensor(shape, sfix)

    def __repr__(self):
        return "PpvcInput(%s)" % (self._Y.sizes,)

    @_ppvc_ordered_memory
    def _forward(self, batch=None):
        pass
