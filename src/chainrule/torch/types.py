"""PyTorch's dtype names, ``torch.device``, ``torch.Size`` and the default dtype.

A dtype here is a :class:`dtype` (``torch.dtype``) standing for one ``numpy.dtype``: it
equals and hashes as that NumPy dtype (``torch.float32 == np.dtype("float32")``), NumPy
reads it wherever it takes a dtype (through its ``dtype`` attribute), it answers NumPy's
attributes (``kind``, ``itemsize``, ...) and PyTorch's own (``is_floating_point``,
``is_complex``, ``is_signed``, ``to_real``, ``to_complex``), and it prints as
``torch.float32``. chainrule runs on the CPU: a device other than ``"cpu"`` is refused
where a tensor or module would be placed on it, naming the device.
"""

from __future__ import annotations

import builtins

import numpy as np


class dtype:  # noqa: N801  (PyTorch's name)
    """``torch.dtype``: PyTorch's face on one NumPy dtype (one object per NumPy dtype,
    made by :func:`torch_dtype`).

    NumPy dtypes cannot be subclassed or given attributes, so PyTorch's attributes live
    here, and NumPy takes this object through the ``dtype`` attribute it reads from any
    object passed as a dtype."""

    __slots__ = ("_numpy", "_name")

    def __init__(self, numpy_dtype, name):
        self._numpy = numpy_dtype
        self._name = name

    @property
    def dtype(self):
        """The NumPy dtype (NumPy converts any object with this attribute)."""
        return self._numpy

    @property
    def __numpy_dtype__(self):
        # (what NumPy 2.4 looks for first when converting an object to a dtype: without
        # it each conversion goes through a failing __getattr__, 6 us instead of 0.5)
        return self._numpy

    @property
    def is_floating_point(self):
        return self._numpy.kind == "f"

    @property
    def is_complex(self):
        return self._numpy.kind == "c"

    @property
    def is_signed(self):
        return self._numpy.kind in "ifc"

    @property
    def itemsize(self):
        return self._numpy.itemsize

    def to_real(self):
        """The real dtype of a complex one (a real dtype gives itself)."""
        if self._numpy.kind != "c":
            return self
        return torch_dtype(np.dtype(f"f{self._numpy.itemsize // 2}"))

    def to_complex(self):
        """The complex dtype of a float one (a complex dtype gives itself)."""
        if self._numpy.kind == "c":
            return self
        if self._numpy.kind != "f" or self._numpy.itemsize == 2:
            raise RuntimeError(f"to_complex is not supported for {self}")
        return torch_dtype(np.dtype(f"c{self._numpy.itemsize * 2}"))

    def __getattr__(self, name):
        # NumPy's attributes (kind, char, type, name, str, ...), for code written for it.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._numpy, name)

    def __eq__(self, other):
        if isinstance(other, dtype):
            return self._numpy == other._numpy
        if any(other is t for t in _PYTHON_TYPES):  # (torch.float64 == float: False, as
            return False                               # in PyTorch)
        if isinstance(other, (np.dtype, type)):
            try:
                return self._numpy == np.dtype(other)
            except TypeError:
                return False
        return NotImplemented

    def __hash__(self):
        return hash(self._numpy)

    def __repr__(self):
        return f"torch.{self._name}"

    __str__ = __repr__

    def __reduce__(self):
        return (torch_dtype, (self._numpy,))


_PYTHON_TYPES = (builtins.float, builtins.int, builtins.bool, builtins.complex)

# PyTorch's names for the NumPy dtypes it shares (others print by NumPy's name).
_TORCH_NAMES = {"float32": "float32", "float64": "float64", "float16": "float16",
                "int64": "int64", "int32": "int32", "int16": "int16", "int8": "int8",
                "uint8": "uint8", "uint16": "uint16", "uint32": "uint32",
                "uint64": "uint64", "bool": "bool", "complex64": "complex64",
                "complex128": "complex128"}
