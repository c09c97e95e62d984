"""``torch.jit``: ``script``, ``trace`` and the decorators around them return what they
are given, so code decorated for TorchScript runs eagerly with the same results.
``save``/``load`` of TorchScript archives are refused: use ``torch.save`` of a
state_dict (safetensors)."""

from __future__ import annotations

import typing

__all__ = ["Final", "annotate", "export", "ignore", "is_scripting", "is_tracing", "load",
           "save", "script", "trace", "unused"]

# TorchScript's annotation of a constant attribute (typing.Final, as PyTorch defines it).
Final = typing.Final


def annotate(the_type, the_value):
    """TorchScript's type hint for a value: the value itself."""
    return the_value


def script(obj=None, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """The module or function itself (run eagerly)."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """The module or function itself (run eagerly; nothing is recorded)."""
    return func


def _passthrough(fn=None, **kwargs):
    if fn is None:
        return lambda f: f
    return fn


ignore = unused = export = _passthrough


def is_scripting():
    return False


def is_tracing():
    return False


def save(m, f, _extra_files=None):
    raise NotImplementedError("torch.jit.save: chainrule has no TorchScript archives; save "
                              "the model's state_dict with torch.save (a safetensors file)")


def load(f, map_location=None, _extra_files=None):
    raise NotImplementedError("torch.jit.load: chainrule cannot read TorchScript archives; "
                              "load a state_dict saved with torch.save")
