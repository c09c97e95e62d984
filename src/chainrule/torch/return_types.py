"""``torch.return_types``: the named tuples PyTorch's functions of several results return
(``max(dim)``, ``sort``, ``topk``: ``values`` and ``indices``; ``linalg.svd``: ``U``, ``S``,
``Vh``; ...), one class per function with PyTorch's name and field names, printed as
PyTorch prints them (``torch.return_types.max(`` then ``values=...,`` and
``indices=...)``, one field per line). Each is a tuple: it unpacks and indexes as one."""

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
kthvalue = _returned("kthvalue")
cummax = _returned("cummax")
cummin = _returned("cummin")
aminmax = _returned("aminmax", ("min", "max"))
frexp = _returned("frexp", ("mantissa", "exponent"))
histogram = _returned("histogram", ("hist", "bin_edges"))
geqrf = _returned("geqrf", ("a", "tau"))
triangular_solve = _returned("triangular_solve", ("solution", "cloned_coefficient"))
slogdet = _returned("slogdet", ("sign", "logabsdet"))
qr = _returned("qr", ("Q", "R"))
svd = _returned("svd", ("U", "S", "V"))
lu_unpack = _returned("lu_unpack", ("P", "L", "U"))
_lu_with_info = _returned("_lu_with_info", ("LU", "pivots", "info"))
linalg_slogdet = _returned("linalg_slogdet", ("sign", "logabsdet"))
linalg_eigh = _returned("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_qr = _returned("linalg_qr", ("Q", "R"))
linalg_svd = _returned("linalg_svd", ("U", "S", "Vh"))
linalg_lu = _returned("linalg_lu", ("P", "L", "U"))
linalg_lu_factor = _returned("linalg_lu_factor", ("LU", "pivots"))
linalg_inv_ex = _returned("linalg_inv_ex", ("inverse", "info"))
linalg_cholesky_ex = _returned("linalg_cholesky_ex", ("L", "info"))
linalg_solve_ex = _returned("linalg_solve_ex", ("result", "info"))
linalg_lstsq = _returned("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))


def returned(name, values):
    """``values`` (a tuple, or a named tuple of another class) as ``torch.return_types.<name>``."""
    return globals()[name](*values)


__all__ = ["aminmax", "cummax", "cummin", "frexp", "geqrf", "histogram", "kthvalue",
           "linalg_cholesky_ex", "linalg_eigh", "linalg_inv_ex", "linalg_lstsq", "linalg_lu",
           "linalg_lu_factor", "linalg_qr", "linalg_slogdet", "linalg_solve_ex", "linalg_svd",
           "lu_unpack", "max", "median", "min", "mode", "nanmedian", "qr", "slogdet", "sort",
           "svd", "topk", "triangular_solve"]
