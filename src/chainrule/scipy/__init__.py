"""SciPy-named functions over chainrule's differentiable operations (``special`` only)."""

from . import special
