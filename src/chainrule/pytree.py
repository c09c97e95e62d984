"""Pytrees: nested tuples, lists and dicts of arrays, flattened to leaves and rebuilt.

The transforms take and return pytrees: a function of a dict of parameters gets its
gradient as a dict of the same keys. ``None`` is a subtree without leaves, as in JAX: a
parameter dict with ``"bias": None`` gets ``"bias": None`` back in its gradient.

Other types become nodes by registration, as in ``jax.tree_util``
(``register_pytree_node``, ``register_pytree_node_class``, ``register_dataclass``,
``register_static``): every transform flattens its arguments here, so a registered class
passes through ``grad``, ``vmap`` and ``lax.scan`` as a tuple would.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple, TypeAlias

# How a tree was built, for tree_unflatten: None for a leaf, (tuple/list/namedtuple type,
# children), (dict, keys, children), (_CUSTOM, registered type, aux data, children) or
# _NONE for a None in the tree. Opaque to callers (they compare two with == and test a
# leaf with `is None`); only this module reads inside it.
TreeDef: TypeAlias = Any
_NONE = ("None",)
_CUSTOM = ("custom",)


# ------------------------------------------------------------------ key paths
# The step from a node to one child, as jax.tree_util names it: str() is the piece keystr
# joins (JAX's spelling, so a path prints the same in both libraries).
@dataclasses.dataclass(frozen=True)
class DictKey:
    """A dict's child under `key`."""
    key: Any

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True)
class SequenceKey:
    """A tuple's or list's child at `idx`."""
    idx: int

    def __str__(self) -> str:
        return f"[{self.idx!r}]"


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    """A namedtuple's or dataclass's field `name`."""
    name: str

    def __str__(self) -> str:
        return f".{self.name}"


@dataclasses.dataclass(frozen=True)
class FlattenedIndexKey:
    """The `key`-th child of a registered node that gives no keys of its own."""
    key: int

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"


KeyEntry: TypeAlias = Any
KeyPath: TypeAlias = tuple[Any, ...]


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """A key path as text: ``['a'][0].b``; ``simple=True`` gives the bare keys
    (``a``, ``0``, ``b``), joined by `separator`."""
    if not simple:
        return separator.join(str(k) for k in keys)
    return separator.join(str(_bare(k)) for k in keys)


def _bare(key: Any) -> Any:
    for field in ("key", "idx", "name"):
        if hasattr(key, field):
            return getattr(key, field)
    return key


# ------------------------------------------------------------------ registry
class _Registration(NamedTuple):
    flatten: Callable[[Any], tuple[Iterable[Any], Any]]          # node -> (children, aux)
    unflatten: Callable[[Any, Iterable[Any]], Any]                # (aux, children) -> node
    flatten_with_keys: Callable[[Any], tuple[Iterable[Any], Any]] | None  # ((key, child)s, aux)


# Looked up by exact type, as JAX does: a subclass of a registered class is a leaf
# until it is registered itself.
_REGISTRY: dict[type, _Registration] = {}


def register_pytree_node(nodetype: type, flatten_func: Callable[[Any], Any],
                         unflatten_func: Callable[[Any, Any], Any],
                         flatten_with_keys_func: Callable[[Any], Any] | None = None) -> None:
    """Make `nodetype` a pytree node: ``flatten_func(node) -> (children, aux_data)`` and
    ``unflatten_func(aux_data, children) -> node``. aux_data is kept in the structure (so
    it must compare with ==) and children are flattened further."""
    if nodetype in _REGISTRY or nodetype in (tuple, list, dict, type(None)):
        raise ValueError(f"Duplicate custom PyTreeDef type registration for {nodetype}.")
    _REGISTRY[nodetype] = _Registration(flatten_func, unflatten_func, flatten_with_keys_func)


def register_pytree_with_keys(nodetype: type, flatten_with_keys: Callable[[Any], Any],
                              unflatten_func: Callable[[Any, Any], Any],
                              flatten_func: Callable[[Any], Any] | None = None) -> None:
    """register_pytree_node with ``flatten_with_keys(node) -> ([(key, child), ...], aux)``,
    whose keys name the children in tree_flatten_with_path."""
    def without_keys(node: Any) -> tuple[list[Any], Any]:
        pairs, aux = flatten_with_keys(node)
        return [child for _, child in pairs], aux

    register_pytree_node(nodetype, flatten_func or without_keys, unflatten_func,
                         flatten_with_keys)


