"""SciPy's names over chainrule's differentiable operations; SciPy is not needed at run time.

``special`` (gamma, error and Bessel functions, ...), ``stats`` (distributions),
``signal`` (convolve), ``linalg``, ``integrate`` (odeint) and ``spatial.distance``.
"""

from . import integrate, linalg, signal, spatial, special, stats
