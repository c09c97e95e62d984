"""Packed sequences: a batch of sequences of different lengths without their padding.

PyTorch's layout (``torch.nn.utils.rnn``): ``data`` holds, time step after time step, the
elements of the sequences still running at that step, the sequences taken longest first;
``batch_sizes[t]`` is how many run at step t. ``sorted_indices`` is the order of the
sequences in ``data`` (None when they were given sorted), ``unsorted_indices`` its
inverse. The recurrent layers (chainrule.nn.recurrent) accept one and give one back:
each sequence is run over its own length only, so its last hidden state, and the
reverse direction's start, are its own last real step's.

Every function here is indexing (a gather), differentiable in the values.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .. import primitives as P
from ..graph import is_tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
           "pad_sequence", "unpack_sequence", "unpad_sequence"]


class PackedSequence(NamedTuple):
    """(data, batch_sizes, sorted_indices, unsorted_indices); see the module docstring."""

    data: Any
    batch_sizes: Any
    sorted_indices: Any = None
    unsorted_indices: Any = None

    def _with_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        """The same packing with ``data.to(...)`` (a dtype; the device is the CPU)."""
        return self._with_data(self._data.to(*args, **kwargs))

    def float(self):
        return self._with_data(P.astype(self._data, np.float32))

    def double(self):
        return self._with_data(P.astype(self._data, np.float64))

    def cpu(self):
        return self

    @property
    def is_cuda(self):
        return False


def _ints(x, what):
    """A 1-D int64 array from a list, an array or a tensor."""
    a = np.asarray(x._data if is_tensor(x) else x)
    if a.ndim != 1 or not (a.dtype.kind in "iu" or a.size == 0):
        raise ValueError(f"{what} must be a 1-D sequence of ints, got {a.dtype} of shape "
                         f"{a.shape}")
    return a.astype(np.int64)


def _shape(x):
    return x._data.shape if is_tensor(x) else np.shape(x)


def _order(lengths, enforce_sorted):
    """(sorted_indices or None, unsorted_indices or None, lengths longest first)."""
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise ValueError(
                "lengths must be sorted in decreasing order when enforce_sorted is True; "
                "pass enforce_sorted=False to have them sorted (and the order kept for "
                "pad_packed_sequence and the recurrent layers' states)")
        return None, None, lengths
    order = np.argsort(-lengths, kind="stable")
    return order, np.argsort(order, kind="stable"), lengths[order]


def _batch_sizes(lengths):
    """How many sequences (lengths sorted longest first) run at each step."""
    return (lengths[None, :] > np.arange(lengths[0])[:, None]).sum(axis=1).astype(np.int64)


def _positions(batch_sizes):
    """(step, column) of each row of packed data, columns in sorted order."""
    steps = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    columns = np.concatenate([np.arange(n) for n in batch_sizes])
    return steps, columns


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """A padded batch (T, B, *) (or (B, T, *) with ``batch_first``) packed, sequence b
    taking its first ``lengths[b]`` steps."""
    lengths = _ints(lengths, "lengths")
    shape = _shape(input)
    batch = shape[0] if batch_first else shape[1]
    if len(lengths) != batch:
        raise ValueError(f"pack_padded_sequence: {len(lengths)} lengths for a batch of {batch}")
    if len(lengths) == 0 or lengths.min() <= 0:
        raise ValueError("pack_padded_sequence: every length must be at least 1")
    steps = shape[1] if batch_first else shape[0]
    if lengths.max() > steps:
        raise ValueError(f"pack_padded_sequence: a length of {lengths.max()} in an input of "
                         f"{steps} steps")
    sorted_indices, unsorted_indices, ordered = _order(lengths, enforce_sorted)
    batch_sizes = _batch_sizes(ordered)
    t, j = _positions(batch_sizes)
    b = j if sorted_indices is None else sorted_indices[j]
    data = P.getitem(input, (b, t) if batch_first else (t, b))
    return PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)


def _lengths(batch_sizes):
    """Each sequence's length (sorted order) from the batch sizes."""
    return (batch_sizes[None, :] > np.arange(batch_sizes[0])[:, None]).sum(axis=1)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths), the
    sequences in their original order; T is the longest length or ``total_length``."""
    data, batch_sizes, _, unsorted_indices = sequence
    batch_sizes = _ints(batch_sizes, "batch_sizes")
    lengths = _lengths(batch_sizes)
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"pad_packed_sequence: total_length={total_length} is shorter "
                             f"than the longest sequence ({steps})")
        steps = int(total_length)
    rows = padded_rows(batch_sizes, steps)  # (steps, batch) rows of data, or the pad row
    if unsorted_indices is not None:
        unsorted = _ints(unsorted_indices, "unsorted_indices")
        rows, lengths = rows[:, unsorted], lengths[unsorted]
    dtype = data._data.dtype if is_tensor(data) else np.asarray(data).dtype
    pad = np.full((1,) + tuple(_shape(data)[1:]), padding_value, dtype)
    padded = P.getitem(P.concatenate([data, pad], axis=0), rows.T if batch_first else rows)
    return padded, lengths.astype(np.int64)


def padded_rows(batch_sizes, steps=None):
    """(steps, batch) index of each padded position's row in the packed data, the pad
    row (one past the last) where a sequence has ended; columns in sorted order."""
    steps = len(batch_sizes) if steps is None else steps
    rows = np.full((steps, int(batch_sizes[0])), int(batch_sizes.sum()), np.int64)
    t, j = _positions(batch_sizes)
    rows[t, j] = np.arange(len(t))
    return rows


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes (L_i, *) into (max L, B, *) (or (B, max L, *) with
    ``batch_first``), filling with ``padding_value`` on ``padding_side``."""
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'right' or 'left', got {padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: no sequences given")
    longest = max(_shape(s)[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - _shape(s)[0]
        widths = ((0, extra) if padding_side == "right" else (extra, 0),) + ((0, 0),) * (
            len(_shape(s)) - 1)
        padded.append(P.pad(s, widths, constant_values=padding_value) if extra else s)
    return P.stack(padded, axis=0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The sequences pad_sequence stacked, cut back to their ``lengths``."""
    x = padded_sequences if batch_first else P.swapaxes(padded_sequences, 0, 1)
    return [P.getitem(x, (i, slice(0, int(n)))) for i, n in enumerate(_ints(lengths, "lengths"))]


def pack_sequence(sequences, enforce_sorted=True):
    """Sequences of shapes (L_i, *) packed (pad_sequence, then pack_padded_sequence)."""
    sequences = list(sequences)
    lengths = [_shape(s)[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences a PackedSequence holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