def register_pytree_node_class(cls: Any) -> Any:
    """Class decorator: the node flattens with ``obj.tree_flatten()`` and is rebuilt by
    the classmethod ``cls.tree_unflatten(aux_data, children)``."""
    register_pytree_node(cls, operator.methodcaller("tree_flatten"), cls.tree_unflatten)
    return cls


def register_pytree_with_keys_class(cls: Any) -> Any:
    """Class decorator: register_pytree_with_keys with the method
    ``obj.tree_flatten_with_keys()`` and the classmethod ``cls.tree_unflatten``."""
    flatten = operator.methodcaller("tree_flatten") if hasattr(cls, "tree_flatten") else None
    register_pytree_with_keys(cls, operator.methodcaller("tree_flatten_with_keys"),
                              cls.tree_unflatten, flatten)
    return cls


def register_dataclass(nodetype: Any, data_fields: Sequence[str] | None = None,
                       meta_fields: Sequence[str] | None = None,
                       drop_fields: Sequence[str] = ()) -> Any:
    """Make `nodetype` a node whose children are the attributes `data_fields` and whose
    `meta_fields` are kept in the structure (static). On a dataclass (also as a decorator)
    the fields may be left out: those with ``field(metadata={"static": True})`` are meta,
    the other ``init`` fields data. Rebuilt with ``nodetype(**fields)``."""
    if data_fields is None or meta_fields is None:
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError("register_dataclass: data_fields and meta_fields are required "
                            f"when nodetype is not a dataclass. Got nodetype={nodetype!r}.")
        fields = [f for f in dataclasses.fields(nodetype)
                  if f.init and f.name not in drop_fields]
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
    data_fields, meta_fields = list(data_fields), list(meta_fields)
    if dataclasses.is_dataclass(nodetype):
        # Unflattening calls the constructor, so the fields must be exactly its arguments.
        init = {f.name for f in dataclasses.fields(nodetype) if f.init}
        given = set(data_fields) | set(meta_fields)
        missing, unexpected = init - given - set(drop_fields), given - init
        if missing or unexpected:
            msg = ("data_fields and meta_fields must include all dataclass fields with "
                   "``init=True`` and only them.")
            if missing:
                msg += (f" Missing fields: {missing}. Add them to drop_fields to suppress "
                        "this error.")
            if unexpected:
                msg += f" Unexpected fields: {unexpected}."
            raise ValueError(msg)

    def flatten_with_keys(node: Any) -> tuple[list[Any], Any]:
        pairs = [(GetAttrKey(name), getattr(node, name)) for name in data_fields]
        return pairs, tuple(getattr(node, name) for name in meta_fields)

    def unflatten(meta: Any, data: Iterable[Any]) -> Any:
        return nodetype(**dict(zip(meta_fields, meta)), **dict(zip(data_fields, data)))

    register_pytree_with_keys(nodetype, flatten_with_keys, unflatten)
    return nodetype


def register_static(cls: Any) -> Any:
    """Make `cls` a node without children: an instance is kept whole in the structure
    (so it must be hashable and compare with ==), never seen as a leaf."""
    register_pytree_node(cls, lambda x: ((), x), lambda aux, _: aux)
    return cls


def is_tree_node(typ: type) -> bool:
    """True if instances of `typ` are pytree nodes (tuple, list, dict and their
    subclasses such as namedtuples, None's type, or a registered type), not leaves."""
    return (typ in _REGISTRY or typ is type(None)
            or issubclass(typ, (tuple, list, dict)))


class Partial(functools.partial):  # type: ignore[type-arg]
    """``functools.partial`` as a pytree (jax.tree_util.Partial): the bound arguments are
    its children, the function part of its structure, so a Partial passes through a
    transform with its arrays differentiated or batched."""


register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, children: Partial(func, *children[0], **children[1]),
    lambda p: (((FlattenedIndexKey(0), p.args), (FlattenedIndexKey(1), p.keywords)), p.func),
)


