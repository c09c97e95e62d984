"""Several outputs from one primitive: factors packed side by side along the last axis.

A recorded primitive has one output (the output tensor is the graph node). A
decomposition has several factors (eigenvalues and eigenvectors; U, S and Vh; Q and R),
all computed by one LAPACK call and all differentiated by one rule that must see every
factor's cotangent at once. So its forward flattens each factor over its core (matrix
or vector) axes and joins them on the last axis; the public function slices the factors
back out. Slicing and reshaping are linear, so their cotangents arrive in the packed
layout, zero where a factor is unused, and the decomposition's rule unpacks them.
"""

from __future__ import annotations

import math

import numpy as np

from .shape import concatenate, getitem, reshape


def pack_values(parts, batch):
    """NumPy arrays of shape ``batch + core`` flattened over their cores and joined."""
    flat = [np.reshape(p, batch + (math.prod(np.shape(p)[len(batch):]),)) for p in parts]
    return np.concatenate(flat, axis=-1)


def pack(parts, batch):
    """:func:`pack_values` for arrays or tensors (a tangent made of the factors' tangents)."""
    flat = [reshape(p, batch + (math.prod(np.shape(p)[len(batch):]),)) for p in parts]
    return concatenate(flat, axis=-1)


def unpack(packed, cores):
    """The factors of a packed array (or tensor), one per core shape in `cores`."""
    batch = tuple(np.shape(packed)[:-1])
    out, start = [], 0
    for core in cores:
        size = math.prod(core)
        piece = getitem(packed, (Ellipsis, slice(start, start + size)))
        out.append(reshape(piece, batch + tuple(core)))
        start += size
    return out


def is_zero(x):
    """True for a plain array of zeros: the cotangent of a factor nobody used.

    Only a first-order rule may skip work for it; under ``create_graph`` (tensors) a zero
    cotangent can still carry a derivative with respect to itself.
    """
    return type(x) is np.ndarray and not x.any()
