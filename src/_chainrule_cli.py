"""The ``chainrule`` command's entry point, outside the package on purpose.

Importing chainrule.cli first runs the package's own imports (NumPy, the engine, the
layers): a Ctrl-C during them would print a traceback, as an uncaught KeyboardInterrupt
does. This module imports nothing of chainrule until it can catch that.
"""

import sys


def main():
    try:
        from chainrule.cli import main as run
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return run()
