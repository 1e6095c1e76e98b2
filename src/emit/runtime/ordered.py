class _ppvc_ordered_memory:
    """MP-SPDZ's scheduler orders a gather or scatter (addresses in a register) only against
    accesses through the same register, and a long vector only by its first -b addresses, so
    a read may be moved before the write that fills it. Memory accesses inside this scope
    (a `with` block, or a decorated method) keep program order. Only for code without
    communication: ordering memory around a round trip would serialise rounds."""

    def __init__(self, forward=None):
        self.forward = forward

    def __enter__(self):
        get_program().open_memory_scope()

    def __exit__(self, *exc):
        get_program().close_memory_scope()

    def __get__(self, layer, owner=None):
        def forward(*args, **kwargs):
            with _ppvc_ordered_memory():
                return self.forward(layer, *args, **kwargs)

        return forward
