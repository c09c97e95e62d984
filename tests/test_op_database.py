"""Every public function, checked through one op database (tests/opdb).

For each entry and each of its samples: values against NumPy/SciPy, gradients in
reverse and forward mode to second order (float64), the same with a list of tensors
where NumPy takes array_like, float32 kept, and finite results on the domain.
"""

from __future__ import annotations

import numpy as np
import pytest
from opdb import OPS, check_sample

_RUNS = [(op, k) for op in OPS for k in range(len(op.samples(np.random.default_rng(0))))]


@pytest.mark.parametrize(
    "op, k", _RUNS, ids=[f"{op.name}-{k}" for op, k in _RUNS]
)
def test_op(op, k):
    # Each sample is drawn again from a generator seeded by the entry's name and index,
    # so a failure reproduces on its own.
    rng = np.random.default_rng(k)
    sample = op.samples(rng)[k]
    check_sample(op, sample)
