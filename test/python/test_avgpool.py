"""The divisors of the average pooling: how many real inputs each window covers."""

import pytest
from runtime import load

ns = load("ordered", "windows", "avgpool")


@pytest.mark.parametrize("size,k,s", [(5, 3, 1), (6, 2, 2), (7, 3, 2), (4, 4, 1), (1, 1, 1)])
def test_covered_counts_real_inputs_per_window(size, k, s):
    for padding in ("VALID", "SAME"):
        (_, outputs, _, _), (pad, _) = ns["_ppvc_pool_output_shape"](
            [1, size, size, 1], (k, k), (s, s), padding
        )
        want = [
            sum(1 for i in range(o * s - pad, o * s - pad + k) if 0 <= i < size)
            for o in range(outputs)
        ]
        assert ns["_ppvc_covered"](outputs, size, k, s, pad) == want
