"""Winograd's transforms: A^T [(G g) * (B^T d)] is the correlation of d with g, for every tile
the points allow; B^T and A^T are integers; the helpers for the weights' extra bits."""

import itertools
import random
from fractions import Fraction

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


@pytest.mark.parametrize("k,f", [(31, 16), (24, 12)])
def test_extra_bits_stay_within_the_ring(k, f):
    ns["sfix"].k, ns["sfix"].f = k, f
    extra = ns["PpvcWinogradConv2d"]._extra_bits
    at4, _, bt4 = transforms(4, 3)
    bits = extra(at4, bt4, at4, bt4)
    assert 0 < bits <= 64 - 2 - k - f
    at2, _, bt2 = transforms(2, 3)
    assert extra(at2, bt2, at2, bt2) <= bits