_BY_NUMPY: dict = {}


def torch_dtype(d):
    """The ``torch.dtype`` of a NumPy dtype (or of anything NumPy reads as one)."""
    try:
        return _BY_NUMPY[d]
    except (KeyError, TypeError):
        pass
    if isinstance(d, dtype):
        return d
    numpy_dtype = np.dtype(d)
    found = _BY_NUMPY.get(numpy_dtype)
    if found is None:
        found = dtype(numpy_dtype, _TORCH_NAMES.get(numpy_dtype.name, numpy_dtype.name))
        _BY_NUMPY[numpy_dtype] = found
    return found


# (The names below shadow float, int and bool in this module: use builtins.int etc.)
float32 = float = torch_dtype(np.float32)
float64 = double = torch_dtype(np.float64)
float16 = half = torch_dtype(np.float16)
int64 = long = torch_dtype(np.int64)
int32 = int = torch_dtype(np.int32)
int16 = short = torch_dtype(np.int16)
int8 = torch_dtype(np.int8)
uint8 = torch_dtype(np.uint8)
uint16 = torch_dtype(np.uint16)
uint32 = torch_dtype(np.uint32)
uint64 = torch_dtype(np.uint64)
bool = torch_dtype(np.bool_)
complex64 = cfloat = torch_dtype(np.complex64)
complex128 = cdouble = torch_dtype(np.complex128)


class _NoNumPyDtype:
    """A PyTorch dtype NumPy does not have (bfloat16): it exists, so programs that name it
    in a table run; making a tensor of it raises, naming it (dtype_of)."""

    # (PyTorch's facts about it, for programs that ask them of a dtype table)
    is_floating_point = True
    is_complex = False
    is_signed = True
    itemsize = 2

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


bfloat16 = _NoNumPyDtype("bfloat16")


class memory_format:  # noqa: N801  (PyTorch's name)
    """``torch.channels_last`` and friends: accepted wherever PyTorch takes a memory
    format. chainrule's operations accept any layout and give the same numbers in each,
    so a tensor or module converted "to channels_last" is returned as it is."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")


def check_memory_format(value, where):
    if value is not None and not isinstance(value, memory_format):
        raise TypeError(f"{where}: memory_format must be a torch.memory_format such as "
                        f"torch.channels_last, got {value!r}")

_default_dtype = float32


def set_default_dtype(d):
    """The dtype of floating-point tensors made from Python floats (float32 unless set).

    As in PyTorch, only float32 and float64 are accepted. Unlike PyTorch it does not
    change the dtype of chainrule.nn layers' parameters, which stay float32: convert a
    model with ``model.double()``.
    """
    global _default_dtype
    d = dtype_of(d)
    if d not in (float32, float64):
        raise TypeError(f"set_default_dtype: only float32 and float64 are supported, got "
                        f"{torch_dtype(d)}")
    _default_dtype = torch_dtype(d)


def get_default_dtype():
    return _default_dtype


# PyTorch's promotion categories: a higher one wins whatever the widths.
CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def default_of(category):
    """The dtype a Python number of this category takes (bool, int64, the default float)."""
    return {0: np.dtype(np.bool_), 1: np.dtype(np.int64), 2: get_default_dtype(),
            3: np.dtype(np.complex64 if get_default_dtype() == np.float32
                        else np.complex128)}[category]


# PyTorch's scalar-type names (x.type() is 'torch.FloatTensor'; error messages say Float).
SCALAR_NAMES = {np.dtype(np.float16): "Half", np.dtype(np.float32): "Float",
                np.dtype(np.float64): "Double", np.dtype(np.int8): "Char",
                np.dtype(np.int16): "Short", np.dtype(np.int32): "Int",
                np.dtype(np.int64): "Long", np.dtype(np.uint8): "Byte",
                np.dtype(np.bool_): "Bool"}


def promote_dtypes(a, b):
    """The dtype two dtypes combine to, by PyTorch's rule (the higher category wins
    whatever the widths; within one category, NumPy's promotion)."""
    if CATEGORY[a.kind] != CATEGORY[b.kind]:
        return a if CATEGORY[a.kind] > CATEGORY[b.kind] else b
    return np.promote_types(a, b)


