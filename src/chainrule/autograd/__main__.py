"""``python -m chainrule.autograd PROGRAM.py [ARGS...]``: run an autograd program on
chainrule (see chainrule.autograd)."""

import sys

from . import run

sys.exit(run(sys.argv[1:]))