# ------------------------------------------------------------------ flattening
def _node_children(tree: Any, with_keys: bool) -> tuple[TreeDef, list[Any], list[Any]]:
    """One level of `tree`: (its node's description without children, the children, their
    keys, empty unless `with_keys`). The description is None for a leaf."""
    reg = _REGISTRY.get(type(tree))
    if reg is not None:
        if with_keys and reg.flatten_with_keys is not None:
            pairs, aux = reg.flatten_with_keys(tree)
            pairs = list(pairs)
            return (_CUSTOM, type(tree), aux), [c for _, c in pairs], [k for k, _ in pairs]
        children, aux = reg.flatten(tree)
        children = list(children)
        keys: list[Any] = ([FlattenedIndexKey(i) for i in range(len(children))] if with_keys
                           else [])
        return (_CUSTOM, type(tree), aux), children, keys
    if tree is None:
        return _NONE, [], []
    if isinstance(tree, (tuple, list)):
        fields = getattr(type(tree), "_fields", None)
        keys = [] if not with_keys else (
            [GetAttrKey(f) for f in fields] if fields is not None
            else [SequenceKey(i) for i in range(len(tree))])
        return (type(tree),), list(tree), keys
    if isinstance(tree, dict):
        keys = [DictKey(k) for k in tree] if with_keys else []
        return (dict, list(tree)), list(tree.values()), keys
    return None, [], []


def _flatten(tree: Any, leaves: list[Any], is_leaf: Callable[..., bool] | None) -> TreeDef:
    """Append `tree`'s leaves and return its description. (Every transform calls this on
    its arguments, so it is kept apart from the key-path walk below and tests the common
    node types inline.)"""
    if is_leaf is not None and is_leaf(tree):
        leaves.append(tree)
        return None
    reg = _REGISTRY.get(type(tree))
    if reg is not None:
        children, aux = reg.flatten(tree)
        return (_CUSTOM, type(tree), aux, [_flatten(c, leaves, is_leaf) for c in children])
    if tree is None:
        return _NONE
    if isinstance(tree, (tuple, list)):
        return (type(tree), [_flatten(c, leaves, is_leaf) for c in tree])
    if isinstance(tree, dict):
        return (dict, list(tree), [_flatten(v, leaves, is_leaf) for v in tree.values()])
    leaves.append(tree)
    return None


def _flatten_with_path(tree: Any, leaves: list[Any], is_leaf: Callable[..., bool] | None,
                       paths: list[KeyPath], path: KeyPath, leaf_takes_path: bool) -> TreeDef:
    """_flatten that also appends each leaf's key path to `paths`."""
    if is_leaf is not None and (is_leaf(path, tree) if leaf_takes_path else is_leaf(tree)):
        node: TreeDef = None
    else:
        node, children, keys = _node_children(tree, True)
    if node is None:
        leaves.append(tree)
        paths.append(path)
        return None
    if node is _NONE:
        return _NONE
    return (*node, [_flatten_with_path(c, leaves, is_leaf, paths, path + (k,), leaf_takes_path)
                    for c, k in zip(children, keys)])


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None,
                 ) -> tuple[list[Any], TreeDef]:
    """Leaves of a nested tuple/list/dict (or registered) structure, and a description to
    rebuild it. ``is_leaf(node)`` True stops the descent there (JAX's argument)."""
    leaves: list[Any] = []
    return leaves, _flatten(tree, leaves, is_leaf)


def tree_flatten_with_path(tree: Any, is_leaf: Callable[..., bool] | None = None,
                           is_leaf_takes_path: bool = False,
                           ) -> tuple[list[tuple[KeyPath, Any]], TreeDef]:
    """([(key path, leaf), ...], structure): each leaf with the keys leading to it
    (DictKey, SequenceKey, GetAttrKey for namedtuple and dataclass fields,
    FlattenedIndexKey for a registered node without keys)."""
    leaves: list[Any] = []
    paths: list[KeyPath] = []
    treedef = _flatten_with_path(tree, leaves, is_leaf, paths, (), is_leaf_takes_path)
    return list(zip(paths, leaves)), treedef


def tree_leaves_with_path(tree: Any, is_leaf: Callable[..., bool] | None = None,
                          is_leaf_takes_path: bool = False) -> list[tuple[KeyPath, Any]]:
    """The (key path, leaf) pairs of tree_flatten_with_path."""
    return tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


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
    if treedef[0] is _CUSTOM:
        _, kind, aux, defs = treedef
        return _REGISTRY[kind].unflatten(aux, tuple(_unflatten(d, it) for d in defs))
    kind, children = treedef
    items = [_unflatten(d, it) for d in children]
    if kind is list:
        return items
    if hasattr(kind, "_fields"):  # a namedtuple
        return kind(*items)
    return kind(items)


