"""``torch.compiler``: what programs ask of PyTorch's compiler. Nothing is compiled here
(``torch.compile`` returns its argument), so code is never running under it."""

from __future__ import annotations

__all__ = ["disable", "is_compiling", "is_dynamo_compiling", "reset"]


def is_compiling():
    """False: no code runs under torch.compile here."""
    return False


is_dynamo_compiling = is_compiling


def disable(fn=None, recursive=True):
    """``fn`` itself (there is no compiler to keep away from it); also a decorator."""
    if fn is None:
        return lambda f: f
    return fn


def reset():
    """Nothing to reset."""
