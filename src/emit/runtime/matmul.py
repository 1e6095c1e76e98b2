def _ppvc_blocks(size, block):
    """The starts of the blocks of `block` that cover `size` (the last one padded)."""
    return range(0, -(-size // block) * block, block)


def _ppvc_padded_matrix(values, rows, cols, block_rows, block_cols):
    """A sint matrix in memory holding `values` (rows x cols, row-major), its rows and columns
    padded with zeros to whole blocks."""
    padded_rows = -(-rows // block_rows) * block_rows
    padded_cols = -(-cols // block_cols) * block_cols
    matrix = sint.Matrix(padded_rows, padded_cols)
    if (padded_rows, padded_cols) == (rows, cols):
        matrix.assign_vector(values)
        return matrix
    with _ppvc_ordered_memory():
        matrix.assign_all(0)
        values.store_in_mem(_ppvc_index(1, rows, cols, 1, 0, padded_cols, 1, base=matrix.address))
    return matrix


def _ppvc_matrix_products(pairs, shape, block):
    """[a . b for a, b in pairs], untruncated: a (rows x inner) and b (inner x cols) sint vectors,
    row-major, of the raw values (a product of sfix values has 2f fractional bits).

    Each product is computed in blocks of (m, k, c) = `block` rows, inner and columns, every
    block one memory-based matrix product (matmulsm) of the same shape. Protocols with matrix
    triples (hemi and temi by homomorphic encryption, dealer-ring from its dealer) then make
    whole matrix triples, and hemi fills a batch of them with identical shapes; elsewhere a
    matrix product costs what its scalar products cost. The blocks along the inner dimension
    are summed locally; a dimension the block does not divide is padded with zeros."""
    rows, inner, cols = shape
    m, k, c = block
    stored = [
        (_ppvc_padded_matrix(a, rows, inner, m, k), _ppvc_padded_matrix(b, inner, cols, k, c))
        for a, b in pairs
    ]
    break_point()  # the scattered stores above land before the products read them
    results = []
    for a, b in stored:
        padded_rows, padded_inner = a.sizes
        padded_cols = b.sizes[1]
        out = sint.Matrix(padded_rows, padded_cols)
        for i in _ppvc_blocks(rows, m):
            for j in _ppvc_blocks(cols, c):
                parts = [
                    sint.direct_matrix_mul(
                        a.address,
                        b.address,
                        padded_rows,
                        padded_inner,
                        padded_cols,
                        indices=(
                            regint.inc(m, i),
                            regint.inc(k, h),
                            regint.inc(k, h),
                            regint.inc(c, j),
                        ),
                    )
                    for h in _ppvc_blocks(inner, k)
                ]
                at = _ppvc_index(
                    1, m, c, 1, 0, padded_cols, 1, base=out.address + i * padded_cols + j
                )
                with _ppvc_ordered_memory():
                    sum(parts[1:], parts[0]).store_in_mem(at)
        results.append(out)
    break_point()  # and the blocks' scattered results before they are read
    with _ppvc_ordered_memory():
        products = [
            sint.load_mem(_ppvc_index(1, rows, cols, 1, 0, out.sizes[1], 1, base=out.address))
            for out in results
        ]
    # the copies are temporaries: their memory serves the next layer's
    for matrix in [m for pair in stored for m in pair] + results:
        matrix.delete()
    return products


def _ppvc_im2col_addresses(base, padded_shape, kernel, strides, output_hw):
    """Where _ppvc_im2col reads: for each frame, output row, output column (the rows), kernel
    row, kernel column and channel (the columns), the address of that input value in the
    padded (n, H, W, C) tensor stored at `base`."""
    n, padded_h, padded_w, C = padded_shape
    kh, kw = kernel
    sh, sw = strides
    OH, OW = output_hw
    k = kh * kw * C
    size = n * OH * OW * k
    # (step, repeat, wrap) per index, innermost first: channel, kernel column, kernel row,
    # output column, output row, frame
    terms = [
        (1, 1, C),
        (C, C, kw),
        (padded_w * C, kw * C, kh),
        (sw * C, k, OW),
        (sh * padded_w * C, OW * k, OH),
        (padded_h * padded_w * C, OH * OW * k, n),
    ]
    addresses = regint.inc(size, base, 0)
    for step, repeat, wrap in terms:
        addresses += regint.inc(size, 0, step, repeat, wrap)
    return addresses


def _ppvc_im2col(X, padding, strides, kernel, output_hw):
    """The input of a convolution as the left factor of a matrix product: one row per frame
    and output position (n * OH * OW), holding the kh x kw x C input values its kernel covers in
    the kernel's order (Keras: row, column, channel), zeros outside the input; the raw sint
    values, row-major. The right factor is then the Keras kernel [kh, kw, C, out] as it is
    stored, a (kh kw C) x out matrix."""
    n, H, W, C = X.sizes
    kh, kw = kernel
    sh, sw = strides
    OH, OW = output_hw
    top, left = padding
    padded_h = max((OH - 1) * sh + kh, top + H)
    padded_w = max((OW - 1) * sw + kw, left + W)
    padded = None
    with _ppvc_ordered_memory():
        if (padded_h, padded_w) == (H, W):
            base = X.address
        else:
            padded = sint.Array(n * padded_h * padded_w * C)
            padded.assign_all(0)
            to = _ppvc_rectangle(padded.address, (n, padded_h, padded_w, C), X.sizes, top, left)
            X.get_vector().v.store_in_mem(to)
            base = padded.address
        addresses = _ppvc_im2col_addresses(
            base, (n, padded_h, padded_w, C), kernel, strides, output_hw
        )
        gathered = sint.load_mem(addresses)
        if padded is not None:  # a temporary (X's address may be a register: no comparison)
            padded.delete()
        return gathered


def ppvc_select_frames(selection, video, block):
    """The oblivious frame selection, selection (n x N, secret 0/1 integers) times video
    (N x h w c, sfix), in blocks of `block`'s shape: exact (an integer times fixed-point needs no
    truncation), as one sfix vector of the n selected frames."""
    n, frames = selection.sizes
    shape = (n, frames, video.sizes[1])
    pairs = [(selection.get_vector(), video.get_vector().v)]
    return sfix._new(_ppvc_matrix_products(pairs, shape, block)[0])
