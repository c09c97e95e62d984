"""``chainrule.lax``'s convolutions: ``conv_general_dilated`` and JAX's wrappers around it
(``conv``, ``conv_with_general_padding``, ``conv_transpose``), with the helpers
``conv_dimension_numbers``, ``ConvDimensionNumbers`` and ``padtype_to_pads``.

Every convolution is chainrule's N-d convolution primitive (the one behind
``F.conv1d/2d/3d``), with the layouts permuted to and from its (N, C, spatial...) /
(O, I, spatial...) order; its gradients (in both operands, to any order) and its
``cr.vmap`` rule come with it. An input dilation (``lhs_dilation``, the transposed
convolution) is carried out by interleaving zeros into the input, and explicit padding
(uneven or negative) by padding or cropping it first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from . import numpy as cnp
from .graph import values as _values
from .lax_shapes import _pad_zeros
from .primitives import layers

__all__ = ["ConvDimensionNumbers", "conv", "conv_dimension_numbers", "conv_general_dilated",
           "conv_general_dilated_patches", "conv_transpose", "conv_with_general_padding",
           "padtype_to_pads"]


class ConvDimensionNumbers(NamedTuple):
    """The axes of a convolution's operands: ``lhs_spec`` (batch, feature, spatial...),
    ``rhs_spec`` (out feature, in feature, spatial...), ``out_spec`` (batch, feature,
    spatial...), each a tuple of axis indices."""

    lhs_spec: Sequence[int]
    rhs_spec: Sequence[int]
    out_spec: Sequence[int]


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(np.shape(_values(x)))


def padtype_to_pads(in_shape: Sequence[int], window_shape: Sequence[int],
                    window_strides: Sequence[int], padding: str) -> list[tuple[int, int]]:
    """(low, high) padding per spatial axis for 'VALID' (none), 'SAME' (ceil(n / stride)
    outputs, the odd cell at the high end) or 'SAME_LOWER' (the odd cell at the low end)."""
    if not isinstance(padding, str):
        raise TypeError(f"padtype_to_pads: padding must be 'SAME', 'SAME_LOWER' or 'VALID', "
                        f"got {padding!r}")
    kind = padding.upper()
    if kind == "VALID":
        return [(0, 0)] * len(in_shape)
    if kind not in ("SAME", "SAME_LOWER"):
        raise RuntimeError(f"Unrecognized padding type: expected 'VALID', 'SAME', or "
                           f"'SAME_LOWER', got {padding}.")
    pads = []
    for n, k, s in zip(in_shape, window_shape, window_strides):
        total = max((-(-int(n) // int(s)) - 1) * int(s) + int(k) - int(n), 0)
        small, big = total // 2, total - total // 2
        pads.append((small, big) if kind == "SAME" else (big, small))
    return pads


def _permutations(specs: Sequence[str]) -> tuple[tuple[int, ...], ...]:
    lhs_spec, rhs_spec, out_spec = specs
    pairs = (("N", "C"), ("O", "I"), ("N", "C"))
    for i, (a, b) in enumerate(pairs):
        if not specs[i].count(a) == specs[i].count(b) == 1:
            raise TypeError(f"convolution dimension_numbers[{i}] must contain the "
                            f"characters '{a}' and '{b}' exactly once, got {specs[i]}.")
        if len(specs[i]) != len(set(specs[i])):
            raise TypeError(f"convolution dimension_numbers[{i}] cannot have duplicate "
                            f"characters, got {specs[i]}.")
    if not (set(lhs_spec) - {"N", "C"} == set(rhs_spec) - {"O", "I"}
            == set(out_spec) - {"N", "C"}):
        raise TypeError(f"convolution dimension_numbers elements must each have the same "
                        f"set of spatial characters, got {tuple(specs)}.")

    def perm(spec: str, pair: tuple[str, str], is_rhs: bool) -> tuple[int, ...]:
        spatial = [i for i, c in enumerate(spec) if c not in pair]
        if not is_rhs:  # spatial axes in the order the kernel spec names them
            spatial.sort(key=lambda i: rhs_spec.index(spec[i]))
        return (spec.index(pair[0]), spec.index(pair[1]), *spatial)

    return (perm(lhs_spec, pairs[0], False), perm(rhs_spec, pairs[1], True),
            perm(out_spec, pairs[2], False))


def conv_dimension_numbers(lhs_shape: Sequence[int], rhs_shape: Sequence[int],
                           dimension_numbers: Any) -> ConvDimensionNumbers:
    """dimension_numbers (None: NC..., OI..., NC...; three layout strings such as
    ``("NHWC", "HWIO", "NHWC")``; or a ConvDimensionNumbers) as a ConvDimensionNumbers."""
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return dimension_numbers
    if len(lhs_shape) != len(rhs_shape):
        raise TypeError(f"convolution requires lhs and rhs ndim to be equal, got "
                        f"{len(lhs_shape)} and {len(rhs_shape)}.")
    if dimension_numbers is None:
        iota = tuple(range(len(lhs_shape)))
        return ConvDimensionNumbers(iota, iota, iota)
    if not isinstance(dimension_numbers, (list, tuple)) or len(dimension_numbers) != 3 \
            or not all(isinstance(s, str) for s in dimension_numbers):
        raise TypeError(f"convolution dimension_numbers must be None, a "
                        f"ConvDimensionNumbers or three layout strings, got "
                        f"{dimension_numbers!r}")
    for i, spec in enumerate(dimension_numbers):
        if len(spec) != len(lhs_shape):
            raise TypeError(f"convolution dimension_numbers[{i}] must have len equal to "
                            f"the ndim of lhs and rhs, got {len(spec)} for lhs and rhs "
                            f"shapes {tuple(lhs_shape)} and {tuple(rhs_shape)}.")
    return ConvDimensionNumbers(*_permutations(dimension_numbers))


def _ints(v: Any, n: int, name: str, default: int = 1) -> tuple[int, ...]:
    if v is None:
        return (default,) * n
    out = tuple(int(a) for a in v)
    if len(out) != n:
        raise ValueError(f"conv_general_dilated: {name} needs {n} values (one per spatial "
                         f"axis), got {tuple(v)}")
    if any(a < 1 for a in out):
        raise ValueError(f"conv_general_dilated: {name} must be positive, got {out}")
    return out


def conv_general_dilated(lhs: Any, rhs: Any, window_strides: Sequence[int], padding: Any,
                         lhs_dilation: Sequence[int] | None = None,
                         rhs_dilation: Sequence[int] | None = None,
                         dimension_numbers: Any = None, feature_group_count: int = 1,
                         batch_group_count: int = 1, precision: Any = None,
                         preferred_element_type: Any = None) -> Any:
    """The general N-d convolution (cross-correlation) of lhs by the kernels rhs, as
    jax.lax.conv_general_dilated: strides, padding ('SAME', 'SAME_LOWER', 'VALID' or
    (low, high) pairs, uneven or negative), input dilation (``lhs_dilation``, the
    transposed convolution), kernel dilation (``rhs_dilation``), layouts by
    ``dimension_numbers``, grouped (``feature_group_count``) and batch-grouped
    (``batch_group_count``) convolutions. ``precision`` is accepted and ignored."""
    ls, rs = _shape(lhs), _shape(rhs)
    dn = conv_dimension_numbers(ls, rs, dimension_numbers)
    n = len(ls) - 2
    if n < 1:
        raise ValueError(f"conv_general_dilated: operands need at least one spatial axis, "
                         f"got shapes {ls} and {rs}")
    strides = _ints(window_strides, n, "window_strides")
    lhs_dil = _ints(lhs_dilation, n, "lhs_dilation")
    rhs_dil = _ints(rhs_dilation, n, "rhs_dilation")
    lhs_perm, rhs_perm, out_perm = (tuple(int(a) for a in p) for p in dn)
    x_shape = tuple(ls[a] for a in lhs_perm)
    w_shape = tuple(rs[a] for a in rhs_perm)
    if isinstance(padding, str):
        if any(d != 1 for d in lhs_dil):
            raise ValueError("conv_general_dilated: string padding is not implemented for "
                             "transposed convolution (lhs_dilation); give explicit (low, "
                             "high) pairs or use lax.conv_transpose")
        window = [(k - 1) * d + 1 for k, d in zip(w_shape[2:], rhs_dil)]
        pads = padtype_to_pads(x_shape[2:], window, strides, padding)
    else:
        try:
            pads = [(int(lo), int(hi)) for lo, hi in padding]
        except (TypeError, ValueError) as e:
            raise ValueError(f"conv_general_dilated: padding should be a string or a "
                             f"sequence of (low, high) pairs, got {padding!r}") from e
        if len(pads) != n:
            raise ValueError(f"conv_general_dilated: padding needs {n} (low, high) pairs, "
                             f"got {padding!r}")
    groups, batch_groups = int(feature_group_count), int(batch_group_count)
    if groups < 1 or batch_groups < 1:
        raise ValueError("conv_general_dilated: feature_group_count and batch_group_count "
                         "must be positive")
    if groups > 1 and batch_groups > 1:
        raise ValueError("conv_general_dilated: at most one of feature_group_count and "
                         "batch_group_count may exceed 1")
    c, o = x_shape[1], w_shape[0]
    if c % groups or w_shape[1] * groups != c or o % groups:
        raise ValueError(f"conv_general_dilated: lhs has {c} features; with "
                         f"feature_group_count={groups} rhs needs {c // max(groups, 1)} input "
                         f"features (it has {w_shape[1]}) and a multiple of {groups} "
                         f"output features (it has {o})")
    if batch_groups > 1 and (x_shape[0] % batch_groups or o % batch_groups
                             or w_shape[1] != c):
        raise ValueError(f"conv_general_dilated: batch_group_count={batch_groups} must "
                         f"divide the batch ({x_shape[0]}) and the output features ({o}), "
                         f"and rhs needs all {c} input features")
    x = cnp.transpose(lhs, lhs_perm)
    w = cnp.transpose(rhs, rhs_perm)
    # The even part of a non-negative padding goes to the convolution itself; the rest
    # (an odd cell, negative padding that crops, the zeros of lhs_dilation) is applied
    # to the input first.
    even = [min(lo, hi) if lo >= 0 and hi >= 0 else 0 for lo, hi in pads]
    config = [(0, 0, 0), (0, 0, 0)] + [(lo - e, hi - e, d - 1)
                                       for (lo, hi), e, d in zip(pads, even, lhs_dil)]
    if any(v for cfg in config for v in cfg):
        x = _pad_zeros(x, config)
    if batch_groups > 1:
        # The batch split into batch_groups blocks (block b meets output features
        # b * o / batch_groups ...), laid side by side as feature groups.
        s = _shape(x)
        x = cnp.reshape(x, (batch_groups, s[0] // batch_groups) + s[1:])
        x = cnp.reshape(cnp.swapaxes(x, 0, 1),
                        (s[0] // batch_groups, batch_groups * s[1]) + s[2:])
        groups = batch_groups
    grid = [m + 2 * e for m, e in zip(_shape(x)[2:], even)]
    window = [(k - 1) * d + 1 for k, d in zip(w_shape[2:], rhs_dil)]
    out_sizes = [(m - k) // st + 1 if m >= k else 0 for m, k, st in zip(grid, window, strides)]
    dtype = np.result_type(np.asarray(_values(lhs)).dtype, np.asarray(_values(rhs)).dtype)
    if min(out_sizes + [_shape(x)[0], o]) == 0 or min(_shape(x)[2:]) == 0:
        y = cnp.zeros((_shape(x)[0], o, *out_sizes), dtype)  # (nothing to compute)
    else:
        y = layers.conv(x, w, 0, stride=strides, padding=tuple(even), dilation=rhs_dil,
                        groups=groups)
    y = cnp.transpose(y, tuple(int(a) for a in np.argsort(out_perm)))
    if preferred_element_type is not None:
        y = cnp.asarray(y).astype(np.dtype(preferred_element_type))
    elif np.asarray(_values(y)).dtype != dtype:
        y = cnp.asarray(y).astype(dtype)
    return y


def conv_general_dilated_patches(lhs: Any, filter_shape: Sequence[int],
                                 window_strides: Sequence[int], padding: Any,
                                 lhs_dilation: Sequence[int] | None = None,
                                 rhs_dilation: Sequence[int] | None = None,
                                 dimension_numbers: Any = None, precision: Any = None,
                                 preferred_element_type: Any = None) -> Any:
    """The patches conv_general_dilated would multiply by a kernel of ``filter_shape``
    (spatial sizes, in the kernel spec's order): the output's feature axis holds, per
    output position, each input channel's patch (channel-major, then the window's
    positions in row-major order), as jax.lax.conv_general_dilated_patches. Computed as
    a grouped convolution with one-hot kernels, so it is differentiable in lhs."""
    filter_shape = tuple(int(k) for k in filter_shape)
    ls = _shape(lhs)
    dn = conv_dimension_numbers(ls, (1, 1) + filter_shape, dimension_numbers)
    size = int(np.prod(filter_shape))
    channels = ls[int(dn.lhs_spec[1])]
    dtype = np.asarray(_values(lhs)).dtype
    eye = np.broadcast_to(np.eye(size, dtype=dtype), (channels, size, size))
    rhs = np.reshape(eye, (channels * size, 1, *filter_shape))
    rhs = np.moveaxis(rhs, (0, 1), (int(dn.rhs_spec[0]), int(dn.rhs_spec[1])))
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation,
                                rhs_dilation, dn, feature_group_count=channels,
                                precision=precision,
                                preferred_element_type=preferred_element_type)


def conv(lhs: Any, rhs: Any, window_strides: Sequence[int], padding: str,
         precision: Any = None, preferred_element_type: Any = None) -> Any:
    """conv_general_dilated in the NC... / OI... layout without dilations."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs: Any, rhs: Any, window_strides: Sequence[int],
                              padding: Any, lhs_dilation: Sequence[int] | None,
                              rhs_dilation: Sequence[int] | None, precision: Any = None,
                              preferred_element_type: Any = None) -> Any:
    """conv_general_dilated in the NC... / OI... layout."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)


def _conv_transpose_padding(k: int, s: int, padding: Any) -> tuple[int, int]:
    if padding == "SAME":
        total = k + s - 2
        low = k - 1 if s > k - 1 else -(-total // 2)
    elif padding == "VALID":
        total = k + s - 2 + max(k - s, 0)
        low = k - 1
    elif isinstance(padding, (tuple, list)):
        pads = tuple(k - int(p) - 1 for p in padding)
        low, total = pads[0], sum(pads)
    else:
        raise ValueError(f"conv_transpose: padding must be 'SAME', 'VALID' or (low, high) "
                         f"pairs, got {padding!r}")
    return low, total - low


_TRANSPOSE_LAYOUTS = {2: ("NC", "IO", "NC"), 3: ("NHC", "HIO", "NHC"),
                      4: ("NHWC", "HWIO", "NHWC"), 5: ("NHWDC", "HWDIO", "NHWDC")}


def conv_transpose(lhs: Any, rhs: Any, strides: Sequence[int], padding: Any,
                   rhs_dilation: Sequence[int] | None = None, dimension_numbers: Any = None,
                   transpose_kernel: bool = False, precision: Any = None,
                   preferred_element_type: Any = None,
                   use_consistent_padding: bool = False) -> Any:
    """The transposed ("fractionally strided") convolution, as jax.lax.conv_transpose: a
    convolution with unit strides of the input dilated by ``strides``. Layouts default to
    TensorFlow's (NHWC, HWIO); 'SAME'/'VALID' padding is that of the forward convolution
    (Keras's Conv2DTranspose output sizes), explicit pairs pad the dilated input (or, with
    ``use_consistent_padding=True``, are the forward convolution's padding).
    ``transpose_kernel=True`` flips the kernel's spatial axes and swaps its feature axes
    (the gradient of a convolution with that kernel)."""
    ls, rs = _shape(lhs), _shape(rhs)
    if len(ls) != len(rs) or len(ls) < 2:
        raise ValueError(f"conv_transpose: lhs and rhs need the same rank >= 2, got {ls} "
                         f"and {rs}")
    if dimension_numbers is None:
        if len(ls) not in _TRANSPOSE_LAYOUTS:
            raise ValueError("conv_transpose: no default dimension_numbers for more than 3 "
                             "spatial axes; pass dimension_numbers")
        dimension_numbers = _TRANSPOSE_LAYOUTS[len(ls)]
    dn = conv_dimension_numbers(ls, rs, dimension_numbers)
    n = len(ls) - 2
    kernel = [rs[a] for a in dn.rhs_spec[2:]]
    dil = _ints(rhs_dilation, n, "rhs_dilation")
    strides = _ints(strides, n, "strides")
    if use_consistent_padding or (isinstance(padding, str) and padding in ("SAME", "VALID")):
        effective = [(k - 1) * d + 1 for k, d in zip(kernel, dil)]
        per_axis = [padding] * n if isinstance(padding, str) else list(padding)
        pads: Any = [_conv_transpose_padding(k, s, p)
                     for k, s, p in zip(effective, strides, per_axis)]
    else:
        pads = padding
    if transpose_kernel:
        rhs = cnp.flip(rhs, axis=tuple(int(a) for a in dn.rhs_spec[2:]))
        rhs = cnp.swapaxes(rhs, int(dn.rhs_spec[0]), int(dn.rhs_spec[1]))
    return conv_general_dilated(lhs, rhs, (1,) * n, pads, strides, dil, dn,
                                precision=precision,
                                preferred_element_type=preferred_element_type)
