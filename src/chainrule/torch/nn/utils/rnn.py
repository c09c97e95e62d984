"""``torch.nn.utils.rnn``: ``pad_sequence`` (and its inverse ``unpad_sequence``).

Packed sequences (``pack_padded_sequence``, ``pad_packed_sequence``,
``PackedSequence``) are not provided: chainrule's recurrent layers take padded batches;
mask the padded steps (or read each sequence's last real step) instead.
"""

from __future__ import annotations

import numpy as np

from chainrule import primitives as P

__all__ = ["pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "unpad_sequence"]


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes (L_i, *) into (max L, B, *) (or (B, max L, *) with
    ``batch_first``), filling with ``padding_value`` on ``padding_side``; differentiable
    in each sequence."""
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'right' or 'left', got {padding_side!r}")
    sequences = list(sequences)
    longest = max(np.shape(s)[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - np.shape(s)[0]
        widths = ((0, extra) if padding_side == "right" else (extra, 0),) + ((0, 0),) * (
            np.ndim(s) - 1)
        padded.append(P.pad(s, widths, constant_values=padding_value) if extra else s)
    return P.stack(padded, axis=0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The sequences pad_sequence stacked, cut back to their ``lengths``."""
    x = padded_sequences if batch_first else P.swapaxes(padded_sequences, 0, 1)
    lengths = np.asarray(lengths.data if hasattr(lengths, "data") else lengths).tolist()
    return [x[i, : int(n)] for i, n in enumerate(lengths)]


def _packed(*args, **kwargs):
    raise NotImplementedError(
        "packed sequences are not supported by chainrule.torch: give the recurrent layer "
        "the padded batch (pad_sequence) and mask or index the padded steps instead")


pack_padded_sequence = pad_packed_sequence = pack_sequence = _packed
