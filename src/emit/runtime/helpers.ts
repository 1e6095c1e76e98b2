// The Python helpers ppvc-dsl adds to MP-SPDZ's Compiler/ml.py (0.4.2 lacks them). Each
// helper is a named block; a program's ml.py.patch carries only the blocks it uses.
// They work on whole tensors at once: window gathers are local memory reads, so a pooling
// layer costs one vectorised multiplication (average) or log2(window) comparison rounds (max),
// where upstream's FixAveragePool2d/MaxPool loop over every frame and channel.

export type HelperName =
  | 'ordered'
  | 'windows'
  | 'input'
  | 'avgpool'
  | 'maxpool'
  | 'relu'
  | 'conv'
  | 'winograd'
  | 'depthwise'
  | 'batchnorm'
  | 'reshape_ops'
  | 'merge'
  | 'argmax'
  | 'relu_softmax'
  | 'exact_softmax';

export interface Helper {
  name: HelperName;
  needs: HelperName[];
  code: string;
}

const ordered = `
class _ppvc_ordered_memory:
    """MP-SPDZ's scheduler orders a gather or scatter (addresses in a register) only against
    accesses through the same register, and a long vector only by its first -b addresses, so
    a read may be moved before the write that fills it. Memory accesses inside this scope
    (a \`with\` block, or a decorated method) keep program order. Only for code without
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
`;

const windows = `
def _ppvc_index(n, rows, cols, chans, batch_stride, row_stride, col_stride, chan_stride=1, base=0):
    """regint vector of n*rows*cols*chans addresses from \`base\`, batch-major then row,
    column, channel."""
    size = n * rows * cols * chans
    res = regint.inc(size, base, chan_stride, 1, chans)
    res += regint.inc(size, 0, col_stride, chans, cols)
    res += regint.inc(size, 0, row_stride, cols * chans, rows)
    res += regint.inc(size, 0, batch_stride, rows * cols * chans)
    return res


def _ppvc_window_values(X, out_shape, pool, strides, pads, fill=None):
    """For each position (di, dj) of a pooling window, the vector of the input values at
    that position of every window (all frames, rows, columns and channels at once).

    Only local memory reads: no communication. Windows that reach into the padding read
    \`fill\` (a full-size vector) there instead."""
    with _ppvc_ordered_memory():
        return _ppvc_window_values_unordered(X, out_shape, pool, strides, pads, fill)


def _ppvc_window_values_unordered(X, out_shape, pool, strides, pads, fill):
    N, H, W, C = X.sizes
    _, OH, OW, _ = out_shape
    size = N * OH * OW * C
    if fill is not None:
        tmp = sint.Array(size)
    res = []
    for di in range(pool[0]):
        for dj in range(pool[1]):
            h0, w0 = di - pads[0], dj - pads[1]
            # output rows/columns whose window position (di, dj) lies inside the input
            r0 = 0
            while r0 * strides[0] + h0 < 0:
                r0 += 1
            r1 = OH
            while r1 > r0 and (r1 - 1) * strides[0] + h0 >= H:
                r1 -= 1
            c0 = 0
            while c0 * strides[1] + w0 < 0:
                c0 += 1
            c1 = OW
            while c1 > c0 and (c1 - 1) * strides[1] + w0 >= W:
                c1 -= 1
            if (r0, r1, c0, c1) == (0, OH, 0, OW):
                where = X.address + (h0 * W + w0) * C
                index = _ppvc_index(N, OH, OW, C, H * W * C, strides[0] * W * C, strides[1] * C, base=where)
                res.append(sint.load_mem(index))
                continue
            assert fill is not None, "padding needs a fill value"
            tmp.assign_vector(fill)
            if r1 > r0 and c1 > c0:
                first_in = X.address + ((r0 * strides[0] + h0) * W + c0 * strides[1] + w0) * C
                src = _ppvc_index(N, r1 - r0, c1 - c0, C, H * W * C, strides[0] * W * C, strides[1] * C, base=first_in)
                dst = _ppvc_index(N, r1 - r0, c1 - c0, C, OH * OW * C, OW * C, C, base=tmp.address + (r0 * OW + c0) * C)
                sint.load_mem(src).store_in_mem(dst)
            res.append(tmp.get_vector())
    return res


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
`;

