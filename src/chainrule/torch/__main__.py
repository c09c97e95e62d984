"""``python -m chainrule.torch PROGRAM.py [ARGS...]``: run a PyTorch program on chainrule.torch
(see chainrule.torch.aliasing)."""

import sys

from .aliasing import run

sys.exit(run(sys.argv[1:]))
