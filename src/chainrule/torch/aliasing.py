"""Run a program written for PyTorch on chainrule.torch unchanged: ``torch`` and every
``torch.*`` module resolve to ``chainrule.torch`` and ``chainrule.torch.*``.

    python -m chainrule.torch train.py --epochs 3

or, inside Python before the program's imports, ``chainrule.torch.aliasing.install()``.
Only the ``torch`` package is redirected; other packages the program imports
(torchvision, gym) are looked up as usual. A module chainrule.torch does not have raises
ModuleNotFoundError naming both names.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys

__all__ = ["install", "run"]

_REAL = "chainrule.torch"


class _TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self):
        self.own_specs = {}

    def find_spec(self, name, path=None, target=None):
        if name != "torch" and not name.startswith("torch."):
            return None
        real = _REAL + name[len("torch"):]
        if real not in sys.modules and importlib.util.find_spec(real) is None:
            raise ModuleNotFoundError(
                f"No module named {name!r}: chainrule.torch has no {real!r} (running a "
                f"PyTorch program on chainrule.torch; see docs/coming-from-pytorch.md)",
                name=name,
            )
        return importlib.util.spec_from_loader(name, self, is_package=True)

    def create_module(self, spec):
        module = importlib.import_module(_REAL + spec.name[len("torch"):])
        self.own_specs[spec.name] = module.__spec__  # (the import system sets the alias's)
        # Submodules registered by name only (torch.backends.cudnn) are aliased too:
        # the import system looks for them in sys.modules under the alias.
        prefix = module.__name__ + "."
        for name, sub in list(sys.modules.items()):
            if name.startswith(prefix):
                sys.modules.setdefault("torch" + name[len(_REAL):], sub)
        return module

    def exec_module(self, module):
        # Already executed under its own name; it keeps its own spec.
        module.__spec__ = self.own_specs.pop(module.__spec__.name)


def install():
    """Make ``import torch`` (and ``torch.*``) give chainrule.torch from now on."""
    if not any(isinstance(f, _TorchAlias) for f in sys.meta_path):
        sys.meta_path.insert(0, _TorchAlias())
    sys.modules.setdefault("torch", importlib.import_module(_REAL))


def run(argv):
    """``python -m chainrule.torch program.py args...``: run it as ``__main__`` with the
    alias installed, its directory first on sys.path, ``sys.argv`` as it would see.
    ``-m module args...`` and ``-c code args...`` work as they do for python itself
    (``python -m chainrule.torch -m pytest tests/``)."""
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m chainrule.torch (PROGRAM.py | -m MODULE | -c CODE) [ARGS...]"
              "\n\n" + __doc__.strip())
        return 0 if argv else 2
    if argv[0] in ("-m", "-c") and len(argv) > 1:
        install()
        sys.path.insert(0, os.getcwd())
        if argv[0] == "-c":
            sys.argv = ["-c", *argv[2:]]
            exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
        else:
            sys.argv = [argv[1], *argv[2:]]
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    program = os.path.abspath(argv[0])
    if not os.path.isfile(program):
        print(f"python -m chainrule.torch: no such file: {argv[0]!r}", file=sys.stderr)
        return 2
    install()
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(program))
    runpy.run_path(program, run_name="__main__")
    return 0
