"""The index arithmetic of windows.py's _ppvc_rectangle: where a padding writes its input inside its output,
and where a crop reads its output inside its input, against a brute force over NHWC positions."""

import itertools

import pytest
from runtime import load

ns = load("ordered", "windows")


def brute_rectangle(base, outer, inner, top, left):
    _, outer_h, outer_w, channels = outer
    n, h, w, _ = inner
    return [
        base + ((b * outer_h + top + r) * outer_w + left + c) * channels + k
        for b, r, c, k in itertools.product(range(n), range(h), range(w), range(channels))
    ]


@pytest.mark.parametrize(
    "outer,inner,top,left",
    [
        ((1, 1, 1, 1), (1, 1, 1, 1), 0, 0),
        ((2, 5, 6, 3), (2, 3, 4, 3), 1, 2),
        ((3, 4, 4, 1), (3, 2, 2, 1), 2, 0),
        ((1, 7, 3, 2), (1, 4, 1, 2), 0, 2),
    ],
)
def test_rectangle_is_the_inner_tensor_in_its_own_order(outer, inner, top, left):
    got = ns["_ppvc_rectangle"](100, outer, inner, top, left)
    assert got == brute_rectangle(100, outer, inner, top, left)
    assert len(set(got)) == len(got)  # no two inner values share an address