const avgpool = `
class PpvcAvgPool2d(NoVariableLayer):
    """Average pooling over all frames and channels at once (Keras semantics: with SAME
    padding each window is divided by the number of real inputs it covers).

    The window sums are local; the division is one vectorised multiplication by public
    constants, i.e. one truncation for the whole layer."""

    def __init__(self, input_shape, pool, strides, padding="VALID"):
        self.pool, self.strides, self.padding = tuple(pool), tuple(strides), padding
        output_shape, self.pads = _ppvc_pool_output_shape(input_shape, pool, strides, padding)
        self.X = Tensor(input_shape, sfix)
        self.Y = Tensor(output_shape, sfix)

    def __repr__(self):
        return "PpvcAvgPool2d(%s, pool=%s, strides=%s, padding=%s)" % (
            self._X.sizes, self.pool, self.strides, self.padding)

    def _forward(self, batch=None):
        N, OH, OW, C = self.Y.sizes
        size = N * OH * OW * C
        zero = sint(0, size=size) if self.padding == "SAME" else None
        parts = _ppvc_window_values(self.X, self.Y.sizes, self.pool, self.strides, self.pads, zero)
        total = sum(parts[1:], parts[0])
        counts = self._counts()
        if len(set(counts)) == 1:
            factor = cfix(1 / counts[0])
        else:
            per_position = cfix.Array(OH * OW)
            per_position.assign([cfix(1 / c) for c in counts])
            index = _ppvc_index(N, OH, OW, C, 0, OW, 1, 0, base=per_position.address)
            factor = cfix._new(cint.load_mem(index))
        self.Y.assign_vector(sfix._new(total) * factor)

    def _counts(self):
        _, H, W, _ = self.X.sizes
        _, OH, OW, _ = self.Y.sizes
        def covered(out, size, k, s, pad):
            return [min(o * s - pad + k, size) - max(o * s - pad, 0) for o in range(out)]
        rows = covered(OH, H, self.pool[0], self.strides[0], self.pads[0])
        cols = covered(OW, W, self.pool[1], self.strides[1], self.pads[1])
        return [r * c for r in rows for c in cols]
`;

const maxpool = `
class PpvcMaxPool2d(NoVariableLayer):
    """Max pooling over all frames and channels at once: a tree of vectorised comparisons,
    ceil(log2(window)) comparison rounds for the whole layer. With SAME padding a window's
    positions outside the input repeat a value inside it, which leaves the maximum alone."""

    def __init__(self, input_shape, pool, strides, padding="VALID"):
        self.pool, self.strides, self.padding = tuple(pool), tuple(strides), padding
        output_shape, self.pads = _ppvc_pool_output_shape(input_shape, pool, strides, padding)
        self.X = Tensor(input_shape, sfix)
        self.Y = Tensor(output_shape, sfix)

    def __repr__(self):
        return "PpvcMaxPool2d(%s, pool=%s, strides=%s, padding=%s)" % (
            self._X.sizes, self.pool, self.strides, self.padding)

    def _forward(self, batch=None):
        fill = None
        if self.padding == "SAME":
            # position (pad_top, pad_left) of every window lies inside the input
            fill = _ppvc_window_values(self.X, self.Y.sizes, (1, 1), self.strides, (0, 0))[0]
        parts = _ppvc_window_values(self.X, self.Y.sizes, self.pool, self.strides, self.pads, fill)
        def larger(a, b):
            return (a < b).if_else(b, a)
        best = tree_reduce(larger, parts)
        self.Y.assign_vector(sfix._new(best))
`;