def result_dtype(arrays, numbers):
    """PyTorch's result dtype: among the `arrays` (the operands' arrays) the dimensioned
    ones decide, then 0-d ones of a higher category, then Python `numbers` of a higher
    category still (in their category's default dtype)."""
    result = None
    for group in ([a.dtype for a in arrays if a.ndim], [a.dtype for a in arrays if not a.ndim]):
        if group:
            dtype = group[0]
            for d in group[1:]:
                dtype = promote_dtypes(dtype, d)
            if result is None or CATEGORY[dtype.kind] > CATEGORY[result.kind]:
                result = dtype
    if numbers:
        top = builtins.max(CATEGORY[np.asarray(x).dtype.kind] for x in numbers)
        if result is None or top > CATEGORY[result.kind]:
            result = default_of(top)
    return result


def dtype_of(d):
    """``np.dtype(d)`` with a message naming what was given when it is not a dtype."""
    if d == "bfloat16" or isinstance(d, _NoNumPyDtype):
        raise TypeError("bfloat16 has no NumPy dtype; chainrule.torch has float16, float32 "
                        "and float64")
    try:
        return np.dtype(d)
    except TypeError as e:
        raise TypeError(f"{d!r} is not a dtype; use torch.float32, torch.int64, ...") from e


class finfo:
    """``torch.finfo(dtype)``: a floating dtype's limits (the default dtype when omitted)."""

    def __init__(self, type=None):  # noqa: A002  (PyTorch's argument name)
        d = _default_dtype if type is None else dtype_of(type)
        if d.kind != "f":
            raise TypeError(f"torch.finfo() requires a floating point dtype, got {d}")
        f = np.finfo(d)
        self.dtype = str(d)
        self.bits = builtins.int(f.bits)
        self.eps = builtins.float(f.eps)
        self.max = builtins.float(f.max)
        self.min = builtins.float(f.min)
        self.tiny = self.smallest_normal = builtins.float(f.tiny)
        self.resolution = builtins.float(str(f.resolution))  # (1e-06, not 9.99...e-07)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """``torch.iinfo(dtype)``: an integer dtype's limits."""

    def __init__(self, type):  # noqa: A002
        d = dtype_of(type)
        if d.kind not in "iub":
            raise TypeError(f"torch.iinfo() requires an integer dtype, got {d}")
        i = np.iinfo(np.uint8 if d.kind == "b" else d)
        self.dtype = str(d)
        self.bits = builtins.int(i.bits)
        self.max = builtins.int(i.max if d.kind != "b" else 1)
        self.min = builtins.int(i.min)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def is_floating_point(x):
    return np.dtype(x.dtype).kind == "f"


class device:  # noqa: N801 (PyTorch's name)
    """``torch.device("cpu")``: chainrule computes on the CPU only.

    ``torch.device("cuda")`` can be made (programs build it from a condition), but a
    tensor or module moved to it raises an error saying that chainrule runs on the CPU.
    """

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        name = str(type)
        if ":" in name:
            name, _, idx = name.partition(":")
            index = builtins.int(idx)
        if name not in ("cpu", "cuda", "mps", "meta", "xpu"):
            raise RuntimeError(f"Expected one of cpu, cuda, mps device type at start of "
                               f"device string: {type}")
        self.type = name
        self.index = index

    def __repr__(self):
        extra = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{extra})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    # ``with torch.device("meta"):`` (models built as skeletons, then ``to_empty``): the
    # default device for the block, as set_default_device sets it.
    def __enter__(self):
        from . import settings

        _DEVICE_CONTEXTS.append(settings._state.get("device"))
        settings.set_default_device(self)
        return self

    def __exit__(self, *exc):
        from . import settings

        settings._state["device"] = _DEVICE_CONTEXTS.pop()
        return False


