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
    """Wraps ``module``; forward is ``module(*inputs)``. As PyTorch's DataParallel when no
    GPU is available, ``device_ids`` and ``output_device`` (GPU indices, ``cuda:``
    names or ``torch.device('cpu')``, as d2l's ``try_all_gpus()`` gives on a CPU
    machine) are accepted and ignored: ``device_ids`` is then ``[]``."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = []

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