const relu = `
class PpvcRelu(NoVariableLayer):
    """ReLU over the whole batch as one vector: one comparison round trip for the layer,
    whatever its size (upstream's Relu splits the tensor into chunks of the compile budget
    -b, each paying the comparison's rounds again)."""

    def __init__(self, shape, max_value=None):
        self.X = Tensor(shape, sfix)
        self.Y = Tensor(shape, sfix)
        self.max_value = max_value

    def __repr__(self):
        return "PpvcRelu(%s)" % (self._X.sizes,)

    def _forward(self, batch=None):
        x = self.X.get_vector()
        y = relu(x)
        if self.max_value is not None:
            # ReLU6 and friends: both comparisons in the same round trip
            y = (x < self.max_value).if_else(y, self.max_value)
        self.Y.assign_vector(y)
`;

const conv = `
class PpvcConv2d(FixConv2d):
    """FixConv2d (Keras weight layout) for a whole batch at once: one convolution instruction
    per output channel covering every frame, and one truncation for the whole output.
    Upstream issues one instruction per frame and channel and truncates in chunks of the
    compile budget, and each group of them costs another round trip."""

    def _forward(self, batch):
        assert self.tf_weight_format
        weights_h, weights_w, _, _ = self.weight_shape
        _, inputs_h, inputs_w, n_channels_in = self.input_shape
        _, output_h, output_w, n_channels_out = self.output_shape
        stride_h, stride_w = self.stride
        padding_h, padding_w = self.padding
        n = len(batch)

        @for_range_opt_multithread(self.n_threads, n_channels_out)
        def _(j):
            inputs = self.X.get_slice_vector(batch.get_part(0, n)).pre_mul()
            weights = self.weights.get_vector_by_indices(None, None, None, j).pre_mul()
            res = sint(size=output_h * output_w * n)
            conv2ds(res, inputs, weights, output_h, output_w, inputs_h, inputs_w,
                    weights_h, weights_w, stride_h, stride_w, n_channels_in,
                    padding_h, padding_w, n)
            if self.use_bias:
                res += self.bias.expand_to_vector(j, res.size).v << self.weight_squant.f
            addresses = regint.inc(res.size, self.unreduced[0].address + j, n_channels_out)
            res.store_in_mem(addresses)

        self.reduction(n)

    def reduction(self, batch_length=1):
        break_point()  # the channels' scattered stores above all land before this read
        n_outputs = batch_length * reduce(operator.mul, self.output_shape[1:])
        unreduced = sint.load_mem(self.unreduced.address, size=n_outputs)
        res = self.input_squant().unreduced(
            unreduced, self.weight_squant(), self.output_squant.params, self.n_summands()
        ).reduce_after_mul()
        res.store_in_mem(self.Y.address)
`;

