def _ppvc_winograd_transforms(m, r):
    """Winograd's minimal filtering F(m, r) (Lavin and Gray, CVPR 2016) from the points
    0, 1, -1, 2, -2 and infinity, as the transpose of Toom-Cook linear convolution:
    y = A^T [(G g) * (B^T d)]. B^T (alpha x alpha) and A^T (m x alpha) are scaled to integers,
    which G (alpha x r, rational) absorbs. Returns (A^T, G, B^T) as lists of Fractions."""
    from fractions import Fraction

    n = m + r - 1
    points = [Fraction(p) for p in (0, 1, -1, 2, -2)][: n - 1]
    assert len(points) == n - 1, "F(%d, %d) needs more than 6 points" % (m, r)

    def evaluation(degree):
        rows = [[p**i for i in range(degree)] for p in points]
        return rows + [[Fraction(0)] * (degree - 1) + [Fraction(1)]]

    def inverse(matrix):
        size = len(matrix)
        a = [row[:] + [Fraction(int(i == j)) for j in range(size)] for i, row in enumerate(matrix)]
        for c in range(size):
            pivot = next(i for i in range(c, size) if a[i][c] != 0)
            a[c], a[pivot] = a[pivot], a[c]
            a[c] = [x / a[c][c] for x in a[c]]
            for i in range(size):
                if i != c and a[i][c] != 0:
                    a[i] = [x - a[i][c] * y for x, y in zip(a[i], a[c])]
        return [row[size:] for row in a]

    at = [list(col) for col in zip(*evaluation(m))]
    g = evaluation(r)
    interpolation = inverse(evaluation(n))
    bt = [list(col) for col in zip(*interpolation)]
    for j in range(n):
        scale = _ppvc_denominator(bt[j])
        bt[j] = [x * scale for x in bt[j]]
        g[j] = [x / scale for x in g[j]]
    return at, g, bt


def _ppvc_denominator(fractions):
    """The least common denominator of Fractions."""
    res = 1
    for c in fractions:
        res = res * c.denominator // math.gcd(res, c.denominator)
    return res


def _ppvc_inverse_of_odd(q, size):
    """q^-1 modulo the shares' modulus, for an odd q: 2^ring in a ring (a compile-time
    constant, its signed representative), the prime in a field (computed by the parties, as
    compile.py does not know the prime; a vector of `size`, one instruction, where a single
    value would be copied out to the vector one instruction per element)."""
    ring = int(get_program().options.ring or 0)
    if ring:
        inverse = pow(q, -1, 2**ring)
        return inverse - 2**ring if inverse >= 2 ** (ring - 1) else inverse
    return cint(1, size=size).field_div(q)


def _ppvc_combine(coefficients, vectors):
    """sum_i c_i v_i for integer c_i: local on shares."""
    total = None
    for coefficient, v in zip(coefficients, vectors):
        c = int(coefficient)
        if c == 0:
            continue
        term = v if c == 1 else -v if c == -1 else v * c
        total = term if total is None else total + term
    return total


