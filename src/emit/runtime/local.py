class _PpvcLocalLayer(NoVariableLayer):
    """A layer without weights whose output has the shape it is given, computed by each
    party on its own shares (no communication): the frames as a layer, sums, concatenations.
    Its `_forward` is the subclass's; the representation names the subclass."""

    def __init__(self, shape):
        self.X = Tensor(shape, sfix)
        self.Y = Tensor(shape, sfix)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, self._Y.sizes)