_DEVICE_CONTEXTS: list = []  # the default devices the open `with device(...)` blocks replaced
CPU = device("cpu")


def check_device(d, who):
    """Accept None and the CPU; refuse any other device with an error naming it.

    'meta' (PyTorch's device of tensors without values, used for model skeletons such as
    functional_call's) is accepted as the CPU: the tensors it makes have values, which no
    program can read from a meta tensor anyway."""
    if d is None:
        return
    dev = d if isinstance(d, device) else device(d)
    if dev.type not in ("cpu", "meta"):
        raise RuntimeError(
            f"{who}: device {str(dev)!r} is not available: chainrule runs on the CPU "
            f"(NumPy). Use device='cpu' (e.g. device = 'cuda' if torch.cuda.is_available() "
            f"else 'cpu', which chooses 'cpu' here)"
        )


def is_device(x):
    if isinstance(x, device):
        return True
    if isinstance(x, str):
        return x.partition(":")[0] in ("cpu", "cuda", "mps", "meta", "xpu")
    return False


def shape_args(shape, who):
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3)."""
    if len(shape) == 1 and not isinstance(shape[0], (builtins.int, np.integer)):
        shape = tuple(shape[0])
    for s in shape:
        if not isinstance(s, (builtins.int, np.integer)):
            raise TypeError(f"{who}: sizes must be ints, got {s!r}")
    return tuple(builtins.int(s) for s in shape)


class ShapeError(ValueError, RuntimeError):
    """An input shape an operation cannot take: PyTorch raises RuntimeError, chainrule's
    engine ValueError; this is both, so ``except RuntimeError`` (a PyTorch program) and
    ``except ValueError`` (the engine's callers) catch it alike."""


def broadcast_mismatch(a, b):
    """PyTorch's message for shapes ``a`` and ``b`` that do not broadcast (the first
    clash from the right, numbered as a dimension of the result), or None if they do."""
    n = max(len(a), len(b))
    for i in range(n - 1, -1, -1):
        back = n - i
        sa = a[-back] if back <= len(a) else 1
        sb = b[-back] if back <= len(b) else 1
        if sa != sb and sa != 1 and sb != 1:
            return (f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) at "
                    f"non-singleton dimension {i}")
    return None


def matmul_mismatch(a, b):
    """PyTorch's message for matrices of shapes ``a`` (rows x k) and ``b`` (k' x cols)
    that cannot be multiplied (k != k')."""
    return f"mat1 and mat2 shapes cannot be multiplied ({a[0]}x{a[1]} and {b[0]}x{b[1]})"


def _as_size(items, other=None):
    """``items`` as a Size, each an int as PyTorch's Size requires (``x.shape + (1.5,)``
    is a TypeError there too)."""
    for k, v in enumerate(items):
        if not isinstance(v, (builtins.int, np.integer)):
            raise TypeError(f"torch.Size() takes an iterable of 'int' (item {k} is "
                            f"'{type(v).__name__}')")
    return Size(builtins.int(v) for v in items)


class Size(tuple):
    """A tensor's shape as ``x.size()`` returns it: a tuple (PyTorch's ``torch.Size``).
    Slicing it, adding a tuple to it on either side and repeating it give a Size, as in
    PyTorch; indexing gives an int."""

    def __getitem__(self, index, _item=tuple.__getitem__):
        if index.__class__ is slice:
            return Size(_item(self, index))
        return _item(self, index)

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return _as_size(tuple(self) + tuple(other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return _as_size(tuple(other) + tuple(self))

    def __mul__(self, n):
        got = tuple.__mul__(self, n)
        return got if got is NotImplemented else Size(got)

    __rmul__ = __mul__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"torch.Size({list(self)})"