const winograd = `
class PpvcWinogradConv2d(PpvcConv2d):
    """3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray,
    CVPR 2016), whole batch at once: 16 secret products per 2x2 output tile and channel
    pair instead of 36 (2.25x fewer).

    Every transform is an integer linear map on shares, so it is local and exact: inputs
    with B^T d B (entries 0 and +-1), weights with (2G) g (2G)^T (entries 0, 1, 2), outputs
    with A^T m A (0 and +-1). The factor 2 in 2G makes each output exactly 4 times the direct
    convolution's sum of products, so the layer's one truncation drops f + 2 bits: the
    result has the same distribution as PpvcConv2d's (identical with nearest rounding).
    The 16 products per tile are 16 matrix products [tiles x in] x [in x out].

    Fewer products mean less preprocessing where each costs a triple (semi2k: 44% less) and
    less local work everywhere (most of the replicated protocols' time); the price is 4x more
    dot-product outputs, about 10% more data in the replicated protocols."""

    def _forward(self, batch):
        assert self.tf_weight_format
        assert tuple(self.weight_shape[:2]) == (3, 3) and tuple(self.stride) == (1, 1)
        N, H, W, C = self.X.sizes
        assert len(batch) == N
        _, OH, OW, K = self.output_shape
        TH, TW = -(-OH // 2), -(-OW // 2)
        T = N * TH * TW

        # input tiles: 4x4 windows with stride 2 (zeros outside the input), then B^T d B
        zero = sint(0, size=T * C)
        d = _ppvc_window_values(self.X, [N, TH, TW, C], (4, 4), (2, 2), self.padding, zero)
        def bt(a0, a1, a2, a3):
            return [a0 - a2, a1 + a2, a2 - a1, a1 - a3]
        left = [bt(*[d[i * 4 + j] for i in range(4)]) for j in range(4)]
        v = [bt(*[left[j][i] for j in range(4)]) for i in range(4)]

        # weights, Keras layout [3, 3, C, K]: (2G) g (2G)^T
        # (written by the input stage, an earlier basic block)
        weights = self.weights.get_vector().v
        g = [[weights.get_vector((a * 3 + b) * C * K, C * K) for b in range(3)] for a in range(3)]
        def gt(a0, a1, a2):
            return [2 * a0, a0 + a1 + a2, a0 - a1 + a2, 2 * a2]
        left_g = [gt(*[g[a][b] for a in range(3)]) for b in range(3)]
        u = [gt(*[left_g[b][i] for b in range(3)]) for i in range(4)]

        # 16 matrix products [T x C] x [C x K] on registers (matmuls), at most 2^20 output
        # values per instruction
        rows = max(1, min(T, 2 ** 20 // K))
        m = []
        for i in range(4):
            for j in range(4):
                parts = [sint.matrix_mul(v[i][j].get_vector(start * C, min(rows, T - start) * C),
                                         u[i][j], C)
                         for start in range(0, T, rows)]
                m.append(parts[0] if len(parts) == 1 else sint.concat(parts))

        # outputs A^T m A, scattered into a [N, 2TH, 2TW, K] grid
        def at(a0, a1, a2, a3):
            return [a0 + a1 + a2, a1 - a2 - a3]
        left_m = [at(*[m[i * 4 + j] for i in range(4)]) for j in range(4)]
        grid = sint.Array(N * 2 * TH * 2 * TW * K)
        ys = [at(*[left_m[j][r] for j in range(4)]) for r in range(2)]
        with _ppvc_ordered_memory():
            for r in range(2):
                for c in range(2):
                    index = _ppvc_index(N, TH, TW, K, 4 * TH * TW * K, 4 * TW * K, 2 * K,
                                        base=grid.address + (r * 2 * TW + c) * K)
                    ys[r][c].store_in_mem(index)
            if (2 * TH, 2 * TW) == (OH, OW):
                total = grid.get_vector()
            else:
                total = sint.load_mem(_ppvc_index(N, OH, OW, K, 4 * TH * TW * K, 2 * TW * K, K,
                                                  base=grid.address))
        if self.use_bias:
            bias = sint.load_mem(regint.inc(total.size, self.bias.address, 1, 1, K))
            total += bias << (sfix.f + 2)
        self.Y.assign_vector(sfix._new(sfix.int_type.round(
            total, sfix.k + sfix.f + 2, sfix.f + 2, nearest=sfix.round_nearest, signed=True)))
`;

const input = `
class PpvcInput(NoVariableLayer):
    """The selected frames, as the output of a layer, so that any layer of a graph can read
    them (\`inputs\` names their producers)."""

    def __init__(self, shape):
        self.X = Tensor(shape, sfix)
        self.Y = Tensor(shape, sfix)

    def __repr__(self):
        return "PpvcInput(%s)" % (self._Y.sizes,)

    @_ppvc_ordered_memory
    def _forward(self, batch=None):
        pass
`;

