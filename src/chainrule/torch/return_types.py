"""``torch.return_types``: the named pairs reductions such as ``max(dim)``, ``sort`` and
``topk`` return (``values``, ``indices``), one class per function, printed as PyTorch
prints them (``torch.return_types.max(values=..., indices=...)``, one field per line)."""

from __future__ import annotations

from collections import namedtuple


def _returned(name, fields=("values", "indices")):
    base = namedtuple(name, fields)

    def __repr__(self):  # noqa: N807 (the method's own name)
        body = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__,
                               "__module__": "torch.return_types", "__qualname__": name})
    return cls


max = _returned("max")  # noqa: A001 (PyTorch's names)
min = _returned("min")  # noqa: A001
sort = _returned("sort")
topk = _returned("topk")
mode = _returned("mode")
median = _returned("median")
nanmedian = _returned("nanmedian")

__all__ = ["max", "median", "min", "mode", "nanmedian", "sort", "topk"]
