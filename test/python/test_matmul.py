"""The index arithmetic of matmul.py: the blocks that cover a dimension, and where the
convolution-as-matrix-product gathers its left factor (_ppvc_im2col_addresses), checked against
a direct convolution computed by brute force on plain numbers."""

import itertools
import random

import pytest
from runtime import load

ns = load("ordered", "windows", "matmul")


@pytest.mark.parametrize("size,block", [(1, 1), (7, 7), (7, 3), (10, 4), (64, 64), (5, 9)])
def test_blocks_cover_the_dimension_once_padded_to_whole_blocks(size, block):
    starts = list(ns["_ppvc_blocks"](size, block))
    assert starts == list(range(0, len(starts) * block, block))
    assert (len(starts) - 1) * block < size <= len(starts) * block


def direct_convolution(x, shape, w, kernel, strides, padding, output_hw):
    """Keras's convolution of x (n, H, W, C) with w (kh, kw, C, out), zeros outside."""
    n, H, W, C = shape
    kh, kw = kernel
    out = len(w) // (kh * kw * C)
    res = []
    for b, oy, ox, o in itertools.product(
        range(n), range(output_hw[0]), range(output_hw[1]), range(out)
    ):
        total = 0
        for i, j, c in itertools.product(range(kh), range(kw), range(C)):
            y, xx = oy * strides[0] + i - padding[0], ox * strides[1] + j - padding[1]
            if 0 <= y < H and 0 <= xx < W:
                total += x[((b * H + y) * W + xx) * C + c] * w[((i * kw + j) * C + c) * out + o]
        res.append(total)
    return res


@pytest.mark.parametrize(
    "shape,kernel,strides,padding,output_hw,out",
    [
        ((1, 4, 4, 1), (3, 3), (1, 1), (0, 0), (2, 2), 2),  # VALID
        ((2, 5, 5, 2), (3, 3), (1, 1), (1, 1), (5, 5), 3),  # SAME
        ((1, 6, 5, 1), (3, 3), (2, 2), (0, 1), (3, 3), 2),  # SAME, stride 2 (Keras pads after)
        ((2, 3, 3, 4), (1, 1), (1, 1), (0, 0), (3, 3), 5),  # 1x1
        ((1, 7, 7, 1), (5, 5), (1, 1), (0, 0), (2, 2), 1),  # VALID, the last rows unread
    ],
)
def test_im2col_times_the_kernel_is_the_direct_convolution(
    shape, kernel, strides, padding, output_hw, out
):
    rng = random.Random(repr(shape))
    n, H, W, C = shape
    kh, kw = kernel
    x = [rng.randint(-9, 9) for _ in range(n * H * W * C)]
    w = [rng.randint(-9, 9) for _ in range(kh * kw * C * out)]
    top, left = padding
    padded_h = max((output_hw[0] - 1) * strides[0] + kh, top + H)
    padded_w = max((output_hw[1] - 1) * strides[1] + kw, left + W)
    # the padded input as _ppvc_im2col lays it out, at address 1000
    memory = {1000 + i: 0 for i in range(n * padded_h * padded_w * C)}
    for b, y, xx, c in itertools.product(range(n), range(H), range(W), range(C)):
        memory[1000 + ((b * padded_h + top + y) * padded_w + left + xx) * C + c] = x[
            ((b * H + y) * W + xx) * C + c
        ]
    addresses = ns["_ppvc_im2col_addresses"](
        1000, (n, padded_h, padded_w, C), kernel, strides, output_hw
    )
    rows, inner = n * output_hw[0] * output_hw[1], kh * kw * C
    assert len(addresses) == rows * inner
    a = [memory[address] for address in addresses]
    product = [
        sum(a[r * inner + i] * w[i * out + o] for i in range(inner))
        for r in range(rows)
        for o in range(out)
    ]
    assert product == direct_convolution(x, shape, w, kernel, strides, padding, output_hw)


class FakeMemory:
    """Enough of MP-SPDZ's memory and matrix products, on plain numbers, to run
    _ppvc_matrix_products itself: sint.Matrix allocations, gathers and scatters through address
    vectors, and direct_matrix_mul with its row and column indices (matmulsm's semantics)."""

    def __init__(self):
        self.cells, self.next = {}, 1000
        memory = self

        class Vector(list):
            @property
            def size(self):
                return len(self)

            def store_in_mem(self, addresses):
                assert len(addresses) == len(self)
                memory.cells.update(zip(addresses, self))

            def __add__(self, other):
                return Vector(a + b for a, b in zip(self, other, strict=True))

        class Matrix:
            def __init__(self, rows, cols):
                self.sizes, self.address = (rows, cols), memory.next
                memory.next += rows * cols + 7  # a gap: a stray address reads nothing

            def assign_vector(self, values):
                memory.cells.update((self.address + i, v) for i, v in enumerate(values))

            def assign_all(self, value):
                self.assign_vector([value] * (self.sizes[0] * self.sizes[1]))

            def delete(self):
                pass

        class Sint:
            @staticmethod
            def load_mem(addresses):
                return Vector(memory.cells[a] for a in addresses)

            @staticmethod
            def direct_matrix_mul(a, b, n, m, l, indices):
                rows, a_cols, b_rows, cols = indices
                assert len(a_cols) == len(b_rows) and max(rows) < n and max(a_cols) < m
                at = memory.cells
                return Vector(
                    sum(at[a + i * m + h] * at[b + g * l + j] for h, g in zip(a_cols, b_rows))
                    for i in rows
                    for j in cols
                )

        Sint.Matrix = Matrix
        self.Vector, self.sint = Vector, Sint


class NoScope:
    def __enter__(self):
        pass

    def __exit__(self, *exc):
        pass


@pytest.mark.parametrize("trial", range(60))
def test_matrix_products_in_blocks_are_the_products(trial):
    rng = random.Random(trial)
    memory = FakeMemory()
    blocked = load("ordered", "windows", "matmul")
    blocked.update(sint=memory.sint, break_point=lambda: None, _ppvc_ordered_memory=NoScope)
    rows, inner, cols = rng.randint(1, 9), rng.randint(1, 9), rng.randint(1, 9)
    block = (rng.randint(1, 10), rng.randint(1, 10), rng.randint(1, 10))
    pairs, expected = [], []
    for _ in range(rng.randint(1, 3)):
        a = [rng.randint(-9, 9) for _ in range(rows * inner)]
        b = [rng.randint(-9, 9) for _ in range(inner * cols)]
        pairs.append((memory.Vector(a), memory.Vector(b)))
        expected.append(
            [sum(a[i * inner + t] * b[t * cols + j] for t in range(inner)) for i in range(rows) for j in range(cols)]
        )
    got = blocked["_ppvc_matrix_products"](pairs, (rows, inner, cols), block)
    assert [list(g) for g in got] == expected, (rows, inner, cols, block)