const depthwise = `
class PpvcDepthwiseConv2d(NoVariableLayer):
    """Depthwise 2D convolution in fixed point (Keras DepthwiseConv2D; MP-SPDZ 0.4.2 has a
    quantised one only): each input channel convolved with its own \`multiplier\` filters,
    one convolution instruction per output channel for the whole batch, then one truncation.
    Weights in Keras layout [kh, kw, in_channels, multiplier]; output channel c * m + k."""

    def __init__(self, input_shape, kernel, multiplier, strides, padding, output_shape, bias=True):
        N, H, W, C = input_shape
        self.kernel, self.multiplier, self.strides = tuple(kernel), multiplier, tuple(strides)
        self.use_bias = bias
        self.X = Tensor(input_shape, sfix)
        self.Y = Tensor(output_shape, sfix)
        self.weights = Tensor([kernel[0], kernel[1], C, multiplier], sfix)
        self.bias = sfix.Array(C * multiplier)
        if padding == "SAME":
            self.padding = [max((o - 1) * s + k - i, 0) // 2 for o, s, k, i in
                            zip(output_shape[1:3], strides, kernel, input_shape[1:3])]
        else:
            self.padding = [0, 0]

    def __repr__(self):
        return "PpvcDepthwiseConv2d(%s, kernel=%s, multiplier=%s, strides=%s)" % (
            self._X.sizes, self.kernel, self.multiplier, self.strides)

    def input_from(self, player, **kwargs):
        self.weights.input_from(player, **kwargs)
        if self.use_bias:
            self.bias.input_from(player, **kwargs)

    def _forward(self, batch=None):
        N, H, W, C = self.X.sizes
        _, OH, OW, OC = self.Y.sizes
        kh, kw = self.kernel
        unreduced = sint.Array(N * OH * OW * OC)

        @for_range_opt(OC)
        def _(j):
            c = j // self.multiplier
            k = j % self.multiplier
            plane = self.X.get_vector_by_indices(None, None, None, c).pre_mul()
            weights = self.weights.get_vector_by_indices(None, None, c, k).pre_mul()
            res = sint(size=OH * OW * N)
            conv2ds(res, plane, weights, OH, OW, H, W, kh, kw, self.strides[0],
                    self.strides[1], 1, self.padding[0], self.padding[1], N)
            if self.use_bias:
                res += self.bias.expand_to_vector(j, res.size).v << sfix.f
            res.store_in_mem(regint.inc(res.size, unreduced.address + j, OC))

        break_point()  # the channels' scattered stores above all land before this read
        total = unreduced.get_vector()
        self.Y.assign_vector(sfix._new(sfix.int_type.round(
            total, sfix.k + sfix.f, sfix.f, nearest=sfix.round_nearest, signed=True)))
`;

const batchnorm = `
class PpvcBatchNorm(NoVariableLayer):
    """Inference-time batch normalisation as a per-channel affine map x * scale + shift; the
    model owner computes scale and shift from gamma, beta and the moving statistics in the
    clear (ppvc-dsl export-weights). One multiplication round trip for the layer."""

    def __init__(self, shape):
        self.X = Tensor(shape, sfix)
        self.Y = Tensor(shape, sfix)
        self.scale = sfix.Array(shape[-1])
        self.shift = sfix.Array(shape[-1])

    def __repr__(self):
        return "PpvcBatchNorm(%s)" % (self._X.sizes,)

    def input_from(self, player, **kwargs):
        self.scale.input_from(player, **kwargs)
        self.shift.input_from(player, **kwargs)

    def _forward(self, batch=None):
        size = self.X.total_size()
        C = self.X.sizes[-1]
        scale = sfix._new(sint.load_mem(regint.inc(size, self.scale.address, 1, 1, C)))
        shift = sfix._new(sint.load_mem(regint.inc(size, self.shift.address, 1, 1, C)))
        self.Y.assign_vector(self.X.get_vector() * scale + shift)
`;

const reshapeOps = `
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
        to = _ppvc_index(N, H, W, C, OH * OW * C, OW * C, C,
                         base=self.Y.address + (self.pad[0] * OW + self.pad[2]) * C)
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
        src = _ppvc_index(N, OH, OW, C, H * W * C, W * C, C,
                          base=self.X.address + (self.crop[0] * W + self.crop[2]) * C)
        self.Y.assign_vector(sfix._new(sint.load_mem(src)))
`;

