"""``torch.onnx``: present so programs that import it run; exporting is not provided
(chainrule has no graph format for other runtimes), and says so."""

from __future__ import annotations

__all__ = ["export", "is_in_onnx_export"]


def export(model, args=(), f=None, *rest, **kwargs):
    raise NotImplementedError(
        "torch.onnx.export: chainrule.torch cannot export ONNX models; save the weights "
        "with torch.save(model.state_dict(), path) (safetensors, which PyTorch loads) and "
        "export from PyTorch")


def is_in_onnx_export():
    return False
