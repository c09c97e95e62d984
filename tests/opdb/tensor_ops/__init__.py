"""Op database entries for the tensor operations of issue 15: indexing and scatter,
sorting and selection, shape and construction, statistics and signals.

Functions with PyTorch's names (``cr.gather``, ``cr.topk``, ...) are checked against
references written here with loops over NumPy arrays (tests/opdb/tensor_ops/refs.py);
NumPy's names against NumPy itself.
"""

from __future__ import annotations

from . import construction, indexing, signal, sorting, statistics

OPS = [*indexing.OPS, *sorting.OPS, *construction.OPS, *statistics.OPS, *signal.OPS]
