"""numpy.lib's names that chainrule differentiates: stride_tricks.sliding_window_view."""

from . import stride_tricks  # noqa: F401