def treedef_is_leaf(treedef: TreeDef) -> bool:
    """True for the structure of a leaf or of a node without children (None, ``()``)."""
    return treedef is None or treedef is _NONE or not treedef[-1]


def all_leaves(iterable: Iterable[Any], is_leaf: Callable[[Any], bool] | None = None,
               ) -> bool:
    """True if every element of `iterable` is a leaf (None is not: it is an empty node)."""
    items = list(iterable)
    leaves = tree_leaves(items, is_leaf)
    return len(leaves) == len(items) and all(a is b for a, b in zip(leaves, items))


# ------------------------------------------------------------------ mapping
def tree_map(fn: Callable[..., Any], tree: Any, *rest: Any,
             is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``fn`` applied leaf by leaf, keeping `tree`'s structure; with more trees, ``fn``
    takes the matching leaf (or subtree) of each: `tree`'s structure must be a prefix of
    theirs, as in JAX (``tree_map(lambda p, g: p - lr * g, params, grads)``)."""
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [_flatten_up_to(treedef, r, r) for r in rest]
    return tree_unflatten(treedef, [fn(*xs) for xs in zip(leaves, *others)])


def tree_map_with_path(f: Callable[..., Any], tree: Any, *rest: Any,
                       is_leaf: Callable[..., bool] | None = None,
                       is_leaf_takes_path: bool = False) -> Any:
    """tree_map whose ``f(path, leaf, *others)`` also gets each leaf's key path."""
    pairs, treedef = tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    others = [_flatten_up_to(treedef, r, r, "tree_map_with_path") for r in rest]
    return tree_unflatten(treedef, [f(p, x, *xs) for (p, x), *xs in zip(pairs, *others)])


def tree_reduce(function: Callable[[Any, Any], Any], tree: Any, *initializer: Any,
                is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``functools.reduce`` over the leaves (with an initial value if one is given)."""
    return functools.reduce(function, tree_leaves(tree, is_leaf), *initializer[:1])


def tree_all(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """True if every leaf is truthy (True for a tree without leaves)."""
    return all(tree_leaves(tree, is_leaf))


def tree_transpose(outer_treedef: TreeDef, inner_treedef: TreeDef | None,
                   pytree_to_transpose: Any) -> Any:
    """A tree of structure outer-of-inner turned into inner-of-outer (a list of dicts
    into a dict of lists). `inner_treedef` None takes the first inner subtree's."""
    subtrees = _flatten_up_to(outer_treedef, pytree_to_transpose, pytree_to_transpose,
                              "tree_transpose")
    if inner_treedef is None:
        if not subtrees:
            raise ValueError("tree_transpose: inner_treedef cannot be inferred from an "
                             "outer structure without leaves; pass it")
        inner_treedef = tree_structure(subtrees[0])
    columns = []
    for sub in subtrees:
        leaves, treedef = tree_flatten(sub)
        if treedef != inner_treedef:
            raise TypeError(f"tree_transpose: a subtree {sub!r} does not have the inner "
                            "structure")
        columns.append(leaves)
    n_inner = len(tree_leaves(tree_unflatten(inner_treedef, _Counter())))
    rows = [tree_unflatten(outer_treedef, [c[j] for c in columns]) for j in range(n_inner)]
    return tree_unflatten(inner_treedef, rows)


class _Counter:
    """An endless iterator of placeholders, to rebuild a structure to count its leaves."""

    def __iter__(self) -> _Counter:
        return self

    def __next__(self) -> int:
        return 0


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
    if treedef[0] is _CUSTOM:
        _, kind, aux, defs = treedef
        node, children, _ = _node_children(tree, False)
        if (node is None or node[0] is not _CUSTOM or node[1] is not kind
                or not _same(node[2], aux) or len(children) != len(defs)):
            raise ValueError(f"{who}: {whole!r} does not have the first tree's structure: "
                             f"a {kind.__name__} node where it has {tree!r}")
        return [x for d, c in zip(defs, children) for x in _flatten_up_to(d, c, whole, who)]
    kind, children = treedef
    if not isinstance(tree, (tuple, list)) or len(tree) != len(children):
        raise ValueError(f"{who}: {whole!r} does not have the first tree's structure: a "
                         f"{kind.__name__} of {len(children)} where it has {tree!r}")
    return [x for d, c in zip(children, tree) for x in _flatten_up_to(d, c, whole, who)]


def _same(a: Any, b: Any) -> bool:
    """aux data equal (an aux holding arrays compares by identity rather than raise)."""
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b
