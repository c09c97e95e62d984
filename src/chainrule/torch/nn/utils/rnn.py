"""``torch.nn.utils.rnn``: padded and packed batches of sequences (chainrule.nn.packed).

``PackedSequence`` holds ``data`` as a front-end tensor and ``batch_sizes``,
``sorted_indices`` and ``unsorted_indices`` as int64 tensors, as PyTorch's does; the
recurrent layers take and return one. ``pad_packed_sequence`` returns the lengths as an
int64 tensor.
"""

from __future__ import annotations

import numpy as np

from chainrule.nn import packed as _packed
from chainrule.nn.packed import PackedSequence, pad_sequence, unpad_sequence

__all__ = ["PackedSequence", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
           "pad_sequence", "unpack_sequence", "unpad_sequence"]


def _int_tensor(a):
    from ... import tensor  # (chainrule.torch's tensor; imported late: it imports nn)

    return None if a is None else tensor(np.asarray(a, np.int64))


def _front(packed):
    return PackedSequence(packed.data, _int_tensor(packed.batch_sizes),
                          _int_tensor(packed.sorted_indices),
                          _int_tensor(packed.unsorted_indices))


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """A padded batch packed, sequence b taking its first ``lengths[b]`` steps."""
    return _front(_packed.pack_padded_sequence(input, lengths, batch_first, enforce_sorted))


def pack_sequence(sequences, enforce_sorted=True):
    """Sequences of shapes (L_i, *) packed."""
    return _front(_packed.pack_sequence(sequences, enforce_sorted))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """(padded batch, lengths as an int64 tensor), the sequences in their original order."""
    padded, lengths = _packed.pad_packed_sequence(sequence, batch_first, padding_value,
                                                  total_length)
    return padded, _int_tensor(lengths)


def unpack_sequence(packed_sequences):
    """The list of sequences a PackedSequence holds, in their original order."""
    return _packed.unpack_sequence(packed_sequences)
