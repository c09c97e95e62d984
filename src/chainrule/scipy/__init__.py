"""SciPy's names over chainrule's differentiable operations; SciPy is not needed at run time.

``special`` (gamma, error and Bessel functions, ...), ``stats`` (distributions),
``signal`` (convolve), ``linalg``, ``integrate`` (odeint), ``optimize`` (minimize, BFGS
as JAX's) and ``spatial.distance``. Each
is imported when first used (``chainrule.scipy.stats``, ``from chainrule.scipy import
signal``), so ``import chainrule`` does not pay for all of them.
"""

from __future__ import annotations

import importlib

__all__ = ["integrate", "linalg", "optimize", "signal", "spatial", "special", "stats"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
