"""PyTorch's module-by-module state-dict protocol, for the programs that take part in it.

A module may override ``_load_from_state_dict`` or ``_save_to_state_dict`` (timm,
torchvision and HF modules rename a checkpoint's legacy keys there) or register
state-dict hooks. When any module of a model does, ``state_dict()`` and
``load_state_dict()`` walk it module by module as PyTorch does: each module's method
sees its own prefix, the keys and metadata PyTorch gives it, and the lists of missing and
unexpected keys and of errors. Otherwise chainrule.nn's one-pass versions run (the same
names and values). Loading stays all or nothing either way: the copies a walk decides on
are made only once every module has been visited without an error.
"""

from __future__ import annotations

import contextvars
from collections import OrderedDict

import numpy as np

from ... import nn as _nn
from ...graph import TensorBase
from ...hooks import add_to

# The copies a load walk has decided on, made when it ends without an error (None
# outside a walk: _load_from_state_dict called on its own copies at once).
_PENDING: contextvars.ContextVar[list | None] = contextvars.ContextVar("pending", default=None)

# Hook tables, PyTorch's attribute names (made on first registration).
PRE_LOAD, POST_LOAD = "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks"
PRE_SAVE, POST_SAVE = "_state_dict_pre_hooks", "_state_dict_hooks"
TABLES = (PRE_LOAD, POST_LOAD, PRE_SAVE, POST_SAVE)


def table(module, name):
    """The module's hook table `name`, empty when none was registered."""
    return vars(module).get(name) or {}


def register(module, name, hook):
    found = vars(module).get(name)
    if found is None:
        found = OrderedDict()
        object.__setattr__(module, name, found)
    return add_to(found, hook)


def takes_part(root, base):
    """True when a module under `root` overrides the protocol's methods of `base` (the
    front end's Module) or has a state-dict hook."""
    for module in root.modules():
        if (any(overrides(module, base, name) for name in
                ("_load_from_state_dict", "_save_to_state_dict", "get_extra_state"))
                or any(table(module, name) for name in TABLES)):
            return True
    return False


def overrides(module, base, name):
    """Whether the module's class has its own `name` (a chainrule.nn module inside a
    front-end model, without the protocol's methods, has base's)."""
    return getattr(type(module), name, getattr(base, name)) is not getattr(base, name)


def metadata(root, prefix=""):
    """PyTorch's ``state_dict()._metadata``: each module's prefix -> {"version": ...}."""
    return OrderedDict(((prefix + name) if name else prefix[:-1],
                        {"version": getattr(module, "_version", 1)})
                       for name, module in root.named_modules(remove_duplicate=False))


def children(module):
    """(name, child) of the module's direct submodules, a child under each of its names."""
    return [(name, value) for name, value in module._own() if isinstance(value, _nn.Module)]


def local_tensors(module):
    """name -> the module's own parameters and persistent buffers."""
    own = {name: value for name, value in module._own() if isinstance(value, _nn.Parameter)}
    own.update(module._own_buffers(persistent_only=True))
    return own


# ------------------------------------------------------------------------ saving
def save_own(module, base, destination, prefix, keep_vars):
    """The default _save_to_state_dict (of `base`): own tensors, then extra state."""
    for name, value in local_tensors(module).items():
        destination[prefix + name] = value if keep_vars else value.detach()
    if overrides(module, base, "get_extra_state"):
        destination[prefix + "_extra_state"] = module.get_extra_state()


def save(module, destination, prefix, keep_vars, base):
    """Module.state_dict's walk: pre hooks, _save_to_state_dict, children, post hooks."""
    local_metadata = {"version": getattr(module, "_version", 1)}
    if hasattr(destination, "_metadata"):
        destination._metadata[prefix[:-1]] = local_metadata
    for hook in list(table(module, PRE_SAVE).values()):
        hook(module, prefix, keep_vars)
    if hasattr(module, "_save_to_state_dict"):
        module._save_to_state_dict(destination, prefix, keep_vars)
    else:
        save_own(module, base, destination, prefix, keep_vars)
    for name, child in children(module):
        save(child, destination, prefix + name + ".", keep_vars, base)
    for hook in list(table(module, POST_SAVE).values()):
        result = hook(module, destination, prefix, local_metadata)
        if getattr(hook, "_from_public_api", False):
            if result is not None:
                raise RuntimeError("state_dict post-hook must return None")
        elif result is not None:
            destination = result
    return destination


# ----------------------------------------------------------------------- loading
def stage(target, value):
    """Copy `value` into the parameter or buffer `target` now, or at the end of the walk."""
    pending = _PENDING.get()
    if pending is None:
        target.copy_(value)
    else:
        pending.append((target, value))


