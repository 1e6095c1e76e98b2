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
        N, H, W, C = self.X.sizes
        _, OH, OW, _ = self.Y.sizes
        self.Y.assign_all(0)
        to = _ppvc_index(
            N,
            H,
            W,
            C,
            OH * OW * C,
            OW * C,
            C,
            base=self.Y.address + (self.pad[0] * OW + self.pad[2]) * C,
        )
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
        N, H, W, C = self.X.sizes
        _, OH, OW, _ = self.Y.sizes
        src = _ppvc_index(
            N,
            OH,
            OW,
            C,
            H * W * C,
            W * C,
            C,
            base=self.X.address + (self.crop[0] * W + self.crop[2]) * C,
        )
        self.Y.assign_vector(sfix._new(sint.load_mem(src)))
