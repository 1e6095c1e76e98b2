class PpvcZeroPad2d(NoVariableLayer):
    """Zero padding [top, bottom, left, right]: public, local memory moves only."""

    def __init__(self, input_shape, pad):
        N, H, W, C = input_shape
        self.pad = tuple(pad)
        self.X = Tensor(input_shape, sfix)
        self.Y = Tensor([N, H + pad[0] + pad[1], W + pad[2] + pad[3], C], sfix)

    def __repr__(self):
        return "PpvcZeroPad2d(%s, pad=%s)" % (self._X.sizes, self.pad)

    @_ppvc_ordered_memory
    def _forward(self, batch=None):
        self.Y.assign_all(0)
        to = _ppvc_rectangle(self.Y.address, self.Y.sizes, self.X.sizes, self.pad[0], self.pad[2])
        self.X.get_vector().v.store_in_mem(to)


class PpvcCrop2d(NoVariableLayer):
    """A public crop [top, bottom, left, right]: local memory moves only."""

    def __init__(self, input_shape, crop):
        N, H, W, C = input_shape
        self.crop = tuple(crop)
        self.X = Tensor(input_shape, sfix)
        self.Y = Tensor([N, H - crop[0] - crop[1], W - crop[2] - crop[3], C], sfix)

    def __repr__(self):
        return "PpvcCrop2d(%s, crop=%s)" % (self._X.sizes, self.crop)

    @_ppvc_ordered_memory
    def _forward(self, batch=None):
        src = _ppvc_rectangle(
            self.X.address, self.X.sizes, self.Y.sizes, self.crop[0], self.crop[2]
        )
        self.Y.assign_vector(sfix._new(sint.load_mem(src)))
