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

A program written for PyTorch (calling through chainrule.torch) sees no NumPy
floating-point warnings, as PyTorch prints none: log(0) is -inf and 0/0 NaN without a
word. They are dropped when a frame of chainrule.torch lies between the user's line and
NumPy. A filter with the action "error" still raises, since the warnings module raises
before anything is shown.
"""

from __future__ import annotations

import os
import re
import sys
import warnings

import numpy as np

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_SKIPPED = (_PACKAGE_DIR, os.path.dirname(os.path.abspath(np.__file__)) + os.sep,
            os.path.dirname(os.path.abspath(warnings.__file__)) + os.sep + "warnings.py")
_FRONT_END_DIR = os.path.join(_PACKAGE_DIR, "torch") + os.sep
_FLOATING_POINT = re.compile(r"(divide by zero|invalid value|overflow|underflow) encountered")
_shown = set()
_OWN_MODULE_PATTERN = r"chainrule(\.|$)"


def _user_line():
    """(file, line, module) of the innermost frame outside chainrule and NumPy, and
    whether chainrule.torch was on the way there."""
    f = sys._getframe(2)
    front_end = False
    while f is not None and f.f_code.co_filename.startswith(_SKIPPED):
        front_end = front_end or f.f_code.co_filename.startswith(_FRONT_END_DIR)
        f = f.f_back
    if f is None:
        return None
    return f.f_code.co_filename, f.f_lineno, f.f_globals.get("__name__", ""), front_end


def _action(message, category, module, lineno):
    """The action the warning filters give this warning at the user's line: the first
    matching filter's, as the warnings module decides (chainrule's own filter, which
    only let the warning out of chainrule's files, does not count)."""
    text = str(message)
    for action, msg, cat, mod, ln in warnings.filters:
        # (Patterns are compiled by filterwarnings; some packages add plain strings.)
        mod = re.compile(mod) if isinstance(mod, str) else mod
        msg = re.compile(msg, re.I) if isinstance(msg, str) else msg
        if mod is not None and mod.pattern == _OWN_MODULE_PATTERN:
            continue
        if ((msg is None or msg.match(text)) and issubclass(category, cat)
                and (mod is None or mod.match(module)) and (ln == 0 or ln == lineno)):
            return action
    return warnings.defaultaction


def _wrap(show):
    def showwarning(message, category, filename, lineno, file=None, line=None):
        if str(filename).startswith(_PACKAGE_DIR):
            where = _user_line()
            if where is not None:
                filename, lineno, module, front_end = where
                if (front_end and issubclass(category, RuntimeWarning)
                        and _FLOATING_POINT.match(str(message))):
                    return
                action = _action(message, category, module, lineno)
                if action == "ignore":
                    return
                if action not in ("always", "all", "error"):
                    # Once per line (Python's "default"), per module or per process.
                    key = {"module": (str(message), category, filename),
                           "once": (str(message), category)}.get(
                        action, (str(message), category, filename, lineno))
                    if key in _shown:
                        return
                    _shown.add(key)
                line = None
        show(message, category, filename, lineno, file, line)

    showwarning._chainrule = True
    return showwarning


def install():
    """Put the filter and the showwarning wrapper in place (once per process)."""
    if getattr(warnings.showwarning, "_chainrule", False):
        return
    warnings.filterwarnings("always", module=_OWN_MODULE_PATTERN, append=True)
    warnings.showwarning = _wrap(warnings.showwarning)