def load_own(module, base, state_dict, prefix, local_metadata, strict, missing_keys,
             unexpected_keys, error_msgs):
    """The default _load_from_state_dict (of `base`, the front end's Module): pre hooks,
    then this module's own tensors and extra state."""
    for hook in list(table(module, PRE_LOAD).values()):
        hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
             error_msgs)
    local = local_tensors(module)
    for name, target in local.items():
        key = prefix + name
        if key not in state_dict:
            if strict:
                missing_keys.append(key)
            continue
        value = state_dict[key]
        array = np.asarray(value._data if isinstance(value, TensorBase) else value)
        shape = target._data.shape
        if array.shape != shape:
            error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                              f"torch.Size({list(array.shape)}) from checkpoint, the shape "
                              f"in current model is torch.Size({list(shape)}).")
        elif not np.can_cast(array.dtype, target._data.dtype, casting="same_kind"):
            error_msgs.append(f"dtype mismatch for {key}: {array.dtype} cannot be stored in "
                              f"the model's {target._data.dtype}.")
        else:
            stage(target, array)
    extra_key = prefix + "_extra_state"
    if overrides(module, base, "set_extra_state"):
        if extra_key in state_dict:
            module.set_extra_state(state_dict[extra_key])
        elif strict:
            missing_keys.append(extra_key)
    if strict:
        names = {name for name, _ in children(module)}
        for key in state_dict:
            if not key.startswith(prefix) or key == extra_key:
                continue
            head, *rest = key[len(prefix):].split(".", 1)
            if (rest and head not in names) or (not rest and head not in local):
                unexpected_keys.append(key)


def with_legacy_keys(root, state_dict):
    """`state_dict` with what PyTorch adds to a checkpoint of an older format before
    loading it: a normalisation layer's ``num_batches_tracked`` (the layer's own value)
    when the checkpoint lacks it and its metadata gives the layer no version, or one
    below 2 (a dict without ``_metadata``: a converted or filtered checkpoint)."""
    saved_metadata = getattr(state_dict, "_metadata", None)
    added = {}
    for name, module in root.named_modules():
        if not (isinstance(module, _nn.normalization._NormBase)
                and module.num_batches_tracked is not None):
            continue
        key = (name + "." if name else "") + "num_batches_tracked"
        version = None
        if saved_metadata is not None:
            version = saved_metadata.get(name, {}).get("version")
        if key not in state_dict and (version is None or version < 2):
            added[key] = module.num_batches_tracked
    if not added:
        return state_dict
    completed = OrderedDict(state_dict)
    completed.update(added)
    if saved_metadata is not None:
        completed._metadata = saved_metadata  # type: ignore[attr-defined]
    return completed


def load(root, state_dict, strict, base):
    """Module.load_state_dict's walk; nothing is copied unless it ends without errors."""
    missing_keys: list[str] = []
    unexpected_keys: list[str] = []
    error_msgs: list[str] = []
    saved_metadata = getattr(state_dict, "_metadata", None)
    state_dict = OrderedDict(state_dict)
    if saved_metadata is not None:
        state_dict._metadata = saved_metadata  # type: ignore[attr-defined]

    def walk(module, local, prefix):
        local_metadata = {} if saved_metadata is None else saved_metadata.get(prefix[:-1], {})
        if hasattr(module, "_load_from_state_dict"):
            module._load_from_state_dict(local, prefix, local_metadata, True, missing_keys,
                                         unexpected_keys, error_msgs)
        else:
            load_own(module, base, local, prefix, local_metadata, True, missing_keys,
                     unexpected_keys, error_msgs)
        for name, child in children(module):
            child_prefix = prefix + name + "."
            walk(child, {k: v for k, v in local.items() if k.startswith(child_prefix)},
                 child_prefix)
        result = _nn.module.IncompatibleKeys(missing_keys, unexpected_keys)
        for hook in list(table(module, POST_LOAD).values()):
            if hook(module, result) is not None:
                raise RuntimeError("load_state_dict post hook should return None")

    pending: list = []
    token = _PENDING.set(pending)
    try:
        walk(root, state_dict, "")
    finally:
        _PENDING.reset(token)
    if strict:
        if unexpected_keys:
            error_msgs.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected_keys) + ". ")
        if missing_keys:
            error_msgs.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing_keys) + ". ")
    if error_msgs:
        raise _nn.module.StateDictError(
            f"Error(s) in loading state_dict for {type(root).__name__}:\n\t"
            + "\n\t".join(error_msgs))
    for target, value in pending:
        target.copy_(value)
    return _nn.module.IncompatibleKeys(missing_keys, unexpected_keys)

