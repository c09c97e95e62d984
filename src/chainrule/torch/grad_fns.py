"""``x.grad_fn`` as PyTorch gives it: an object naming the operation that made x
(``MulBackward0``), with ``next_functions`` leading to the operations (or the
``AccumulateGrad`` of the leaves) that made its inputs, so programs that print or walk
the backward graph run. The graph is chainrule's recorded one; these objects only look
at it."""

from __future__ import annotations

import functools

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
    "fused_gelu": "GeluBackward0", "softmax_nll": "NllLossBackward0",
}


def pytorch_name(primitive_name):
    """The name PyTorch gives the backward of an operation like this primitive."""
    if primitive_name in _PYTORCH_NAMES:
        return _PYTORCH_NAMES[primitive_name]
    if primitive_name.endswith(".apply"):  # a custom Function F: PyTorch's FBackward
        return primitive_name[: -len(".apply")] + "Backward"
    return "".join(part.capitalize() for part in primitive_name.split("_")) + "Backward0"


def named(out, name, *inputs):
    """``out`` whose grad_fn is PyTorch's ``name`` with ``inputs`` as its next functions:
    for an operation chainrule composes of primitives (a mean is a sum divided by n),
    whose last one would name it. An in-place change of ``out`` afterwards (it bumps the
    version) makes that change its grad_fn."""
    if out._prim is not None and out.requires_grad:
        out.__dict__["_grad_fn_as"] = (out._version, name, inputs)
    return out


def _named_as(tensor):
    """(name, inputs) given by ``named``, if it still holds; else None."""
    tag = tensor.__dict__.get("_grad_fn_as")
    return tag[1:] if tag is not None and tag[0] == tensor._version else None


def grad_fn_name(tensor):
    """PyTorch's name of the operation that made ``tensor``."""
    tag = _named_as(tensor)
    return tag[0] if tag else pytorch_name(tensor._prim.name)


@functools.cache
def _node_class(name):
    # One Node subclass per name, as PyTorch has a class per backward:
    # type(x.grad_fn).__name__ == "MulBackward0".
    return type(name, (Node,), {})


class Node:
    """The grad_fn of a tensor made by an operation (of the subclass named after it)."""

    def __new__(cls, tensor):
        if cls is Node:
            cls = _node_class(grad_fn_name(tensor))
        return object.__new__(cls)

    def __init__(self, tensor):
        self._tensor = tensor

    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        """((the grad_fn or AccumulateGrad of each input, 0), ...); None for inputs that
        need no gradient. Empty once backward freed the graph."""
        tag = _named_as(self._tensor)
        inputs = tag[1] if tag and self._tensor._args else self._tensor._args or ()
        return tuple((node_of(a), 0) for a in inputs)

    @property
    def metadata(self):
        return self._tensor.__dict__.setdefault("_grad_fn_metadata", {})

    def __getattr__(self, name):
        # A custom Function's grad_fn is its ctx in PyTorch: what forward set on ctx
        # reads back from grad_fn (torchdiffeq's tests read grad_fn.adjoint_options).
        if not name.startswith("__"):
            ctx = (self.__dict__["_tensor"]._kw or {}).get("_ctx")
            if ctx is not None and name in vars(ctx):
                return vars(ctx)[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")

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
