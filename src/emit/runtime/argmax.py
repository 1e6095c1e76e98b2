def ppvc_argmax(values):
    """Index of the largest of a list of secret values; ties go to the lowest index, as in
    numpy and Keras (upstream ml.argmax sends them to the highest)."""

    def op(a, b):
        take_b = a[1] < b[1]
        return take_b.if_else(b[0], a[0]), take_b.if_else(b[1], a[1])

    return tree_reduce(op, [(sint(i), v) for i, v in enumerate(values)])[0]


def ppvc_argmax_onehot(columns):
    """Per-frame argmax of C class columns (each a vector over frames), as C one-hot
    indicator vectors; ties go to the lowest class index."""
    n = len(columns[0])

    def op(a, b):
        take_b = a[0] < b[0]
        keep_a = 1 - take_b
        return (take_b.if_else(b[0], a[0]), [keep_a * x for x in a[1]] + [take_b * x for x in b[1]])

    return tree_reduce(op, [(v, [sint(1, size=n)]) for v in columns])[1]
