def _ppvc_index(n, rows, cols, chans, batch_stride, row_stride, col_stride, chan_stride=1, base=0):
    """regint vector of n*rows*cols*chans addresses from `base`, batch-major then row,
    column, channel."""
    size = n * rows * cols * chans
    res = regint.inc(size, base, chan_stride, 1, chans)
    res += regint.inc(size, 0, col_stride, chans, cols)
    res += regint.inc(size, 0, row_stride, cols * chans, rows)
    res += regint.inc(size, 0, batch_stride, rows * cols * chans)
    return res


def _ppvc_rectangle(base, outer, inner, top, left):
    """The addresses of an inner (N, h, w, C) rectangle whose corner is at (top, left) in
    each frame of an outer (N, H, W, C) tensor stored at `base`, in the inner tensor's order:
    where a padding writes its input and a crop reads its output."""
    n, h, w, channels = inner
    _, outer_h, outer_w, _ = outer
    corner = base + (top * outer_w + left) * channels
    return _ppvc_index(
        n, h, w, channels, outer_h * outer_w * channels, outer_w * channels, channels, base=corner
    )


def _ppvc_window_values(X, out_shape, pool, strides, pads, fill=None):
    """For each position (di, dj) of a pooling window, the vector of the input values at
    that position of every window (all frames, rows, columns and channels at once).

    Only local memory reads: no communication. Windows that reach into the padding read
    `fill` (a full-size vector) there instead."""
    with _ppvc_ordered_memory():
        return _ppvc_window_values_unordered([X], out_shape, pool, strides, pads, fill)[0]


def _ppvc_window_values_unordered(sources, out_shape, pool, strides, pads, fill):
    """_ppvc_window_values for each of `sources` (arrays of one shape), from one address
    vector per window position."""
    N, H, W, C = sources[0].sizes
    _, OH, OW, _ = out_shape
    size = N * OH * OW * C
    if fill is not None:
        tmp = sint.Array(size)
    X = sources[0]
    # (addresses may be registers: a layer's forward is compiled as a function of its arrays)
    offsets = [None] + [s.address - X.address for s in sources[1:]]
    res = [[] for _ in sources]
    for di in range(pool[0]):
        for dj in range(pool[1]):
            h0, w0 = di - pads[0], dj - pads[1]
            # output rows/columns whose window position (di, dj) lies inside the input
            r0, r1 = _ppvc_inside(OH, H, strides[0], h0)
            c0, c1 = _ppvc_inside(OW, W, strides[1], w0)
            if (r0, r1, c0, c1) == (0, OH, 0, OW):
                where = X.address + (h0 * W + w0) * C
                index = _ppvc_index(
                    N, OH, OW, C, H * W * C, strides[0] * W * C, strides[1] * C, base=where
                )
                for r, offset in zip(res, offsets):
                    r.append(sint.load_mem(index if offset is None else index + offset))
                continue
            assert fill is not None, "padding needs a fill value"
            src = dst = None
            if r1 > r0 and c1 > c0:
                first_in = X.address + ((r0 * strides[0] + h0) * W + c0 * strides[1] + w0) * C
                src = _ppvc_index(
                    N,
                    r1 - r0,
                    c1 - c0,
                    C,
                    H * W * C,
                    strides[0] * W * C,
                    strides[1] * C,
                    base=first_in,
                )
                dst = _ppvc_index(
                    N,
                    r1 - r0,
                    c1 - c0,
                    C,
                    OH * OW * C,
                    OW * C,
                    C,
                    base=tmp.address + (r0 * OW + c0) * C,
                )
            for r, offset in zip(res, offsets):
                tmp.assign_vector(fill)
                if src is not None:
                    sint.load_mem(src if offset is None else src + offset).store_in_mem(dst)
                r.append(tmp.get_vector())
    return res


def _ppvc_inside(outputs, size, stride, offset):
    """[first, last): the outputs o whose input position o * stride + offset lies in
    [0, size), for a window position `offset` from each window's start (negative in the
    padding)."""
    first = 0
    while first * stride + offset < 0:
        first += 1
    last = outputs
    while last > first and (last - 1) * stride + offset >= size:
        last -= 1
    return first, last


def _ppvc_positive(x, extra, k=None):
    """(x > 0) as 0/1 sint, for sint x with `extra` more fractional bits than sfix.f, in one vector.
    `k` is the values' sfix k (default sfix.k; fewer where a declared bound allows).

    With the protocol's share split (compile.py -Z), MP-SPDZ's own comparison (LtzRing) on
    bits [extra, extra + k + 1) of the shares: the cost of the (k + 1)-bit comparison that
    sfix's (0 < x) runs, where an exact one needs extra more bits. The carry out of the
    dropped bits is ignored, so x above zero by less than (shares - 1) * 2^-f may count as not
    positive; a negative x never counts as positive (down to (shares - 1) * 2^-f above the
    lowest (k + 1)-bit value, where it would wrap). Without the split, an exact comparison."""
    from Compiler.types import _bitint

    n = get_program().use_split()
    k = extra + (k or sfix.k) + 1
    if not n:
        return x.greater_than(0, k)
    columns = x.split_to_n_summands(k, n)[extra:]
    summands = _bitint.wallace_tree_without_finish(columns, False)
    carry = CarryOutRawLE(*reversed([s[:-1] for s in summands]))
    negative = carry ^ summands[0][-1] ^ summands[1][-1]
    return 1 - sint.conv(negative)


def _ppvc_pool_output_shape(input_shape, pool, strides, padding):
    N, H, W, C = input_shape
    if padding == "SAME":
        OH, OW = -(-H // strides[0]), -(-W // strides[1])
        pads = []
        for size, out, k, s in ((H, OH, pool[0], strides[0]), (W, OW, pool[1], strides[1])):
            pads.append(max((out - 1) * s + k - size, 0) // 2)
    else:
        OH, OW = (H - pool[0]) // strides[0] + 1, (W - pool[1]) // strides[1] + 1
        pads = [0, 0]
    return [N, OH, OW, C], pads
