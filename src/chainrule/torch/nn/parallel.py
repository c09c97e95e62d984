"""``torch.nn.parallel``: DataParallel on the CPU (the module itself), and a clear refusal
of DistributedDataParallel.

With no GPU, PyTorch's DataParallel calls the wrapped module directly; its parameters and
state_dict keys carry the ``module.`` prefix, as here. For data-parallel training over
processes chainrule has its own MPI layer (docs/distributed.md).
"""

from __future__ import annotations

from .modules import Module

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]


class DataParallel(Module):
    """Wraps ``module``; on the CPU forward is ``module(*inputs)`` (PyTorch's behaviour
    with no GPU). ``device_ids`` other than None or empty are refused."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if device_ids:
            raise ValueError(
                f"DataParallel: device_ids={device_ids!r} names GPUs; chainrule computes on "
                f"the CPU (leave device_ids out)"
            )
        self.module = module
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0,
                  module_kwargs=None):
    """PyTorch raises here without a GPU ("device type could not be determined")."""
    raise RuntimeError(
        "data_parallel: device type could not be determined (no GPU; chainrule computes "
        "on the CPU): call the module itself"
    )


class DistributedDataParallel(Module):
    def __init__(self, module, *args, **kwargs):
        raise RuntimeError(
            "DistributedDataParallel needs torch.distributed, which chainrule.torch does "
            "not provide; chainrule's data-parallel training runs over MPI "
            "(chainrule.distributed, `chainrule train --distributed`; docs/distributed.md)"
        )
