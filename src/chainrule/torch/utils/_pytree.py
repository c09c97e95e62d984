"""``torch.utils._pytree``: PyTorch's pytree helpers (private in PyTorch, imported by
libraries such as x-transformers), over chainrule.pytree's trees: nested tuples, lists,
namedtuples and dicts, everything else a leaf. Note the argument order PyTorch uses:
``tree_unflatten(leaves, spec)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...pytree import tree_flatten as _flatten
from ...pytree import tree_unflatten as _rebuild

__all__ = ["TreeSpec", "tree_all", "tree_any", "tree_flatten", "tree_leaves", "tree_map",
           "tree_map_", "tree_structure", "tree_unflatten"]


class TreeSpec:
    """How a tree was built (PyTorch's TreeSpec): compared by structure."""

    def __init__(self, layout: Any, num_leaves: int):
        self._layout = layout
        self.num_leaves = num_leaves

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TreeSpec) and self._layout == other._layout

    def __hash__(self) -> int:
        return hash(repr(self._layout))

    def __repr__(self) -> str:
        return f"TreeSpec({self._layout!r}, num_leaves={self.num_leaves})"


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None,
                 ) -> tuple[list[Any], TreeSpec]:
    # chainrule.pytree's flattening (its tree_unflatten rebuilds the layout), with None a
    # leaf as in PyTorch's pytrees (an empty subtree in chainrule's and JAX's)
    leaves, layout = _flatten(tree, lambda node: node is None or (
        is_leaf is not None and is_leaf(node)))
    return leaves, TreeSpec(layout, len(leaves))


def tree_unflatten(leaves: Any, treespec: TreeSpec) -> Any:
    leaves = list(leaves)
    if len(leaves) != treespec.num_leaves:
        raise ValueError(f"tree_unflatten: the spec holds {treespec.num_leaves} leaves, "
                         f"got {len(leaves)}")
    return _rebuild(treespec._layout, leaves)


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> TreeSpec:
    return tree_flatten(tree, is_leaf)[1]


def tree_map(func: Callable[..., Any], tree: Any, *rests: Any,
             is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """func applied leaf by leaf (over the matching leaves of ``rests`` too)."""
    leaves, spec = tree_flatten(tree, is_leaf)
    others = [spec_leaves(r, spec, is_leaf) for r in rests]
    return tree_unflatten([func(*xs) for xs in zip(leaves, *others)], spec)


def spec_leaves(tree: Any, spec: TreeSpec, is_leaf: Callable[[Any], bool] | None) -> list[Any]:
    leaves, other = tree_flatten(tree, is_leaf)
    if other != spec:
        raise ValueError("tree_map: the trees have different structures")
    return leaves


def tree_map_(func: Callable[..., Any], tree: Any, *rests: Any,
              is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """func called on every leaf for its effect; the tree itself is returned."""
    tree_map(func, tree, *rests, is_leaf=is_leaf)
    return tree


def tree_all(pred: Callable[[Any], bool], tree: Any,
             is_leaf: Callable[[Any], bool] | None = None) -> bool:
    return all(pred(x) for x in tree_leaves(tree, is_leaf))


def tree_any(pred: Callable[[Any], bool], tree: Any,
             is_leaf: Callable[[Any], bool] | None = None) -> bool:
    return any(pred(x) for x in tree_leaves(tree, is_leaf))
