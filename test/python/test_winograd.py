"""Winograd's transforms: A^T [(G g) * (B^T d)] is the correlation of d with g, for every tile
the points allow; B^T and A^T are integers; the weights' scale 2^e q and q's inverse."""

import itertools
import random
from fractions import Fraction
from types import SimpleNamespace

import pytest
from runtime import load

ns = load("ordered", "windows", "conv", "winograd")
transforms = ns["_ppvc_winograd_transforms"]

CONFIGS = [(m, r) for r in range(1, 6) for m in range(1, 7) if m + r - 1 <= 6]


def matvec(matrix, vector):
    return [sum(a * b for a, b in zip(row, vector)) for row in matrix]


@pytest.mark.parametrize("m,r", CONFIGS)
def test_transforms_compute_the_correlation(m, r):
    at, g, bt = transforms(m, r)
    rng = random.Random(m * 10 + r)
    for _ in range(5):
        d = [Fraction(rng.randint(-9, 9)) for _ in range(m + r - 1)]
        w = [Fraction(rng.randint(-9, 9)) for _ in range(r)]
        product = [a * b for a, b in zip(matvec(g, w), matvec(bt, d))]
        want = [sum(d[i + j] * w[j] for j in range(r)) for i in range(m)]
        assert matvec(at, product) == want


@pytest.mark.parametrize("m,r", CONFIGS)
def test_input_and_output_transforms_are_integers(m, r):
    at, _, bt = transforms(m, r)
    assert all(x.denominator == 1 for x in itertools.chain(*at, *bt))


def test_f2_3_is_the_paper_s():
    # Lavin and Gray's F(2, 3), up to the order of the points
    at, g, bt = transforms(2, 3)
    assert at == [[1, 1, 1, 0], [0, 1, -1, 1]]
    assert g == [[1, 0, 0], [Fraction(1, 2), Fraction(1, 2), Fraction(1, 2)],
                 [Fraction(1, 2), Fraction(-1, 2), Fraction(1, 2)], [0, 0, 1]]  # fmt: skip
    assert bt == [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, -1, 0, 1]]


def test_more_than_six_points_is_refused():
    with pytest.raises(AssertionError, match="more than 6 points"):
        transforms(5, 3)


def test_denominator_is_the_least_common_one():
    assert ns["_ppvc_denominator"]([Fraction(1, 2), Fraction(1, 3), Fraction(5, 4)]) == 12
    assert ns["_ppvc_denominator"]([Fraction(2), Fraction(-7)]) == 1


def test_combine_skips_zeros_and_negates_without_a_product():
    assert ns["_ppvc_combine"]([1, 0, -1, 3], [10, 20, 30, 40]) == 10 - 30 + 120
    assert ns["_ppvc_combine"]([Fraction(2), Fraction(0)], [5, 7]) == 10
    assert ns["_ppvc_combine"]([0, 0], [5, 7]) is None


@pytest.mark.parametrize(
    "kernel,tile,e,q",
    [((3, 3), (2, 2), 2, 1), ((3, 3), (3, 3), 2, 9), ((3, 3), (4, 4), 6, 9), ((5, 5), (2, 2), 6, 9),
     ((1, 3), (1, 4), 3, 3), ((2, 2), (5, 4), 4, 9)],
)
def test_weight_scale_is_two_to_the_e_times_odd_q(kernel, tile, e, q):
    layer = SimpleNamespace(weight_shape=(*kernel, 1, 1), tile=tile)
    *_, (scale_h, scale_w), got_e, got_q = ns["PpvcWinogradConv2d"]._weight_bits(layer)
    assert (got_e, got_q) == (e, q)
    assert scale_h * scale_w == 2**e * q


@pytest.mark.parametrize("ring", [32, 64, 72])
def test_inverse_of_odd_in_a_ring_is_a_signed_constant(ring):
    program = ns["get_program"]()
    program.options = SimpleNamespace(ring=str(ring))
    try:
        for q in (1, 3, 9, 27, 2**ring - 1):
            inverse = ns["_ppvc_inverse_of_odd"](q, 1)
            assert (q * inverse) % 2**ring == 1
            assert -(2 ** (ring - 1)) <= inverse < 2 ** (ring - 1)
    finally:
        del program.options
