"""Recurrent layers: RNN, LSTM, GRU and their cells, with PyTorch's parameters and layouts.

Parameters are named ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
``bias_hh_l{k}`` (``..._reverse`` for the backward direction), with the gates stacked in
PyTorch's order (LSTM: input, forget, cell, output; GRU: reset, update, new), so a
``state_dict`` moves between chainrule and PyTorch unchanged. Each layer and direction
runs as one primitive over the whole sequence (chainrule.primitives.recurrent): the
backward pass through time is a loop of NumPy calls per step, not per element.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import TYPE_CHECKING, Literal

import numpy as np

from .. import primitives as P
from ..graph import is_tensor
from ..primitives.recurrent import gru_scan, lstm_scan, rnn_scan
from .dropout import dropout
from .init import generator, uniform_
from .module import Module, Parameter, float_dtype
from .packed import PackedSequence, _ints, _lengths, _positions, padded_rows

if TYPE_CHECKING:
    from numpy.typing import DTypeLike


_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _shape(x):
    return x._data.shape if is_tensor(x) else np.shape(x)


def _dtype_of(x):
    return x._data.dtype if is_tensor(x) else np.asarray(x).dtype


def _reset_uniform(module, hidden_size, rng):
    """Every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
    bound = 1.0 / math.sqrt(hidden_size)
    rng = generator(rng)
    for p in module.parameters():
        uniform_(p, -bound, bound, rng)


