"""Elementwise NumPy calls in a compiled step: written out one by one, with typed
constants, into buffers that are no longer needed.

A compiled step (chainrule.compiled) is a list of lines. Most are Python source; the
calls of elementwise NumPy ufuncs are :class:`Call` objects instead, so that, once every
line is known, each can be rendered

* with its Python-number arguments as 0-d arrays of the other arguments' dtype (NumPy
  converts a Python number to that dtype itself, then computes the same thing; reading
  it on every call costs as much as the operation on a small array);
* writing into an argument's buffer (``multiply(g, e, e)``) when that argument is not
  used after the call, has the result's shape and dtype, and is only ever touched by
  such calls: its buffer then belongs to the program alone, no other name or object can
  see it change.

A ufunc call gives the same numbers with and without ``out=``, so the program's results
stay those of eager execution bit for bit.

An elementwise primitive's local derivative ``d(ans, *args)`` is turned into calls by
running it once on :class:`Symbol` arguments (each wraps a value of the right shape and
dtype and notes every ufunc applied to it). Anything else it does (a NumPy function that
is not a ufunc, a branch on values, an attribute a Symbol lacks) raises
:class:`Unsupported` and the derivative is called as it is instead.
"""

from __future__ import annotations

import re

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

NAME = re.compile(r"\b[vgste]\d+(?:_\d+)?\b")  # the program's variables (see compiled.py)


class Unsupported(Exception):
    """A derivative that cannot be written out as ufunc calls (see the module docstring)."""


class Call:
    """``target = ufunc(*args)``: each argument a variable's name or a constant (Const)."""

    __slots__ = ("target", "ufunc", "args", "value")

    def __init__(self, target, ufunc, args, value):
        self.target = target
        self.ufunc = ufunc
        self.args = args
        self.value = value  # what the call gives on the capture's values: shape, dtype

    def names(self):
        return [a for a in self.args if isinstance(a, str)] + [self.target]


class Const:
    """A constant argument of a Call: the program's name for it (not a variable)."""

    __slots__ = ("ref",)

    def __init__(self, ref):
        self.ref = ref


def plain_number(x):
    return type(x) in (int, float)


class Symbol(NDArrayOperatorsMixin):
    """A value standing for a variable of the program while a derivative is written out."""

    __slots__ = ("value", "node")

    def __init__(self, value, node):
        self.value = value
        self.node = node  # a variable's name, or (ufunc, arguments) for a computed one

    dtype = property(lambda self: self.value.dtype)
    shape = property(lambda self: self.value.shape)
    ndim = property(lambda self: self.value.ndim)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs or ufunc.nout != 1 or ufunc.signature is not None:
            raise Unsupported(ufunc.__name__)
        for a in inputs:
            if not (isinstance(a, (Symbol, np.generic)) or plain_number(a)):
                raise Unsupported("an array constant")
        values = [a.value if isinstance(a, Symbol) else a for a in inputs]
        return Symbol(ufunc(*values), (ufunc, inputs))

    def __array_function__(self, func, types, args, kwargs):
        raise Unsupported(getattr(func, "__name__", "a NumPy function"))

    def __array__(self, *args, **kwargs):
        raise Unsupported("conversion to an array")

    def _unsupported(self, *args):
        raise Unsupported("an operation on the values")

    # ndarray's own operators differ from their ufuncs for these (``x ** 2`` is
    # np.square, not np.power), or read values (bool, len, indexing).
    __pow__ = __rpow__ = __matmul__ = __rmatmul__ = __floordiv__ = __rfloordiv__ = _unsupported
    __mod__ = __rmod__ = __divmod__ = __rdivmod__ = _unsupported
    __bool__ = __len__ = __iter__ = __getitem__ = __float__ = __int__ = __index__ = _unsupported


def symbolic(d, ans, args):
    """d(ans, *args) with Symbols for the variables among them: a Symbol, or a plain
    value when the derivative does not depend on them (raises Unsupported, see above)."""
    with np.errstate(all="ignore"):
        return d(ans, *args)


