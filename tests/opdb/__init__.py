"""The op database: one entry per public function, checked by tests/test_op_database.py.

Each area has its own module of entries (``OPS``); an operation added to chainrule adds
its entry to the module of its area.
"""

from __future__ import annotations

from . import (
    engine,
    jax_nn,
    lax_ops,
    linalg,
    nn_conv,
    nn_functional,
    numpy_namespace,
    sampling,
    scipy_namespace,
    tensor_ops,
)
from .core import OpInfo, Sample, check_sample

OPS: list[OpInfo] = [*engine.OPS, *linalg.OPS, *tensor_ops.OPS, *numpy_namespace.OPS,
                     *scipy_namespace.OPS, *nn_functional.OPS, *sampling.OPS,
                     *nn_conv.OPS, *jax_nn.OPS, *lax_ops.OPS]

__all__ = ["OPS", "OpInfo", "Sample", "check_sample"]
