"""``torch.nn.utils.prune``: PyTorch's pruning by mask, with its names and layout.

Pruning ``name`` of a module moves the parameter to ``name + "_orig"`` (the same
Parameter object, which the optimizer keeps training), registers the 0/1 mask as the
buffer ``name + "_mask"`` (of the parameter's dtype), and makes ``module.<name>`` a plain
tensor ``mask * orig``, recomputed by a forward pre-hook (the pruning method itself)
before every call, so gradients reach ``name_orig`` through the product and pruned
entries stay zero in what forward uses. Pruning the same tensor again collects the
methods in a :class:`PruningContainer`, which prunes only what is still unpruned (the
entries, or the channels along ``dim``, the mask has not zeroed). :func:`remove` makes
the pruning permanent: ``name`` is a Parameter again holding ``orig * mask``. State dicts
hold ``name_orig`` and ``name_mask``, as PyTorch's do.

Which entries are removed follows PyTorch 2.13 on the CPU, ties included:
:func:`_cpu_topk` picks the same indices as its ``topk`` (libstdc++'s ``nth_element``, or
``partial_sort`` when k * 64 <= n, on (value, index) pairs compared by value). The random
methods draw from chainrule's generator (``torch.manual_seed`` seeds it), so they prune
as many entries as PyTorch's but not the same ones.
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

import numpy as np

from ....graph import TensorBase, new_tensor, no_grad
from ...creation import rand, rand_like
from ...tensor import front

__all__ = ["BasePruningMethod", "CustomFromMask", "Identity", "L1Unstructured",
           "LnStructured", "PruningContainer", "RandomStructured", "RandomUnstructured",
           "custom_from_mask", "global_unstructured", "identity", "is_pruned",
           "l1_unstructured", "ln_structured", "random_structured", "random_unstructured",
           "remove"]


def _np(t):
    return np.asarray(t._data if isinstance(t, TensorBase) else t)


def _tensor(array):
    """A front-end tensor (no gradient) around a new array."""
    return front(new_tensor(np.ascontiguousarray(array)))


# ------------------------------------------------------------ PyTorch's CPU topk
def _order_keys(values, largest):
    """Integers ordered as PyTorch's topk comparator orders ``values``: key[i] < key[j]
    exactly when value i goes before value j (NaN counts as the largest value)."""
    v = np.asarray(values, np.float64).ravel()
    nan = np.isnan(v)
    _, rank = np.unique(np.where(nan, 0.0, v), return_inverse=True)
    rank = rank.reshape(-1).astype(np.int64)
    if nan.any():
        rank[nan] = rank[~nan].max(initial=-1) + 1
    return -rank if largest else rank


def _sift(key, idx, first, hole, length, vk, vi):
    # libstdc++'s __adjust_heap then __push_heap (a max-heap under `<` on keys).
    top = child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if key[first + child] < key[first + child - 1]:
            child -= 1
        key[first + hole], idx[first + hole] = key[first + child], idx[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        key[first + hole], idx[first + hole] = key[first + child - 1], idx[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and key[first + parent] < vk:
        key[first + hole], idx[first + hole] = key[first + parent], idx[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    key[first + hole], idx[first + hole] = vk, vi


def _heap_select(key, idx, first, middle, last):
    # libstdc++'s __heap_select: the smallest (middle - first) keys end up in front.
    length = middle - first
    for parent in range((length - 2) // 2, -1, -1):
        _sift(key, idx, first, parent, length, key[first + parent], idx[first + parent])
    for i in range(middle, last):
        if key[i] < key[first]:
            vk, vi = key[i], idx[i]
            key[i], idx[i] = key[first], idx[first]
            _sift(key, idx, first, 0, length, vk, vi)


def _introselect(key, idx, first, nth, last):
    # libstdc++'s nth_element: median-of-three Hoare partitions, a heap select past the
    # depth limit 2 * floor(log2(n)), an insertion sort of the last few.
    def swap(a, b):
        key[a], key[b] = key[b], key[a]
        idx[a], idx[b] = idx[b], idx[a]

    depth = 2 * ((last - first).bit_length() - 1)
    while last - first > 3:
        if depth == 0:
            _heap_select(key, idx, first, nth + 1, last)
            swap(first, nth)
            return
        depth -= 1
        a, b, c = first + 1, first + (last - first) // 2, last - 1
        if key[a] < key[b]:
            median = b if key[b] < key[c] else c if key[a] < key[c] else a
        else:
            median = a if key[a] < key[c] else c if key[b] < key[c] else b
        swap(first, median)
        pivot, lo, hi = key[first], first + 1, last
        while True:
            while key[lo] < pivot:
                lo += 1
            hi -= 1
            while pivot < key[hi]:
                hi -= 1
            if lo >= hi:
                break
            swap(lo, hi)
            lo += 1
        if lo <= nth:
            first = lo
        else:
            last = lo
    for i in range(first + 1, last):
        vk, vi = key[i], idx[i]
        if vk < key[first]:
            key[first + 1:i + 1], idx[first + 1:i + 1] = key[first:i], idx[first:i]
            key[first], idx[first] = vk, vi
        else:
            j = i
            while vk < key[j - 1]:
                key[j], idx[j] = key[j - 1], idx[j - 1]
                j -= 1
            key[j], idx[j] = vk, vi


def _cpu_topk(values, k, largest):
    """The flat indices of the k largest (or smallest) of ``values``, the same set as
    PyTorch's CPU ``torch.topk(values.view(-1), k, largest=largest).indices``."""
    key = _order_keys(values, largest)
    n = key.size
    if k == 0:
        return np.zeros(0, np.int64)
    order = np.argsort(key, kind="stable")
    if k == n or key[order[k - 1]] != key[order[k]]:
        return order[:k]  # (no tie across the cut: the set is the same in any order)
    key, idx = key.tolist(), list(range(n))
    if k * 64 <= n:
        _heap_select(key, idx, 0, k, n)
    else:
        _introselect(key, idx, 0, k - 1, n)
    return np.asarray(idx[:k], np.int64)


