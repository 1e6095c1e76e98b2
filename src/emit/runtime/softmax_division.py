# w = _PPVC_GOLDSCHMIDT_SEED - 2z is within 2^-3.5 of 1/z for every z in [1/2, 1):
# Goldschmidt's first approximation. src/ir/ring-fit.ts counts the iterations from that
# bound and holds the same number (GOLDSCHMIDT_SEED); test/runtime-python.test.ts checks that
# they agree.
_PPVC_GOLDSCHMIDT_SEED = 2.9142


def _ppvc_normalised_quotients(r, sum_bits, bits, iterations):
    """r_j / sum_j r_j for non-negative sfix vectors r_j (one per class, over the frames),
    however large the sum: it is an sint of sum_bits bits, never an sfix (whose k it may
    exceed), and the quotients depend only on r_j / sum, not on the scale.

    Norm (library.Norm for a non-negative value, which needs no sign test) finds v, the power
    of two with c = sum * v in [2^(sum_bits-1), 2^sum_bits), 0 where the sum is 0. Cut to
    `bits` fractional bits, c is z in [1/2, 1) and r_j * v is y_j in [0, z]. Goldschmidt:
    w = _PPVC_GOLDSCHMIDT_SEED - 2z is within 2^-3.5 of 1/z, e = 1 - z w, and
    y_j w (1 + e)(1 + e^2)... tends to y_j / z, doubling its correct bits per step. Every
    product lies below 2^(2 bits + 2), inside the ring for bits <= (ring - 3) / 2.

    :returns: the quotients (sfix vectors; 0 where the sum is 0) and where the sum is not 0
    """
    from Compiler.floatingpoint import PreOR

    n, classes = len(r[0]), len(r)
    nearest = sfix.round_nearest
    total = sum((x.v for x in r[1:]), r[0].v)
    # the sum's bits from the top; suffix ORs mark its highest set bit, and the first is
    # (sum != 0) itself, so no comparison is needed for the masking
    suffixes = PreOR(total.bit_decompose(sum_bits, maybe_mixed=True)[::-1])[::-1]
    top = [suffixes[i] - suffixes[i + 1] for i in range(sum_bits - 1)] + [suffixes[-1]]
    v = sint.bit_compose(reversed(top))
    scaled = sint.concat([total] + [x.v for x in r]) * sint.concat([v] * (classes + 1))
    cut = sum_bits - bits
    if cut > 0:
        scaled = scaled.round(sum_bits + 1, cut, nearest=nearest, signed=False)
    elif cut < 0:
        scaled = scaled << -cut
    z = scaled.get_vector(0, n)
    one = 2**bits
    product = 2 * bits + 2
    w = int(_PPVC_GOLDSCHMIDT_SEED * one) - 2 * z
    # z w and every y_j w at once; e = 1 - z w is signed, |e| < 2^-3.5
    p = (scaled * sint.concat([w] * (classes + 1))).round(
        product, bits, nearest=nearest, signed=False
    )
    e = one - p.get_vector(0, n)
    y = p.get_vector(n, n * classes)
    for i in range(iterations):
        factor = sint.concat([one + e] * classes)
        if i == iterations - 1:
            # the last step truncates to sfix's f bits at once
            y = (y * factor).round(product, 2 * bits - sfix.f, nearest=nearest, signed=False)
        else:
            y = (y * factor).round(product, bits, nearest=nearest, signed=False)
            # e^2 >= 0 whatever e's sign
            e = (e * e).round(product, bits, nearest=nearest, signed=False)
    # the bits may be binary shares (maybe_mixed): the mask needs an arithmetic one
    return [sfix._new(y.get_vector(j * n, n)) for j in range(classes)], sint.conv(suffixes[0])
