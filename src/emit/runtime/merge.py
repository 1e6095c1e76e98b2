class PpvcAdd(_PpvcLocalLayer):
    """Element-wise sum of the outputs of `inputs` (residual connections): local."""

    @_ppvc_ordered_memory
    def _forward(self, batch=None):
        parts = [layer.Y.get_vector() for layer in self.inputs]
        self.Y.assign_vector(sum(parts[1:], parts[0]))


class PpvcConcat(_PpvcLocalLayer):
    """Concatenation of the outputs of `inputs` along the last (channel) axis: local."""

    @_ppvc_ordered_memory
    def _forward(self, batch=None):
        C = self.Y.sizes[-1]
        offset = 0
        for layer in self.inputs:
            part = layer.Y.get_vector()
            c = layer.Y.sizes[-1]
            to = regint.inc(part.size, self.Y.address + offset, 1, 1, c)
            to += regint.inc(part.size, 0, C, c)
            part.v.store_in_mem(to)
            offset += c
