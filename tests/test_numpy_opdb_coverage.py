"""Every function chainrule.numpy defines (rather than re-exports from NumPy) has an
op-database entry (tests/opdb/numpy_namespace.py)."""

from __future__ import annotations

import inspect

from opdb import OPS

import chainrule.numpy as cnp


def _chainrule_functions():
    out = []
    for name in sorted(dir(cnp)):
        obj = getattr(cnp, name)
        if name.startswith("_") or not callable(obj) or inspect.isclass(obj):
            continue
        if inspect.ismodule(obj) or not getattr(obj, "__module__", "").startswith("chainrule"):
            continue
        out.append(f"cnp.{name}")
    return out


def test_every_chainrule_numpy_function_has_an_entry():
    covered = {op.name.split(" ")[0] for op in OPS}
    public = _chainrule_functions()
    missing = [name for name in public if name not in covered]
    print(f"op database: {len(public) - len(missing)} of {len(public)} chainrule.numpy "
          f"functions covered")
    assert not missing, f"chainrule.numpy functions without an op-database entry: {missing}"