def _run(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
    """One layer in one direction as its primitive: the h's (T, B, H), for the LSTM the
    h's and c's stacked (2, T, B, H)."""
    b_ih = 0.0 if b_ih is None else b_ih
    b_hh = 0.0 if b_hh is None else b_hh
    if mode == "LSTM":
        return lstm_scan(x, w_ih, b_ih, h0, c0, w_hh, b_hh, reverse=reverse)
    if mode == "GRU":
        return gru_scan(x, w_ih, b_ih, h0, w_hh, b_hh, reverse=reverse)
    nonlinearity = "tanh" if mode == "RNN_TANH" else "relu"
    return rnn_scan(x, w_ih, b_ih, h0, w_hh, b_hh, nonlinearity=nonlinearity, reverse=reverse)


def _scan(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, w_hr=None):
    """One layer in one direction: (outputs (T, B, H), last h, last c or None)."""
    last = 0 if reverse else -1
    if w_hr is not None:
        hs, cs = _projected(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse)
        return hs, P.getitem(hs, last), P.getitem(cs, last)
    out = _run(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)
    if mode == "LSTM":
        return P.getitem(out, 0), P.getitem(out, (0, last)), P.getitem(out, (1, last))
    return out, P.getitem(out, last), None


def _projected(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse):
    """An LSTM layer with a projection (PyTorch's proj_size): h_t = W_hr (o_t tanh c_t),
    so h has proj_size entries and W_hh reads them. Step by step with recorded
    operations (the fused lstm_scan has no projection): every step's h (T, B, P) and
    c (T, B, H), in time order."""
    steps = _shape(x)[0]
    hidden = _shape(w_hr)[1]
    pre = P.matmul(x, P.swapaxes(w_ih, 0, 1))  # (T, B, 4H) for every step at once
    if b_ih is not None:
        pre = pre + b_ih + b_hh
    w_hh_t, w_hr_t = P.swapaxes(w_hh, 0, 1), P.swapaxes(w_hr, 0, 1)
    h, c, hs, cs = h0, c0, [None] * steps, [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        z = P.getitem(pre, t) + P.matmul(h, w_hh_t)
        i, f, g, o = (P.getitem(z, (Ellipsis, slice(k * hidden, (k + 1) * hidden)))
                      for k in range(4))
        c = P.sigmoid(f) * c + P.sigmoid(i) * P.tanh(g)
        h = P.matmul(P.sigmoid(o) * P.tanh(c), w_hr_t)
        hs[t], cs[t] = h, c
    return P.stack(hs), P.stack(cs)


def _packed_scan(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, w_hr=None, *, lengths):
    """_scan over sequences of the given lengths (x padded after each): every sequence
    runs over its own steps only, the reverse direction from its own last step (the
    sequence is flipped within its length, run forward, and flipped back)."""
    steps, batch = _shape(x)[:2]
    t = np.arange(steps)[:, None]
    columns = np.arange(batch)[None, :]
    flip = np.where(t < lengths, lengths - 1 - t, t)  # (T, B); its own inverse
    if reverse:
        x = P.getitem(x, (flip, columns))
    last = (lengths - 1, np.arange(batch))
    if w_hr is not None:
        hs, cs = _projected(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse=False)
        h, c = P.getitem(hs, last), P.getitem(cs, last)
    else:
        out = _run(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False)
        if mode == "LSTM":
            hs, h, c = (P.getitem(out, 0), P.getitem(out, (0, *last)),
                        P.getitem(out, (1, *last)))
        else:
            hs, h, c = out, P.getitem(out, last), None
    if reverse:
        hs = P.getitem(hs, (flip, columns))
    return hs, h, c


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrence shared by RNN, LSTM and GRU."""

    mode = "RNN_TANH"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if isinstance(proj_size, bool) or not isinstance(proj_size, (int, np.integer)) \
                or proj_size < 0:
            raise ValueError(f"{name}: proj_size must be a non-negative int, got "
                             f"{proj_size!r}")
        if proj_size and self.mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if proj_size and proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size "
                             f"({proj_size} >= {hidden_size})")
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size),
                           ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name}: {arg} must be a positive int, got {value!r}")
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{name}: dropout={dropout} applies between layers, so with num_layers=1 it "
                f"does nothing", UserWarning, stacklevel=2,
            )
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        self.proj_size = int(proj_size)
        # Dropout between layers: the default generator at each call unless a seed or a
        # Generator was given (see Dropout).
        self.rng = None if rng is None else generator(rng)
        dtype = float_dtype(dtype)
        gates = _GATES[self.mode] * self.hidden_size
        directions = 2 if self.bidirectional else 1
        out = self._out_size
        for layer in range(self.num_layers):
            width = self.input_size if layer == 0 else out * directions
            for suffix in ("", "_reverse")[:directions]:
                setattr(self, f"weight_ih_l{layer}{suffix}",
                        Parameter(np.empty((gates, width), dtype)))
                setattr(self, f"weight_hh_l{layer}{suffix}",
                        Parameter(np.empty((gates, out), dtype)))
                if self.bias:
                    setattr(self, f"bias_ih_l{layer}{suffix}", Parameter(np.empty(gates, dtype)))
                    setattr(self, f"bias_hh_l{layer}{suffix}", Parameter(np.empty(gates, dtype)))
                if self.proj_size:
                    setattr(self, f"weight_hr_l{layer}{suffix}",
                            Parameter(np.empty((self.proj_size, self.hidden_size), dtype)))
        _reset_uniform(self, self.hidden_size, self.rng)

    def reset_parameters(self):
        """Draw every weight and bias again from U(-1/sqrt(hidden), 1/sqrt(hidden))."""
        _reset_uniform(self, self.hidden_size, None)

    @property
    def _out_size(self):
        """The size of h: proj_size when the LSTM projects, else hidden_size."""
        return self.proj_size or self.hidden_size

    def flatten_parameters(self):
        """Nothing to do (PyTorch compacts cuDNN weights here); kept for compatibility."""

    @property
    def all_weights(self):
        """[[weight_ih, weight_hh, bias_ih, bias_hh] per layer and direction]."""
        out = []
        for layer in range(self.num_layers):
            for suffix in ("", "_reverse")[: 2 if self.bidirectional else 1]:
                names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if self.bias else ()) \
                    + (("weight_hr",) if self.proj_size else ())
                out.append([getattr(self, f"{n}_l{layer}{suffix}") for n in names])
        return out

    def _parameters_of(self, layer, suffix):
        get = lambda n: getattr(self, f"{n}_l{layer}{suffix}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _check_state(self, h, what, batch, unbatched):
        layers = self.num_layers * (2 if self.bidirectional else 1)
        size = self._out_size if what == "h_0" else self.hidden_size
        want = (layers, size) if unbatched else (layers, batch, size)
        if tuple(_shape(h)) != want:
            raise ValueError(
                f"{type(self).__name__}: {what} must have shape {want} (num_layers * "
                f"num_directions{'' if unbatched else ', batch'}, "
                f"{'proj_size' if size != self.hidden_size else 'hidden_size'}), got "
                f"{tuple(_shape(h))}"
            )

    def _states(self, hx, batch, dtype, unbatched):
        """(h0, c0) of shape (layers * directions, B, H); zeros when not given."""
        layers = self.num_layers * (2 if self.bidirectional else 1)
        zeros = np.zeros((layers, batch, self.hidden_size), dtype)
        if hx is None:
            h_zeros = np.zeros((layers, batch, self._out_size), dtype)
            return h_zeros, (zeros if self.mode == "LSTM" else None)
        if self.mode == "LSTM":
            if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
            states = list(hx)
        else:
            if isinstance(hx, tuple):
                raise TypeError(f"{type(self).__name__}: hx must be one tensor, not a tuple")
            states = [hx]
        for k, h in enumerate(states):
            self._check_state(h, ("h_0", "c_0")[k], batch, unbatched)
        if unbatched:
            states = [P.expand_dims(h, 1) for h in states]
        return states[0], (states[1] if self.mode == "LSTM" else None)

    def _layers(self, x, h0, c0, scan):
        """Every layer and direction over x (T, B, I) with `scan` (_scan, or _packed_scan
        bound to the lengths): (the last layer's outputs, h_n, c_n or None)."""
        directions = 2 if self.bidirectional else 1
        last_h, last_c = [], []
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(("", "_reverse")[:directions]):
                k = layer * directions + d
                w_ih, w_hh, b_ih, b_hh = self._parameters_of(layer, suffix)
                extra = {}
                if self.proj_size:
                    extra["w_hr"] = getattr(self, f"weight_hr_l{layer}{suffix}")
                out, h, c = scan(self.mode, x, P.getitem(h0, k),
                                 None if c0 is None else P.getitem(c0, k),
                                 w_ih, w_hh, b_ih, b_hh, reverse=d == 1, **extra)
                outs.append(out)
                last_h.append(h)
                last_c.append(c)
            x = outs[0] if directions == 1 else P.concatenate(outs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = dropout(x, self.dropout, True, rng=self.rng)
        return x, P.stack(last_h), (P.stack(last_c) if self.mode == "LSTM" else None)

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        name = type(self).__name__
        shape = _shape(input)
        if len(shape) not in (2, 3) or shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input of shape (L, {self.input_size}) unbatched or "
                f"({'N, L' if self.batch_first else 'L, N'}, {self.input_size}), got {shape}"
            )
        if _dtype_of(input).kind != "f":
            raise TypeError(f"{name}: input must be floating point, got {_dtype_of(input)}")
        unbatched = len(shape) == 2
        x = P.expand_dims(input, 1) if unbatched else input
        if self.batch_first and not unbatched:
            x = P.swapaxes(x, 0, 1)
        steps, batch = _shape(x)[:2]
        if steps == 0:
            raise ValueError(f"{name}: the input sequence is empty (length 0)")
        h0, c0 = self._states(hx, batch, _dtype_of(input), unbatched)
        x, h_n, c_n = self._layers(x, h0, c0, _scan)
        if unbatched:
            x = P.squeeze(x, 1)
            h_n = P.squeeze(h_n, 1)
            c_n = None if c_n is None else P.squeeze(c_n, 1)
        elif self.batch_first:
            x = P.swapaxes(x, 0, 1)
        return x, ((h_n, c_n) if self.mode == "LSTM" else h_n)

    def _forward_packed(self, packed, hx):
        """forward() on a PackedSequence (chainrule.nn.packed): the output packed the same
        way, h_n (and c_n) each sequence's state after its own last step, in the
        sequences' original order (as hx is read)."""
        name = type(self).__name__
        data, batch_sizes, sorted_indices, _ = packed
        sizes = _ints(batch_sizes, "batch_sizes")
        shape = _shape(data)
        if len(shape) != 2 or shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected packed data of shape (N, {self.input_size}), "
                             f"got {shape}")
        if _dtype_of(data).kind != "f":
            raise TypeError(f"{name}: input must be floating point, got {_dtype_of(data)}")
        lengths = _lengths(sizes)
        # The padded batch, sequences longest first, zeros after each one's end.
        zero = np.zeros((1, shape[1]), _dtype_of(data))
        x = P.getitem(P.concatenate([data, zero], axis=0), padded_rows(sizes))
        batch = int(sizes[0])
        h0, c0 = self._states(hx, batch, _dtype_of(data), False)
        if hx is not None and sorted_indices is not None:
            order = (slice(None), _ints(sorted_indices, "sorted_indices"))
            h0 = P.getitem(h0, order)
            c0 = None if c0 is None else P.getitem(c0, order)
        x, h_n, c_n = self._layers(x, h0, c0, functools.partial(_packed_scan, lengths=lengths))
        output = packed._replace(data=P.getitem(x, _positions(sizes)))
        if packed.unsorted_indices is not None:
            order = (slice(None), _ints(packed.unsorted_indices, "unsorted_indices"))
            h_n = P.getitem(h_n, order)
            c_n = None if c_n is None else P.getitem(c_n, order)
        return output, ((h_n, c_n) if self.mode == "LSTM" else h_n)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = act(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh), act tanh or relu.

    ``forward(input, h_0=None)`` returns (output, h_n): output (L, N, D * H) (or batch
    first), h_n (num_layers * D, N, H), D = 2 when bidirectional.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: Literal["tanh", "relu"] = 'tanh',
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', not {nonlinearity!r}")
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype=dtype, rng=rng)


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's equations and gate order (i, f, g, o).

    ``forward(input, (h_0, c_0)=None)`` returns (output, (h_n, c_n)).
    """

    mode = "LSTM"


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's equations and gate order (r, z, n):
    n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h.

    ``forward(input, h_0=None)`` returns (output, h_n).
    """

    mode = "GRU"


# -------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """One step of a recurrence: weight_ih (G, input), weight_hh (G, hidden), biases (G,)."""

    mode = "RNN_TANH"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bias
        dtype = float_dtype(dtype)
        gates = _GATES[self.mode] * self.hidden_size
        self.weight_ih = Parameter(np.empty((gates, self.input_size), dtype))
        self.weight_hh = Parameter(np.empty((gates, self.hidden_size), dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(gates, dtype))
            self.bias_hh = Parameter(np.empty(gates, dtype))
        else:
            self.bias_ih = self.bias_hh = None
        _reset_uniform(self, self.hidden_size, rng)

    def _step(self, input, hx):
        """(h', c') after one step from state hx (zeros when None); c' is None but for LSTM."""
        name = type(self).__name__
        shape = _shape(input)
        if len(shape) not in (1, 2) or shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input of shape (N, {self.input_size}) or "
                             f"({self.input_size},), got {shape}")
        unbatched = len(shape) == 1
        batch = 1 if unbatched else shape[0]
        zeros = np.zeros((batch, self.hidden_size), _dtype_of(input))
        states = list(hx) if isinstance(hx, (tuple, list)) else ([] if hx is None else [hx])
        need = 2 if self.mode == "LSTM" else 1
        if hx is not None and len(states) != need:
            raise TypeError(f"{name}: hx must be {'a tuple (h, c)' if need == 2 else 'one tensor'}")
        for k, h in enumerate(states):
            want = (self.hidden_size,) if unbatched else (batch, self.hidden_size)
            if tuple(_shape(h)) != want:
                raise ValueError(f"{name}: state {k} must have shape {want}, got {_shape(h)}")
        states = [P.expand_dims(h, 0) if unbatched else h for h in states] or [zeros] * need
        x = P.expand_dims(input, 0)
        if unbatched:
            x = P.expand_dims(x, 0)
        _, h, c = _scan(self.mode, x, states[0], states[1] if need == 2 else None,
                        self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, False)
        if unbatched:
            h = P.squeeze(h, 0)
            c = None if c is None else P.squeeze(c, 0)
        return h, c

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(RNNCellBase):
    """h' = act(W_ih x + b_ih + W_hh h + b_hh); ``forward(input, hx=None)`` returns h'."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: Literal["tanh", "relu"] = 'tanh',
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', not "
                             f"{nonlinearity!r}")
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, dtype, rng)

    def forward(self, input, hx=None):
        return self._step(input, hx)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step; ``forward(input, (h, c)=None)`` returns (h', c')."""

    mode = "LSTM"

    def forward(self, input, hx=None):
        return self._step(input, hx)


class GRUCell(RNNCellBase):
    """One GRU step; ``forward(input, hx=None)`` returns h'."""

    mode = "GRU"

    def forward(self, input, hx=None):
        return self._step(input, hx)[0]
