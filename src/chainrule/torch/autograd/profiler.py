"""``torch.autograd.profiler``: the profiler of chainrule.torch.profiler under its older
name (``profile(use_cuda=False)``, ``record_function``)."""

from ..profiler import EventList, profile, record_function  # noqa: F401

__all__ = ["EventList", "profile", "record_function"]
