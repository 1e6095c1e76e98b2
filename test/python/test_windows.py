"""The index arithmetic of windows.py: address vectors, which outputs a window position
reaches inside the input, and the pooling output shape (Keras's)."""

import itertools

import pytest
from runtime import load

ns = load("ordered", "windows")


@pytest.mark.parametrize("n,rows,cols,chans", [(1, 1, 1, 1), (2, 3, 4, 5), (3, 2, 1, 4), (1, 5, 5, 1)])
def test_index_is_batch_major_then_row_column_channel(n, rows, cols, chans):
    strides = (1000, 100, 10, 1)
    got = ns["_ppvc_index"](n, rows, cols, chans, *strides[:3], chan_stride=strides[3], base=7)
    want = [
        7 + b * strides[0] + r * strides[1] + c * strides[2] + k * strides[3]
        for b, r, c, k in itertools.product(range(n), range(rows), range(cols), range(chans))
    ]
    assert got == want


def test_index_default_channel_stride_and_base():
    assert ns["_ppvc_index"](1, 2, 2, 2, 0, 10, 4) == [0, 1, 4, 5, 10, 11, 14, 15]


def brute_inside(outputs, size, stride, offset):
    inside = [o for o in range(outputs) if 0 <= o * stride + offset < size]
    return (inside[0], inside[-1] + 1) if inside else None


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("size", [1, 2, 5, 8])
def test_inside_is_the_outputs_whose_position_lies_in_the_input(stride, size):
    for outputs in range(1, 6):
        for offset in range(-3, 4):
            first, last = ns["_ppvc_inside"](outputs, size, stride, offset)
            want = brute_inside(outputs, size, stride, offset)
            if want is None:
                assert first >= last  # an empty range
            else:
                assert (first, last) == want


@pytest.mark.parametrize(
    "shape,pool,strides,padding,want",
    [
        # VALID: floor((H - k) / s) + 1, no padding
        ([2, 6, 7, 3], (2, 2), (2, 2), "VALID", ([2, 3, 3, 3], [0, 0])),
        ([1, 5, 5, 1], (3, 3), (1, 1), "VALID", ([1, 3, 3, 1], [0, 0])),
        # SAME: ceil(H / s), the padding's smaller half on top/left (Keras, TensorFlow)
        ([1, 5, 5, 1], (3, 3), (1, 1), "SAME", ([1, 5, 5, 1], [1, 1])),
        ([1, 6, 7, 2], (2, 2), (2, 2), "SAME", ([1, 3, 4, 2], [0, 0])),
        ([1, 4, 4, 1], (3, 3), (2, 2), "SAME", ([1, 2, 2, 1], [0, 0])),
        ([1, 5, 4, 1], (4, 2), (1, 1), "SAME", ([1, 5, 4, 1], [1, 0])),
    ],
)
def test_pool_output_shape(shape, pool, strides, padding, want):
    got = ns["_ppvc_pool_output_shape"](shape, pool, strides, padding)
    assert (list(got[0]), list(got[1])) == want
