"""``torch.nn.init``: chainrule.nn.init's initializers under PyTorch's argument names
(``generator=`` a torch.Generator; without one they draw from the default generator,
which ``torch.manual_seed`` reseeds; ``constant_(tensor, val)``)."""

import functools

from chainrule.nn import init as _init
from chainrule.nn.init import (
    calculate_gain,
    dirac_,
    eye_,
    ones_,
    zeros_,
)

# PyTorch's private helper, which layers' reset_parameters call: (fan_in, fan_out)
_calculate_fan_in_and_fan_out = _init.calculate_fan_in_and_fan_out


def _drawing(fn):
    """``fn`` taking PyTorch's ``generator=`` (a torch.Generator) for chainrule's rng."""
    @functools.wraps(fn)
    def init(tensor, *args, generator=None, **kwargs):
        if generator is not None:
            kwargs["rng"] = getattr(generator, "_rng", generator)
        return fn(tensor, *args, **kwargs)
    return init


normal_ = _drawing(_init.normal_)
uniform_ = _drawing(_init.uniform_)
xavier_normal_ = _drawing(_init.xavier_normal_)
xavier_uniform_ = _drawing(_init.xavier_uniform_)
kaiming_normal_ = _drawing(_init.kaiming_normal_)
kaiming_uniform_ = _drawing(_init.kaiming_uniform_)
trunc_normal_ = _drawing(_init.trunc_normal_)
orthogonal_ = _drawing(_init.orthogonal_)
sparse_ = _drawing(_init.sparse_)


def constant_(tensor, val):
    """Fill ``tensor`` with ``val`` (PyTorch's argument name)."""
    return _init.constant_(tensor, val)

__all__ = ["calculate_gain", "constant_", "dirac_", "eye_", "kaiming_normal_",
           "kaiming_uniform_", "normal_", "ones_", "orthogonal_", "sparse_", "trunc_normal_",
           "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_"]


def _deprecated(new):
    # PyTorch's names without the trailing underscore: deprecated, warning, the same work.
    def old(*args, **kwargs):
        import warnings

        warnings.warn(f"nn.init.{new.__name__[:-1]} is now deprecated in favor of "
                      f"nn.init.{new.__name__}.", FutureWarning, stacklevel=2)
        return new(*args, **kwargs)

    old.__name__ = old.__qualname__ = new.__name__[:-1]
    old.__doc__ = f"Deprecated: ``{new.__name__}``."
    return old


constant = _deprecated(constant_)
dirac = _deprecated(dirac_)
eye = _deprecated(eye_)
kaiming_normal = _deprecated(kaiming_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
normal = _deprecated(normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
uniform = _deprecated(uniform_)
xavier_normal = _deprecated(xavier_normal_)
xavier_uniform = _deprecated(xavier_uniform_)

__all__ += ["constant", "dirac", "eye", "kaiming_normal", "kaiming_uniform", "normal",
            "orthogonal", "sparse", "uniform", "xavier_normal", "xavier_uniform"]
