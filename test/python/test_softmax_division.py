"""The constants of the softmax's Goldschmidt division: the seed's error bound, and that the
iteration count ring-fit.ts derives from it reaches the wanted bits."""

import math

import pytest
from runtime import load

SEED = load("softmax_division")["_PPVC_GOLDSCHMIDT_SEED"]
ERROR_BITS = 3.5  # src/ir/ring-fit.ts GOLDSCHMIDT_SEED_ERROR_BITS


def seed_error(z):
    return 1 - z * (SEED - 2 * z)


def test_seed_is_within_two_to_the_minus_three_and_a_half_of_the_inverse():
    # e(z) = 1 - SEED z + 2 z^2 on [1/2, 1]: largest at the ends or at its minimum SEED / 4
    extremes = [0.5, 1.0, SEED / 4]
    worst = max(abs(seed_error(z)) for z in extremes)
    assert worst < 2**-ERROR_BITS
    grid = [0.5 + i / 2**16 for i in range(2**15 + 1)]
    assert max(abs(seed_error(z)) for z in grid) <= worst + 1e-12


@pytest.mark.parametrize("bits", [8, 12, 20, 30])
def test_iterations_reach_the_bits(bits):
    # normalisedDivision's count: ceil(log2(bits / 3.5)), at least 1
    iterations = max(1, math.ceil(math.log2(bits / ERROR_BITS)))
    for z in (0.5, 0.6, SEED / 4, 0.9, 1 - 2**-bits):
        w = SEED - 2 * z
        e = 1 - z * w
        y = w
        for _ in range(iterations):
            y *= 1 + e
            e *= e
        assert abs(y - 1 / z) < 2**-bits