class PpvcWinogradConv2d(PpvcConv2d):
    """Stride-1 convolution by Winograd's minimal filtering F(mh x mw, kh x kw) (Lavin and
    Gray, CVPR 2016), whole batch at once: (mh + kh - 1)(mw + kw - 1) secret products per
    mh x mw output tile and channel pair instead of mh mw kh kw.

    Inputs and outputs are transformed with integer matrices (B^T d B, A^T m A): local and
    exact on shares. The weights are transformed once per layer with S G g G^T, S = 2^e q the
    common denominator of the two axes' G (q odd): an integer map, local and exact too. Each
    output is then S times the direct convolution's sum of products; multiplying by q's
    inverse modulo the shares' modulus (2^ring, or the prime) divides that exactly, leaving
    2^e times the sum, and the layer's one truncation drops f + e bits. So every tile has the
    same distribution as PpvcConv2d's (identical with nearest rounding), with no truncation of
    weights. The products per tile position are one matrix product [tiles x in] x [in x out]."""

    def __init__(self, *args, tile=(2, 2), **kwargs):
        super(PpvcWinogradConv2d, self).__init__(*args, **kwargs)
        self.tile = tuple(tile)
        if self.raw:
            # raw outputs keep the e bits of 2^e too: the pooling's truncation drops them
            self.raw_bits = sfix.f + self._weight_bits()[3]

    def _weight_bits(self):
        """(A^T, G, B^T) per axis, G's common denominators, e and q: the denominators' product
        is 2^e q with q odd (e: the outputs' fractional bits beyond 2f)."""
        kh, kw = self.weight_shape[:2]
        mh, mw = self.tile
        at_h, g_h, bt_h = _ppvc_winograd_transforms(mh, kh)
        at_w, g_w, bt_w = _ppvc_winograd_transforms(mw, kw)
        scale_h = _ppvc_denominator(c for row in g_h for c in row)
        scale_w = _ppvc_denominator(c for row in g_w for c in row)
        scale = scale_h * scale_w
        e = (scale & -scale).bit_length() - 1
        return (at_h, g_h, bt_h), (at_w, g_w, bt_w), (scale_h, scale_w), e, scale >> e

    def __repr__(self):
        return "PpvcWinogradConv2d(%s, kernel=%s, tile=%s)" % (
            self._X.sizes,
            tuple(self.weight_shape[:2]),
            self.tile,
        )

    def _forward(self, batch):
        assert self.tf_weight_format and tuple(self.stride) == (1, 1)
        N, H, W, C = self.X.sizes
        assert len(batch) == N
        _, OH, OW, K = self.output_shape
        kh, kw = self.weight_shape[:2]
        mh, mw = self.tile
        ah, aw = mh + kh - 1, mw + kw - 1
        (at_h, g_h, bt_h), (at_w, g_w, bt_w), (scale_h, scale_w), e, q = self._weight_bits()
        TH, TW = -(-OH // mh), -(-OW // mw)
        T = N * TH * TW

        # input tiles: ah x aw windows with strides (mh, mw) (zeros outside the input),
        # then B^T d B, one axis after the other
        zero = sint(0, size=T * C)
        d = _ppvc_window_values(self.X, [N, TH, TW, C], (ah, aw), (mh, mw), self.padding, zero)
        rows = [
            [_ppvc_combine(bt_h[a], [d[x * aw + y] for x in range(ah)]) for y in range(aw)]
            for a in range(ah)
        ]
        v = [[_ppvc_combine(bt_w[b], rows[a]) for b in range(aw)] for a in range(ah)]

        # weights, Keras layout [kh, kw, C, K] (written by the input stage, an earlier basic
        # block): S U = (scale_h G) g (scale_w G)^T, integer combinations
        weights = self.weights.get_vector().v
        g = [
            [weights.get_vector((x * kw + y) * C * K, C * K) for y in range(kw)] for x in range(kh)
        ]
        rows = [
            [
                _ppvc_combine([c * scale_h for c in g_h[a]], [g[x][y] for x in range(kh)])
                for y in range(kw)
            ]
            for a in range(ah)
        ]
        u = [
            [_ppvc_combine([c * scale_w for c in g_w[b]], rows[a]) for b in range(aw)]
            for a in range(ah)
        ]
        m = self._products([(v[a][b], u[a][b]) for a in range(ah) for b in range(aw)], T, C, K)

        # outputs A^T m A, scattered into a [N, mh TH, mw TW, K] grid
        cols = [
            [_ppvc_combine(at_w[j], [m[a * aw + b] for b in range(aw)]) for j in range(mw)]
            for a in range(ah)
        ]
        ys = [
            [_ppvc_combine(at_h[i], [cols[a][j] for a in range(ah)]) for j in range(mw)]
            for i in range(mh)
        ]
        grid = sint.Array(N * mh * TH * mw * TW * K)
        with _ppvc_ordered_memory():
            for i in range(mh):
                for j in range(mw):
                    index = _ppvc_index(
                        N,
                        TH,
                        TW,
                        K,
                        mh * TH * mw * TW * K,
                        mh * mw * TW * K,
                        mw * K,
                        base=grid.address + (i * mw * TW + j) * K,
                    )
                    ys[i][j].store_in_mem(index)
            if (mh * TH, mw * TW) == (OH, OW):
                total = grid.get_vector()
            else:
                total = sint.load_mem(
                    _ppvc_index(
                        N, OH, OW, K, mh * TH * mw * TW * K, mw * TW * K, K, base=grid.address
                    )
                )
        if q != 1:
            # S = 2^e q times the sum of products: an exact multiple of q, so multiplying by
            # q's inverse modulo the shares' modulus leaves 2^e times the sum, exactly
            total = total * _ppvc_inverse_of_odd(q, total.size)
        if self.use_bias:
            bias = sint.load_mem(regint.inc(total.size, self.bias.address, 1, 1, K))
            total += bias << (sfix.f + e)
        if self.raw:
            self.Y.assign_vector(sfix._new(total))
            return
        self.Y.assign_vector(
            sfix._new(
                sfix.int_type.round(
                    total, sfix.k + sfix.f + e, sfix.f + e, nearest=sfix.round_nearest, signed=True
                )
            )
        )

    def _products(self, pairs, T, C, K):
        """One matrix product [T x C] x [C x K] per tile position, from registers, at most
        2^20 output values per instruction."""
        rows_per = max(1, min(T, 2**20 // K))
        products = []
        for v, u in pairs:
            parts = [
                sint.matrix_mul(v.get_vector(start * C, min(rows_per, T - start) * C), u, C)
                for start in range(0, T, rows_per)
            ]
            products.append(parts[0] if len(parts) == 1 else sint.concat(parts))
        return products
