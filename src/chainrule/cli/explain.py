"""``chainrule explain [OP]``: how an operation is differentiated, or the list of operations.

Only primitives carry a derivation. For a composite such as ``cross_entropy`` or
``avg_pool2d`` the command names the primitives it is built from, found by running it on a
small sample and walking the graph it records (every tensor an operation produced holds
its primitive in ``_prim`` and its inputs in ``_args``), so the answer cannot drift from
the code the way a hand-kept table would.
"""

from __future__ import annotations

import difflib
import importlib
import shutil
import warnings

import numpy as np

from ..explain import explain, explanation
from ..graph import TensorBase
from ..rules import REGISTRY
from ..tensor import tensor
from .errors import UsageError

# Where composites live: the public chainrule namespace and the layer functions.
_NAMESPACES = ("chainrule", "chainrule.nn.functional")


def _summary(name: str) -> str:
    """The forward definition of ``name``, or a note when it has no explanation."""
    try:
        return explanation(name).forward
    except KeyError:
        return "(no explanation yet)"


def listing(width: int) -> str:
    """One line per registered operation: its name and forward definition, cut to ``width``."""
    names = sorted(REGISTRY)
    pad = max(len(n) for n in names)
    lines = [f"{len(names)} operations; 'chainrule explain OP' shows one:", ""]
    for name in names:
        line = f"  {name:<{pad}}  {_summary(name)}"
        lines.append(line if len(line) <= width else line[: width - 3] + "...")
    return "\n".join(lines)


def _sample_arguments():
    """Argument lists that fit the common composite signatures, tried in order."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 1.0, (2, 3))  # positive: also fits log-like composites
    images = rng.standard_normal((1, 1, 4, 4))
    yield (tensor(x, requires_grad=True),)
    yield (tensor(x, requires_grad=True), np.array([0, 2]))  # logits, class targets
    yield (tensor(x, requires_grad=True), tensor(rng.uniform(0.1, 1.0, (2, 3))))
    yield (tensor(images, requires_grad=True), tensor(rng.standard_normal((1, 1, 3, 3))))
    yield (tensor(images, requires_grad=True), 2)  # pooling with a kernel size
    yield (tensor(x, requires_grad=True), x.shape[-1])  # normalizing over the last axis
    yield (tensor(x, requires_grad=True), tensor(rng.standard_normal((4, 3))))


def _recorded_primitives(output) -> list[str]:
    """Names of the primitives in the graph that ended in ``output``."""
    names, seen, stack = set(), set(), [output]
    while stack:
        node = stack.pop()
        if id(node) in seen or not isinstance(node, TensorBase) or node._prim is None:
            continue
        seen.add(id(node))
        names.add(node._prim.name)
        stack.extend(node._args)
    return sorted(names)


def composite_primitives(name: str) -> tuple[str, list[str]] | None:
    """``(qualified name, primitives it records)`` for a public composite, else None."""
    for module_name in _NAMESPACES:
        module = importlib.import_module(module_name)
        fn = getattr(module, name, None)
        if name.startswith("_") or not callable(fn) or isinstance(fn, type):
            continue
        for args in _sample_arguments():
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    output = fn(*args)
            except Exception:  # not this signature: try the next sample
                continue
            primitives = _recorded_primitives(output)
            if primitives:
                return f"{module_name}.{name}", primitives
    return None


def run_explain(op: str | None) -> int:
    """Print the derivation of ``op`` and check it numerically, or list every operation."""
    if op is None:
        print(listing(shutil.get_terminal_size().columns))
        return 0
    if op not in REGISTRY:
        found = composite_primitives(op)
        if found is not None:
            qualified, primitives = found
            raise UsageError(
                f"{op!r} is not a primitive but a composition: {qualified} records "
                f"{', '.join(primitives)} (seen by running it on a small sample); explain "
                f"one of those, e.g. 'chainrule explain {primitives[0]}'"
            )
        close = difflib.get_close_matches(op, REGISTRY, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown operation {op!r}{hint} ('chainrule explain' lists them)")
    try:
        explain(op)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    return 0
