"""The types chainrule's public functions are annotated with, for type checkers and editors.

chainrule's operations follow one rule: a Tensor in, a Tensor out (recorded when it
requires a gradient); NumPy values in, NumPy values out. ``@tensor_function`` tells a
type checker so for a function whose first argument is the array it works on: the
function keeps its own parameters (names, defaults, annotated types, so ``axis="rows"``
is rejected and an editor completes ``keepdims``) and the result is a Tensor when the
first argument is one. At run time the decorator returns the function itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Literal,
    NamedTuple,
    ParamSpec,
    Protocol,
    TypeAlias,
    TypeVar,
    overload,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from .tensor import Tensor

Params = ParamSpec("Params")
Result = TypeVar("Result", covariant=True)

#: An axis argument: one axis, several, or None for all (NumPy's convention).
Axis: TypeAlias = "int | tuple[int, ...] | None"
#: What an operation takes as an array: a Tensor, or anything NumPy makes an array of.
Operand: TypeAlias = "Tensor | ArrayLike"
#: A sequence of operands (concatenate, stack, meshgrid).
Operands: TypeAlias = "Sequence[Tensor | ArrayLike]"


class TensorFunction(Protocol[Params, Result]):
    """An operation on the array given first: a Tensor in gives what the function is
    annotated to return (a Tensor, or a tuple of them); NumPy in gives NumPy."""

    @overload
    def __call__(self, x: Tensor, /, *args: Params.args, **kwargs: Params.kwargs) -> Result: ...

    @overload
    def __call__(self, x: ArrayLike, /, *args: Params.args, **kwargs: Params.kwargs) -> Any: ...


def tensor_function(
    fn: Callable[Concatenate[Any, Params], Result],
) -> TensorFunction[Params, Result]:
    """Mark `fn` as an operation on its first argument (see the module docstring)."""
    return fn


#: How a loss reduces over examples (PyTorch's ``reduction=``).
Reduction: TypeAlias = 'Literal["mean", "sum", "none"]'
#: quantile's methods between two order statistics (PyTorch's ``interpolation=``).
Interpolation: TypeAlias = 'Literal["linear", "lower", "higher", "midpoint", "nearest"]'

if TYPE_CHECKING:

    class ValuesIndices(NamedTuple):
        """What sort, topk, kthvalue, cummax and cummin return (PyTorch's return types):
        at run time a named tuple called after the function, with these two fields."""

        values: Tensor
        indices: Tensor
