"""Pytrees: nested tuples, lists and dicts of arrays, flattened to leaves and rebuilt.

The transforms take and return pytrees: a function of a dict of parameters gets its
gradient as a dict of the same keys. ``None`` is a subtree without leaves, as in JAX: a
parameter dict with ``"bias": None`` gets ``"bias": None`` back in its gradient.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeAlias

# How a tree was built, for tree_unflatten: None for a leaf, (tuple/list/namedtuple type,
# children), (dict, keys, children) or _NONE for a None in the tree. Opaque to callers;
# only this module reads it.
TreeDef: TypeAlias = Any
_NONE = ("None",)


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None,
                 ) -> tuple[list[Any], TreeDef]:
    """Leaves of a nested tuple/list/dict structure, and a description to rebuild it.
    ``is_leaf(node)`` True stops the descent there (JAX's argument)."""
    leaves: list[Any] = []
    return leaves, _flatten(tree, leaves, is_leaf)


def _flatten(tree: Any, leaves: list[Any], is_leaf: Callable[[Any], bool] | None = None,
             ) -> TreeDef:
    if is_leaf is not None and is_leaf(tree):
        leaves.append(tree)
        return None
    if tree is None:
        return _NONE
    if isinstance(tree, (tuple, list)):
        return (type(tree), [_flatten(c, leaves, is_leaf) for c in tree])
    if isinstance(tree, dict):
        return (dict, list(tree), [_flatten(v, leaves, is_leaf) for v in tree.values()])
    leaves.append(tree)
    return None


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    """The leaves of `tree`, in the order tree_flatten gives them."""
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> TreeDef:
    """The description tree_flatten gives of `tree` (compare two with ==)."""
    return tree_flatten(tree, is_leaf)[1]


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


def tree_map(fn: Callable[..., Any], tree: Any, *rest: Any,
             is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``fn`` applied leaf by leaf, keeping `tree`'s structure; with more trees, ``fn``
    takes the matching leaf (or subtree) of each: `tree`'s structure must be a prefix of
    theirs, as in JAX (``tree_map(lambda p, g: p - lr * g, params, grads)``)."""
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [_flatten_up_to(treedef, r, r) for r in rest]
    return tree_unflatten(treedef, [fn(*xs) for xs in zip(leaves, *others)])


def tree_reduce(function: Callable[[Any, Any], Any], tree: Any, *initializer: Any,
                is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``functools.reduce`` over the leaves (with an initial value if one is given)."""
    return functools.reduce(function, tree_leaves(tree, is_leaf), *initializer[:1])


def flatten_like(treedef: TreeDef, tree: Any, who: str) -> list[Any]:
    """The leaves of `tree` in the order of `treedef` (a structure from tree_flatten),
    dicts matched by key: a cotangent or tangent dict whose keys come in another order
    (made by tree_map over sorted keys, as JAX orders them) pairs with the right outputs."""
    return _flatten_up_to(treedef, tree, tree, who)


def _flatten_up_to(treedef: TreeDef, tree: Any, whole: Any, who: str = "tree_map",
                   ) -> list[Any]:
    """The subtrees of `tree` at the leaves of `treedef`, which must describe a prefix of
    `tree`'s structure."""
    if treedef is None:
        return [tree]
    if treedef is _NONE:
        if tree is not None:
            raise ValueError(f"{who}: {whole!r} has {tree!r} where the first tree has None")
        return []
    if treedef[0] is dict:
        keys = treedef[1]
        if not isinstance(tree, dict) or set(tree) != set(keys):
            raise ValueError(f"{who}: {whole!r} does not have the first tree's structure: "
                             f"a dict with keys {list(keys)} where it has {tree!r}")
        return [x for k, d in zip(keys, treedef[2])
                for x in _flatten_up_to(d, tree[k], whole, who)]
    kind, children = treedef
    if not isinstance(tree, (tuple, list)) or len(tree) != len(children):
        raise ValueError(f"{who}: {whole!r} does not have the first tree's structure: a "
                         f"{kind.__name__} of {len(children)} where it has {tree!r}")
    return [x for d, c in zip(children, tree) for x in _flatten_up_to(d, c, whole, who)]