const merge = `
class PpvcAdd(NoVariableLayer):
    """Element-wise sum of the outputs of \`inputs\` (residual connections): local."""

    def __init__(self, shape):
        self.X = Tensor(shape, sfix)
        self.Y = Tensor(shape, sfix)

    def __repr__(self):
        return "PpvcAdd(%s)" % (self._Y.sizes,)

    @_ppvc_ordered_memory
    def _forward(self, batch=None):
        parts = [layer.Y.get_vector() for layer in self.inputs]
        self.Y.assign_vector(sum(parts[1:], parts[0]))


class PpvcConcat(NoVariableLayer):
    """Concatenation of the outputs of \`inputs\` along the last (channel) axis: local."""

    def __init__(self, shape):
        self.X = Tensor(shape, sfix)
        self.Y = Tensor(shape, sfix)

    def __repr__(self):
        return "PpvcConcat(%s)" % (self._Y.sizes,)

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
`;

const argmax = `
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
        return (take_b.if_else(b[0], a[0]),
                [keep_a * x for x in a[1]] + [take_b * x for x in b[1]])
    return tree_reduce(op, [(v, [sint(1, size=n)]) for v in columns])[1]
`;

const reluSoftmax = `
def ppvc_relu_normalized_softmax(logits, n, classes):
    """The paper's approximate softmax for every frame at once (Mohassel and Zhang):
    relu(u_i) / sum_j relu(u_j), or 1/C when that sum is 0.

    :param logits: sfix vector of n * classes values, frame-major
    :returns: list of \`classes\` sfix vectors over the n frames
    """
    u = sfix.Matrix(n, classes)
    u.assign_vector(logits)
    r = [relu(u.get_column(j)) for j in range(classes)]
    total = sum(r[1:], r[0])
    positive = total > 0
    inverse = 1 / total  # meaningless where total == 0; masked below
    uniform = sfix(1.0 / classes).expand_to_vector(n)
    return [positive.if_else(x * inverse, uniform) for x in r]
`;

const exactSoftmax = `
def ppvc_exact_softmax(logits, n, classes):
    """MP-SPDZ's softmax (ml.softmax) for every frame.

    :param logits: sfix vector of n * classes values, frame-major
    :returns: list of \`classes\` sfix vectors over the n frames
    """
    u = sfix.Matrix(n, classes)
    u.assign_vector(logits)
    res = sfix.Matrix(classes, n)
    for i in range(n):
        probs = softmax(u[i].get_vector())
        for j in range(classes):
            res[j][i] = probs[j]
    return [res[j].get_vector() for j in range(classes)]
`;


export const HELPERS: Record<HelperName, Helper> = {
  ordered: { name: 'ordered', needs: [], code: ordered },
  windows: { name: 'windows', needs: [], code: windows },
  avgpool: { name: 'avgpool', needs: ['ordered', 'windows'], code: avgpool },
  maxpool: { name: 'maxpool', needs: ['ordered', 'windows'], code: maxpool },
  input: { name: 'input', needs: ['ordered'], code: input },
  relu: { name: 'relu', needs: ['ordered'], code: relu },
  conv: { name: 'conv', needs: ['ordered'], code: conv },
  winograd: { name: 'winograd', needs: ['ordered', 'windows', 'conv'], code: winograd },
  depthwise: { name: 'depthwise', needs: ['ordered'], code: depthwise },
  batchnorm: { name: 'batchnorm', needs: ['ordered'], code: batchnorm },
  reshape_ops: { name: 'reshape_ops', needs: ['ordered', 'windows'], code: reshapeOps },
  merge: { name: 'merge', needs: ['ordered'], code: merge },
  argmax: { name: 'argmax', needs: [], code: argmax },
  relu_softmax: { name: 'relu_softmax', needs: [], code: reluSoftmax },
  exact_softmax: { name: 'exact_softmax', needs: [], code: exactSoftmax },
};

export const HELPER_NAMES = Object.keys(HELPERS) as HelperName[];

/** The helpers and everything they depend on, in a fixed order (deterministic output). */
export function closeHelpers(wanted: Iterable<HelperName>): HelperName[] {
  const set = new Set<HelperName>();
  const add = (h: HelperName) => {
    if (set.has(h)) return;
    HELPERS[h].needs.forEach(add);
    set.add(h);
  };
  for (const h of wanted) add(h);
  const order = Object.keys(HELPERS) as HelperName[];
  return order.filter((h) => set.has(h));
}
