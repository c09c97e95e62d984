"""NumPy's warnings from inside chainrule's operations, shown at the user's line.

A NumPy floating-point warning (``invalid value encountered in log``) raised while a
primitive's forward runs names the frame that called NumPy: a line of chainrule's
graph.py, the same for every operation, so the warnings module would also show it only
once per process whatever line of the user's caused it. Importing chainrule therefore
adds, at the end of the warning filters (every filter already there or added later
takes precedence), one that lets warnings raised inside chainrule's files through, and
wraps ``warnings.showwarning`` to show each at the innermost line outside chainrule and
NumPy, once per message and line (Python's own default). Warnings that chainrule issues
itself already name the user's line (their stacklevel) and pass through unchanged.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_SKIPPED = (_PACKAGE_DIR, os.path.dirname(os.path.abspath(np.__file__)) + os.sep,
            os.path.dirname(os.path.abspath(warnings.__file__)) + os.sep + "warnings.py")
_shown = set()


def _user_line():
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename.startswith(_SKIPPED):
        f = f.f_back
    return None if f is None else (f.f_code.co_filename, f.f_lineno)


def _wrap(show):
    def showwarning(message, category, filename, lineno, file=None, line=None):
        if str(filename).startswith(_PACKAGE_DIR):
            where = _user_line()
            if where is not None:
                key = (str(message), category, *where)
                if key in _shown:
                    return
                _shown.add(key)
                filename, lineno = where
                line = None
        show(message, category, filename, lineno, file, line)

    showwarning._chainrule = True
    return showwarning


def install():
    """Put the filter and the showwarning wrapper in place (once per process)."""
    if getattr(warnings.showwarning, "_chainrule", False):
        return
    warnings.filterwarnings("always", module=r"chainrule(\.|$)", append=True)
    warnings.showwarning = _wrap(warnings.showwarning)