# ------------------------------------------------------------------- the methods
def _pruning_hooks(module):
    """(hook id, method) of the pruning methods among the module's forward pre-hooks."""
    return [(k, hook) for k, hook in list(module._forward_pre_hooks.items())
            if isinstance(hook, BasePruningMethod)]


def _drop_buffer(module, name):
    delattr(module, name)
    module._buffers.pop(name)


class BasePruningMethod(ABC):
    """A way of pruning one tensor: ``compute_mask`` says which entries to keep; the
    instance is also the module's forward pre-hook that recomputes ``module.<name>``."""

    _tensor_name: str

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The new mask for importance scores ``t``, on top of ``default_mask`` (the
        mask so far, ones for an unpruned tensor); same shape as ``t``."""

    def apply_mask(self, module):
        """``module.<name>_mask * module.<name>_orig``, the tensor forward uses."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)``, on top of any pruning
        it already has (a PruningContainer then holds both); the method in the hook."""
        method = cls(*args, **kwargs)  # (the amount is checked before anything changes)
        method._tensor_name = name
        old = _pruning_hooks(module)
        old = [(k, m) for k, m in old if m._tensor_name == name]
        if len(old) > 1:
            raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor "
                                 f"{name} of module {module}. Use a PruningContainer.")
        for k, _ in old:
            del module._forward_pre_hooks[k]
        if old:
            previous = old[0][1]
            if isinstance(previous, PruningContainer):
                previous.add_pruning_method(method)
                method = previous
            else:
                container = PruningContainer(previous)
                container.add_pruning_method(method)
                method = container

        orig = getattr(module, name)
        if importance_scores is not None:
            if tuple(importance_scores.shape) != tuple(orig.shape):
                raise AssertionError(
                    f"importance_scores should have the same shape as parameter {name} of "
                    f"{module}, got {importance_scores.shape} vs {orig.shape}")
        else:
            importance_scores = orig
        first_time = not isinstance(method, PruningContainer)
        if first_time:
            module.register_parameter(name + "_orig", orig)
            delattr(module, name)
            default_mask = _tensor(np.ones_like(_np(orig)))
        else:
            default_mask = _tensor(_np(getattr(module, name + "_mask")).copy())
        try:
            with no_grad():
                mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first_time:  # (PyTorch's roll back: the parameter is ``name`` again)
                orig = getattr(module, name + "_orig")
                if name in vars(module):
                    delattr(module, name)
                module.register_parameter(name, orig)
                delattr(module, name + "_orig")
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` times the mask compute_mask gives (from ``importance_scores`` when
        given, else from ``t``)."""
        if importance_scores is not None:
            if tuple(importance_scores.shape) != tuple(t.shape):
                raise AssertionError(f"importance_scores should have the same shape as "
                                     f"tensor t, got {importance_scores.shape} vs {t.shape}")
        else:
            importance_scores = t
        if default_mask is None:
            default_mask = _tensor(np.ones_like(_np(t)))
        with no_grad():
            mask = self.compute_mask(importance_scores, default_mask=default_mask)
        return t * mask

    def remove(self, module):
        """Make the pruning permanent: ``module.<name>`` becomes the ``_orig`` Parameter
        (the same object) holding ``orig * mask``; ``_orig`` and ``_mask`` are dropped.
        The hook itself is dropped by the function :func:`remove`."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be "
                                 "removed")
        weight = self.apply_mask(module)
        name = self._tensor_name
        if name in vars(module):
            delattr(module, name)
        orig = getattr(module, name + "_orig")
        orig.data = weight.data
        delattr(module, name + "_orig")
        _drop_buffer(module, name + "_mask")
        setattr(module, name, orig)


def _structured_keep(mask, dim):
    """Which channels along ``dim`` the mask has not entirely zeroed."""
    n_dims = mask.ndim
    if dim < 0:
        dim += n_dims
    if dim < 0:
        raise IndexError(f"Index is out of bounds for tensor with dimensions {n_dims}")
    others = tuple(d for d in range(n_dims) if d != dim)
    return dim, mask.sum(axis=others) != 0


class PruningContainer(BasePruningMethod):
    """The pruning methods applied to one tensor, in order; its mask is the last
    method's, computed on what the previous ones left (see compute_mask)."""

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1:
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method):
        """Append ``method`` (which must prune the container's tensor)."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError("Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found "
                             f"'{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """The last method's mask, computed on the part of ``t`` still unpruned: the
        entries where ``default_mask`` is 1 (PRUNING_TYPE "unstructured"), the channels
        along the method's ``dim`` it has not entirely zeroed ("structured"), or all of
        ``t`` ("global"); the rest keeps ``default_mask``'s values."""
        method = self._pruning_methods[-1]
        scores, mask = _np(t), _np(default_mask)
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            slc = mask == 1
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to '
                                     "have the attribute `dim` defined.")
            dim, keep = _structured_keep(mask, method.dim)
            slc = (slice(None),) * dim + (keep,)
        elif kind == "global":
            slc = (slice(None),) * scores.ndim
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
        new_mask = mask.astype(scores.dtype)  # (a copy, of the scores' dtype)
        partial = method.compute_mask(_tensor(scores[slc]), default_mask=_tensor(mask[slc]))
        new_mask[slc] = _np(partial)
        return _tensor(new_mask)


