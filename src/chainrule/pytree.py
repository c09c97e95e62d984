"""Pytrees: nested tuples, lists and dicts of arrays, flattened to leaves and rebuilt.

The transforms take and return pytrees: a function of a dict of parameters gets its
gradient as a dict of the same keys. ``None`` is a subtree without leaves, as in JAX: a
parameter dict with ``"bias": None`` gets ``"bias": None`` back in its gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeAlias

# How a tree was built, for tree_unflatten: None for a leaf, (tuple/list/namedtuple type,
# children), (dict, keys, children) or _NONE for a None in the tree. Opaque to callers;
# only this module reads it.
TreeDef: TypeAlias = Any
_NONE = ("None",)


def tree_flatten(tree: Any) -> tuple[list[Any], TreeDef]:
    """Leaves of a nested tuple/list/dict structure, and a description to rebuild it."""
    leaves: list[Any] = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree: Any, leaves: list[Any]) -> TreeDef:
    if tree is None:
        return _NONE
    if isinstance(tree, (tuple, list)):
        return (type(tree), [_flatten(c, leaves) for c in tree])
    if isinstance(tree, dict):
        return (dict, list(tree), [_flatten(v, leaves) for v in tree.values()])
    leaves.append(tree)
    return None


def tree_unflatten(treedef: TreeDef, leaves: Iterable[Any]) -> Any:
    """Rebuild the structure `treedef` (from tree_flatten) around new leaves."""
    it = iter(leaves)
    return _unflatten(treedef, it)


def _unflatten(treedef: TreeDef, it: Iterator[Any]) -> Any:
    if treedef is None:
        return next(it)
    if treedef is _NONE:
        return None
    if treedef[0] is dict:
        return {k: _unflatten(d, it) for k, d in zip(treedef[1], treedef[2])}
    kind, children = treedef
    items = [_unflatten(d, it) for d in children]
    if kind is list:
        return items
    if hasattr(kind, "_fields"):  # a namedtuple
        return kind(*items)
    return kind(items)


def tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    """Apply `fn` to every leaf of `tree`, keeping the structure."""
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [fn(x) for x in leaves])
