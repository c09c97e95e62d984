"""``torch.version`` and ``torch.__version__``.

Programs compare ``torch.__version__`` to pick code paths (``>= "1.10"``, or
``packaging.version.parse``). chainrule.torch reports the PyTorch release whose API it
follows, with chainrule's own version as the local label ("2.13.0+chainrule.0.1.0"), as
a string that compares as a version the way PyTorch's ``TorchVersion`` does: "2.13.0"
is above "2.9", where plain strings would put it below.
"""

from __future__ import annotations

import re

from .. import __version__ as _chainrule_version

__all__ = ["TorchVersion", "__version__", "cuda", "debug", "git_version", "hip"]

# The PyTorch release chainrule.torch is compared against (its parity runs and tests).
API_VERSION = "2.13.0"

_RELEASE = re.compile(r"\s*v?(\d+(?:\.\d+)*)")


def _release(value):
    """The numeric release of a version string or tuple, as a tuple of ints."""
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)
    match = _RELEASE.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a version to compare with torch.__version__")
    return tuple(int(v) for v in match.group(1).split("."))


def _padded(a, b):
    n = max(len(a), len(b))
    return a + (0,) * (n - len(a)), b + (0,) * (n - len(b))


class TorchVersion(str):
    """A version string compared by its release numbers (2.13.0 > 2.9), against other
    strings or tuples of numbers; equality as a string stays a string's."""

    def _pair(self, other):
        return _padded(_release(self), _release(other))

    def __lt__(self, other):
        a, b = self._pair(other)
        return a < b

    def __le__(self, other):
        a, b = self._pair(other)
        return a <= b

    def __gt__(self, other):
        a, b = self._pair(other)
        return a > b

    def __ge__(self, other):
        a, b = self._pair(other)
        return a >= b

    __hash__ = str.__hash__


__version__ = TorchVersion(f"{API_VERSION}+chainrule.{_chainrule_version}")
cuda = None  # (no CUDA build: the CPU only)
hip = None
debug = False
git_version = ""