def _validate_amount_init(amount):
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral)
            and (float(amount) > 1.0 or float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or "
                         "a non-negative integer")


def _count(amount, size):
    """How many of ``size`` units to prune: ``amount`` itself (int) or the rounded
    fraction (float); an int above ``size`` is refused, as PyTorch does."""
    n = amount if isinstance(amount, numbers.Integral) else round(amount * size)
    if n > size:
        raise ValueError(f"amount={n} should be smaller than the number of parameters to "
                         f"prune={size}")
    return int(n)


def _structured_checks(t, dim):
    shape = tuple(t.shape)
    if len(shape) <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional "
                         f"tensors. Found tensor of shape {t.shape} with {len(shape)} dims")
    if dim >= len(shape):
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")
    return shape[dim]


def _channel_mask(shape, dtype, dim, channels):
    """Ones in the given channels along ``dim``, zeros elsewhere."""
    mask = np.zeros(shape, dtype)
    mask[(slice(None),) * (dim % len(shape)) + (channels,)] = 1
    return mask


class Identity(BasePruningMethod):
    """Prunes nothing: the reparametrization with a mask of ones."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prunes ``amount`` (a count, or a fraction) of the unpruned entries at random."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        k = _count(self.amount, int(np.size(_np(t))))
        mask = _np(default_mask).copy()
        if k:
            mask.reshape(-1)[_cpu_topk(_np(rand_like(t)), k, largest=True)] = 0
        return _tensor(mask)

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prunes ``amount`` of the unpruned entries, those of smallest absolute value."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        scores = _np(t)
        k = _count(self.amount, int(scores.size))
        mask = _np(default_mask).copy()
        if k:
            mask.reshape(-1)[_cpu_topk(np.abs(scores), k, largest=False)] = 0
        return _tensor(mask)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prunes ``amount`` of the unpruned channels along ``dim``, chosen at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        nchannels = _structured_checks(t, self.dim)
        k = _count(self.amount, nchannels)
        if k == 0:
            return default_mask
        prob = _np(rand(nchannels))
        threshold = np.sort(prob)[k - 1]  # (PyTorch's kthvalue: ties prune them all)
        mask = _channel_mask(tuple(t.shape), _np(t).dtype, self.dim, prob > threshold)
        mask *= _np(default_mask).astype(mask.dtype)
        return _tensor(mask)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes ``amount`` of the unpruned channels along ``dim``, those of smallest
    L``n`` norm (``n`` as ``torch.norm``'s ``p``: 1, 2, ``inf``, ``-inf``, "fro")."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        nchannels = _structured_checks(t, self.dim)
        k = _count(self.amount, nchannels)
        if k == 0:
            return default_mask
        scores = _tensor(_np(t))  # (not t.detach(): that would tie an alias to t)
        dims = list(range(scores.dim()))
        dims.remove(dims[self.dim])
        norm = _np(scores.norm(p=self.n, dim=dims))
        keep = np.sort(_cpu_topk(norm, nchannels - k, largest=True))
        mask = _channel_mask(tuple(t.shape), _np(t).dtype, self.dim, keep)
        mask *= _np(default_mask).astype(mask.dtype)
        return _tensor(mask)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes by a given mask (multiplied into the mask so far)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        given, current = _np(self.mask), _np(default_mask)
        if current.shape != given.shape:
            raise AssertionError(f"default_mask shape {default_mask.shape} must match "
                                 f"self.mask shape {self.mask.shape}")
        return _tensor(current * given.astype(current.dtype))

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


# --------------------------------------------------------------- the functions
def identity(module, name):
    """Reparametrize ``module.<name>`` with a mask of ones (prunes nothing); the module."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` of ``module.<name>``'s unpruned entries at random; the module."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune ``amount`` of ``module.<name>``'s unpruned entries, those whose importance
    score (the entry itself by default) has the smallest absolute value; the module."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` of the channels along ``dim`` at random; the module."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune ``amount`` of the channels along ``dim``, those of smallest L``n`` norm (of
    the importance scores, the tensor by default); the module."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the (module, name) pairs together: ``pruning_method(**kwargs)`` (an
    unstructured one) chooses among all their unpruned entries as one vector, and each
    tensor gets its share of the mask (by :func:`custom_from_mask`)."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    scores = np.concatenate([
        _np(importance_scores.get((module, name), getattr(module, name))).reshape(-1)
        for module, name in parameters])
    default_mask = np.concatenate([  # (the masks so far; ones where not pruned yet)
        _np(getattr(module, name + "_mask")).reshape(-1) if hasattr(module, name + "_mask")
        else np.ones(np.size(_np(getattr(module, name))), _np(getattr(module, name)).dtype)
        for module, name in parameters])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the '
                        f"`pruning_method`. Found method {pruning_method} of type "
                        f"{method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final_mask = _np(container.compute_mask(_tensor(scores), _tensor(default_mask)))
    pointer = 0
    for module, name in parameters:
        shape = tuple(getattr(module, name).shape)
        size = int(np.prod(shape))
        custom_from_mask(module, name, _tensor(final_mask[pointer:pointer + size]
                                               .reshape(shape)))
        pointer += size


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` where ``mask`` is 0; the module."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent and drop its hook (see
    BasePruningMethod.remove); the module. ValueError when it is not pruned."""
    for k, method in _pruning_hooks(module):
        if method._tensor_name == name:
            method.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before "
                     "pruning can be removed")


def is_pruned(module):
    """Whether ``module`` or a submodule has a pruning method among its pre-hooks."""
    return any(_pruning_hooks(m) for _, m in module.named_modules())
