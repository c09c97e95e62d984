"""Packed sequences (nn.utils.rnn) and the recurrent layers on them."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.torch as ct
from chainrule import nn
from chainrule.gradcheck import gradcheck

R = nn.utils.rnn
LENGTHS = [3, 5, 1, 4, 5]


def _sequences(rng, features=3):
    return [rng.standard_normal((n, features)) for n in LENGTHS]


def test_packing_puts_each_steps_running_sequences_together_longest_first():
    x = np.arange(4 * 3 * 2, dtype=float).reshape(4, 3, 2)  # (T, B, 2)
    packed = R.pack_padded_sequence(cr.tensor(x), [2, 4, 1], enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    assert packed.sorted_indices.tolist() == [1, 0, 2]
    assert packed.unsorted_indices.tolist() == [1, 0, 2]
    # step 0: sequences 1, 0, 2; step 1: 1, 0; steps 2 and 3: sequence 1
    rows = [(0, 1), (0, 0), (0, 2), (1, 1), (1, 0), (2, 1), (3, 1)]
    np.testing.assert_array_equal(packed.data.data, [x[t, b] for t, b in rows])
    padded, lengths = R.pad_packed_sequence(packed, padding_value=-1.0, total_length=5)
    assert lengths.tolist() == [2, 4, 1] and lengths.dtype == np.int64
    expected = np.full((5, 3, 2), -1.0)
    for b, n in enumerate([2, 4, 1]):
        expected[:n, b] = x[:n, b]
    np.testing.assert_array_equal(padded.data, expected)


def test_pack_sequence_and_unpack_sequence_round_trip_batch_first_too():
    rng = np.random.default_rng(0)
    seqs = [cr.tensor(s) for s in _sequences(rng)]
    packed = R.pack_sequence(seqs, enforce_sorted=False)
    for a, b in zip(R.unpack_sequence(packed), seqs):
        np.testing.assert_array_equal(a.data, b.data)
    padded = R.pad_sequence(seqs, batch_first=True)
    again = R.pack_padded_sequence(padded, LENGTHS, batch_first=True, enforce_sorted=False)
    np.testing.assert_array_equal(again.data.data, packed.data.data)
    out, lengths = R.pad_packed_sequence(again, batch_first=True)
    np.testing.assert_array_equal(out.data, padded.data)


@pytest.mark.parametrize("call, match", [
    (lambda x: R.pack_padded_sequence(x, [1, 2, 1]), "decreasing order"),
    (lambda x: R.pack_padded_sequence(x, [2, 0, 1]), "at least 1"),
    (lambda x: R.pack_padded_sequence(x, [5, 2, 1]), "5 in an input of 4 steps"),
    (lambda x: R.pack_padded_sequence(x, [2, 1]), "2 lengths for a batch of 3"),
    (lambda x: R.pad_packed_sequence(R.pack_padded_sequence(x, [4, 2, 1]), total_length=3),
     "total_length=3"),
])
def test_bad_lengths_are_refused_by_name(call, match):
    with pytest.raises(ValueError, match=match):
        call(cr.tensor(np.zeros((4, 3, 2))))


def test_packing_and_padding_are_differentiable():
    def f(x):
        packed = R.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
        padded, _ = R.pad_packed_sequence(packed, batch_first=True, total_length=5)
        return padded * padded

    gradcheck(f, np.random.default_rng(1).standard_normal((4, 3, 2)), order=2)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_a_packed_batch_runs_each_sequence_over_its_own_steps(mode, bidirectional,
                                                              enforce_sorted):
    rng = np.random.default_rng(2)
    lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else LENGTHS
    seqs = [rng.standard_normal((n, 3)) for n in lengths]
    layer = getattr(nn, mode)(3, 4, num_layers=2, bidirectional=bidirectional,
                              dtype=np.float64, rng=1)
    states = 2 * (2 if bidirectional else 1)
    h0 = rng.standard_normal((states, len(seqs), 4))
    hx = (cr.tensor(h0), cr.tensor(0.5 * h0)) if mode == "LSTM" else cr.tensor(h0)
    packed = R.pack_sequence([cr.tensor(s) for s in seqs], enforce_sorted=enforce_sorted)
    out, state = layer(packed, hx)
    assert isinstance(out, R.PackedSequence)
    np.testing.assert_array_equal(out.batch_sizes, packed.batch_sizes)
    padded, _ = R.pad_packed_sequence(out, batch_first=True)
    for b, s in enumerate(seqs):
        # the same sequence alone, with its own initial state
        one = (cr.tensor(h0[:, b:b + 1]), cr.tensor(0.5 * h0[:, b:b + 1])) if mode == "LSTM" \
            else cr.tensor(h0[:, b:b + 1])
        alone, last = layer(cr.tensor(s[:, None]), one)
        np.testing.assert_allclose(padded.data[b, :len(s)], alone.data[:, 0], atol=1e-13)
        assert not padded.data[b, len(s):].any()
        if mode == "LSTM":
            for k in range(2):
                np.testing.assert_allclose(state[k].data[:, b], last[k].data[:, 0], atol=1e-13)
        else:
            np.testing.assert_allclose(state.data[:, b], last.data[:, 0], atol=1e-13)


def test_an_lstm_on_a_packed_batch_is_differentiable():
    layer = nn.LSTM(2, 3, bidirectional=True, dtype=np.float64, rng=0)

    def f(x):
        packed = R.pack_padded_sequence(x, [3, 1, 2], enforce_sorted=False)
        out, (h, c) = layer(packed)
        return cr.concatenate([cr.reshape(out.data, (-1,)), cr.reshape(h * c, (-1,))])

    gradcheck(f, np.random.default_rng(3).standard_normal((3, 3, 2)))


def test_the_front_end_gives_int64_tensors_as_pytorch_does():
    x = ct.tensor(np.random.default_rng(4).standard_normal((4, 3, 2)))
    packed = ct.nn.utils.rnn.pack_padded_sequence(x, ct.tensor([2, 4, 1]), enforce_sorted=False)
    assert isinstance(packed.batch_sizes, ct.Tensor) and packed.batch_sizes.dtype == ct.int64
    assert packed.sorted_indices.tolist() == [1, 0, 2]
    lstm = ct.nn.LSTM(2, 3).double()
    out, _ = lstm(packed)
    padded, lengths = ct.nn.utils.rnn.pad_packed_sequence(out)
    assert isinstance(padded, ct.Tensor) and lengths.dtype == ct.int64
    assert lengths.tolist() == [2, 4, 1] and tuple(padded.shape) == (4, 3, 3)


def test_projected_bidirectional_lstm_on_packed_sequences_equals_each_sequence_alone():
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2, dtype=np.float64,
                   rng=0)
    lengths = [2, 4, 1]
    x = np.random.default_rng(1).standard_normal((4, 3, 3))
    packed = R.pack_padded_sequence(cr.tensor(x), lengths, enforce_sorted=False)
    out, (h, c) = lstm(packed)
    padded, _ = R.pad_packed_sequence(out)
    assert h.shape == (4, 3, 2) and c.shape == (4, 3, 5)
    for i, n in enumerate(lengths):
        alone, (h1, c1) = lstm(cr.tensor(x[:n, i:i + 1]))
        np.testing.assert_allclose(padded.data[:n, i], alone.data[:, 0], atol=1e-14)
        assert np.all(padded.data[n:, i] == 0)
        np.testing.assert_allclose(h.data[:, i], h1.data[:, 0], atol=1e-14)
        np.testing.assert_allclose(c.data[:, i], c1.data[:, 0], atol=1e-14)
