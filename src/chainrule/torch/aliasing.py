"""Run a program written for PyTorch on chainrule.torch unchanged: ``torch`` and every
``torch.*`` module resolve to ``chainrule.torch`` and ``chainrule.torch.*``.

    python -m chainrule.torch train.py --epochs 3

or, inside Python before the program's imports, ``chainrule.torch.aliasing.install()``.
Only the ``torch`` package is redirected; other packages the program imports
(torchvision, gym) are looked up as usual. A module chainrule.torch does not have raises
ModuleNotFoundError naming both names.
"""

from __future__ import annotations

from ..aliasing import PackageAlias

__all__ = ["install", "run"]

_ALIAS = PackageAlias({"torch": "chainrule.torch"},
                      "running a PyTorch program on chainrule.torch; see "
                      "docs/coming-from-pytorch.md", owner="chainrule.torch")


def install():
    """Make ``import torch`` (and ``torch.*``) give chainrule.torch from now on."""
    _ALIAS.install()


def run(argv):
    """``python -m chainrule.torch program.py args...`` (see PackageAlias.run)."""
    return _ALIAS.run(argv, "chainrule.torch", __doc__)
