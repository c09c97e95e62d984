"""``x.grad_fn`` as PyTorch gives it: an object naming the operation that made x
(``MulBackward0``), with ``next_functions`` leading to the operations (or the
``AccumulateGrad`` of the leaves) that made its inputs, so programs that print or walk
the backward graph run. The graph is chainrule's recorded one; these objects only look
at it."""

from __future__ import annotations

from ..graph import TensorBase

# PyTorch's names where they are not the primitive's name in CamelCase.
_PYTORCH_NAMES = {
    "add": "AddBackward0", "subtract": "SubBackward0", "multiply": "MulBackward0",
    "divide": "DivBackward0", "negative": "NegBackward0", "power": "PowBackward0",
    "matmul": "MmBackward0", "getitem": "IndexBackward0", "reshape": "ViewBackward0",
    "transpose": "PermuteBackward0", "swapaxes": "TransposeBackward0",
    "copy": "CloneBackward0", "concatenate": "CatBackward0",
    "expand_dims": "UnsqueezeBackward0", "astype": "ToCopyBackward0",
    "broadcast_to": "ExpandBackward0", "linear": "AddmmBackward0",
    "conv": "ConvolutionBackward0", "nll_loss": "NllLossBackward0",
    "mse_loss": "MseLossBackward0", "relu": "ReluBackward0", "clamp": "ClampBackward1",
}


def pytorch_name(primitive_name):
    """The name PyTorch gives the backward of an operation like this primitive."""
    if primitive_name in _PYTORCH_NAMES:
        return _PYTORCH_NAMES[primitive_name]
    return "".join(part.capitalize() for part in primitive_name.split("_")) + "Backward0"


class Node:
    """The grad_fn of a tensor made by an operation."""

    def __init__(self, tensor):
        self._tensor = tensor

    def name(self):
        return pytorch_name(self._tensor._prim.name)

    @property
    def next_functions(self):
        """((the grad_fn or AccumulateGrad of each input, 0), ...); None for inputs that
        need no gradient. Empty once backward freed the graph."""
        return tuple((node_of(a), 0) for a in self._tensor._args or ())

    @property
    def metadata(self):
        return self._tensor.__dict__.setdefault("_grad_fn_metadata", {})

    def __eq__(self, other):
        return isinstance(other, Node) and other._tensor is self._tensor

    def __hash__(self):
        return id(self._tensor)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self._tensor))}>"


class AccumulateGrad:
    """Where a leaf's gradient is accumulated into its ``.grad``."""

    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __eq__(self, other):
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self):
        return id(self.variable)

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self.variable))}>"


def node_of(value):
    """The grad_fn entry for one input: None, AccumulateGrad(leaf) or Node(tensor)."""
    if not isinstance(value, TensorBase) or not value.requires_grad:
        return None
    if value._prim is None:
        return AccumulateGrad(value)
    return Node(value)
