"""``python -m chainrule.jax program.py [ARGS...]``: run a JAX program on chainrule."""

import sys

from . import run

sys.exit(run(sys.argv[1:]))