class CallWriter:
    """Turns Symbols and ufunc applications into Calls appended to a program's lines."""

    def __init__(self, lines, values, const, namespace):
        self.lines = lines
        self.values = values  # name -> the value it had on the capture's inputs
        self.const = const  # value -> the program's name for that constant
        self.namespace = namespace  # the program's globals: each ufunc as u_<its name>
        self.count = 0

    def call(self, target, ufunc, args):
        """Append ``target = ufunc(*args)``; args are names (in self.values) or constants."""
        values = [self.values[a] if isinstance(a, str) else a for a in args]
        if (ufunc is np.multiply and isinstance(args[0], str) and args[0] == args[1]
                and getattr(values[0], "dtype", None) is not None and values[0].dtype.kind == "f"):
            # x * x as np.square(x): the same product, one argument less to dispatch
            # (about 10% of the call on 16 numbers)
            ufunc, args, values = np.square, args[:1], values[:1]
        with np.errstate(all="ignore"):
            value = ufunc(*values)
        arrays = [v for v in values if isinstance(v, np.ndarray)]
        typed = None
        if arrays and all(v.dtype == value.dtype for v in arrays) and value.dtype.kind in "fc":
            typed = value.dtype
        written = []
        for a in args:
            if isinstance(a, str):
                written.append(a)
            else:
                written.append(self.constant(a, typed))
        self.namespace[f"u_{ufunc.__name__}"] = ufunc
        self.lines.append(Call(target, ufunc, written, value))
        self.values[target] = value
        return target

    def constant(self, a, dtype):
        if dtype is not None and plain_number(a):
            typed = np.asarray(a, dtype=dtype)
            # Only where NumPy's own conversion gives the same number (no overflow).
            if np.isfinite(typed) or not np.isfinite(a):
                return Const(self.const(typed))
        return Const(self.const(a))

    def symbol(self, s):
        """The name holding Symbol `s` (its calls appended first), or a constant."""
        if not isinstance(s, Symbol):
            return s
        if isinstance(s.node, str):
            return s.node
        ufunc, inputs = s.node
        args = [self.symbol(a) for a in inputs]
        self.count += 1
        return self.call(f"e{self.count}", ufunc, args)


# A Call with no argument buffer to write into writes into a buffer of the program's own
# (see render) when its result is at most this large, up to _OWN_BYTES in all: for small
# arrays, allocating the result costs about a fifth of the call; for large ones it is
# noise beside the work, and holding them between steps would only keep memory.
_OWN_BYTES_EACH = 1 << 16
_OWN_BYTES = 1 << 22


def render(lines, values, fixed=frozenset()):
    """The lines as source, each Call with its output buffer chosen (module docstring),
    the names whose buffer a later call took over (name -> the call's target), and the
    program's own buffers [(shape, dtype)], named b0, b1, ... in the source.
    `values`: each Call's target -> its value on the capture's inputs. `fixed`: names
    whose shape is the same on every run (the program's inputs).

    A Call whose result needs a new array writes it into one of the program's own
    buffers instead, when that array can never be seen outside the program: no other
    line than Calls mentions the target, nor any later target that takes its buffer
    over (such a value is neither returned, nor handed to a rule or an effect, nor
    written as a gradient). The program then allocates nothing for it; the buffer is
    overwritten on its next run, when the value is long dead. Only where the result's
    shape cannot change between runs: every argument is in `fixed` or made from such by
    Calls (a buffer sized at capture would otherwise stretch a shorter result)."""
    touched = set()  # names some non-Call line mentions: their buffer may be shared
    last = {}
    for k, line in enumerate(lines):
        found = line.names() if isinstance(line, Call) else NAME.findall(line)
        if not isinstance(line, Call):
            touched.update(found)
        for n in found:
            last[n] = k
    into, taken = {}, {}  # Call line -> the argument whose buffer it writes into
    for k, line in enumerate(lines):
        if not isinstance(line, Call) or type(line.value) is not np.ndarray:
            continue
        if line.ufunc.signature is not None:
            continue
        for a in line.args:
            if isinstance(a, str) and a not in touched and last[a] == k:
                held = values[a]
                if (type(held) is np.ndarray and held.shape == line.value.shape
                        and held.dtype == line.value.dtype):
                    into[k] = a
                    taken[a] = line.target
                    break

    seen = {}  # name -> whether it or a later holder of its buffer is seen outside

    def seen_outside(name):
        chain = []
        while name is not None and name not in seen and name not in touched:
            chain.append(name)
            name = taken.get(name)
        result = name is not None and (name in touched or seen[name])
        for n in chain:
            seen[n] = result
        return result

    fixed = set(fixed)
    out, buffers, owned = [], [], 0
    for k, line in enumerate(lines):
        if not isinstance(line, Call):
            out.append(line)
            continue
        args = [a if isinstance(a, str) else a.ref for a in line.args]
        value = line.value
        target = into.get(k)
        steady = all(a in fixed for a in line.args if isinstance(a, str))
        if steady:
            fixed.add(line.target)
        if (target is None and steady and type(value) is np.ndarray
                and line.ufunc.signature is None
                and value.nbytes <= _OWN_BYTES_EACH and owned + value.nbytes <= _OWN_BYTES
                and not seen_outside(line.target)):
            target = f"b{len(buffers)}"
            buffers.append((value.shape, value.dtype))
            owned += value.nbytes
        if target is not None:
            # (np.maximum and np.minimum take it only as a keyword)
            positional = line.ufunc not in (np.maximum, np.minimum)
            args.append(target if positional else f"out={target}")
        out.append(f"    {line.target} = u_{line.ufunc.__name__}({', '.join(args)})")
    return out, taken, buffers
