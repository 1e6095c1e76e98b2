class PpvcInput(_PpvcLocalLayer):
    """The selected frames, as the output of a layer, so that any layer of a graph can read
    them (`inputs` names their producers)."""

    @_ppvc_ordered_memory
    def _forward(self, batch=None):
        pass
