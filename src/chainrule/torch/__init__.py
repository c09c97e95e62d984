"""``chainrule.torch``: PyTorch's names and tensor semantics over chainrule's engine.

    import chainrule.torch as torch
    import chainrule.torch.nn as nn
    import chainrule.torch.nn.functional as F

Tensors made here are :class:`chainrule.torch.Tensor`, a subclass of chainrule's Tensor
whose methods mean what they mean in PyTorch (``x.size()``, ``x.transpose(0, 1)``,
``x.max(1)`` -> (values, indices), ``x.std()`` unbiased, ...). Operations keep that
class; the engine, primitives, layers and optimizers are chainrule's own. Devices: "cpu"
only. ``torch.save``/``torch.load`` write and read safetensors, never pickle. See
docs/coming-from-pytorch.md for the design and every difference from PyTorch.
"""

from ..threads import get_num_threads, set_num_threads
from . import (
    _C,  # (torch._C._LinAlgError)
    _dynamo,
    accelerator,
    amp,
    autograd,
    backends,
    compiler,
    cpu,
    cuda,
    distributed,
    func,
    hub,
    jit,
    linalg,
    multiprocessing,
    nn,
    onnx,
    optim,
    profiler,
    random,
    return_types,
    sparse,
    special,
    testing,
    utils,
    version,
    xpu,
)
from .amp import autocast, get_autocast_dtype, is_autocast_available, is_autocast_enabled
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    tril_indices,
    triu_indices,
    zeros,
    zeros_like,
)
from .functional_forms import *  # noqa: F403 (functional_forms.__all__ lists them)
from .functional_forms import __all__ as _functional_form_names
from .functions import *  # noqa: F403 (functions.__all__ is the one list of these names)
from .functions import __all__ as _function_names
from .generators import Generator, default_generator, initial_seed, manual_seed, seed
from .more_functions import *  # noqa: F403 (more_functions.__all__ lists them)
from .more_functions import __all__ as _more_function_names
from .queries import *  # noqa: F403 (queries.__all__ lists them)
from .queries import __all__ as _query_names
from .random import get_rng_state, set_rng_state
from .serialization import load, save
from .settings import (
    are_deterministic_algorithms_enabled,
    compile,
    get_default_device,
    get_float32_matmul_precision,
    set_default_device,
    set_float32_matmul_precision,
    set_printoptions,
    use_deterministic_algorithms,
)
from .tensor import Tensor
from .types import (
    Size,
    bfloat16,
    bool,
    cdouble,
    cfloat,
    channels_last,
    channels_last_3d,
    complex64,
    complex128,
    contiguous_format,
    device,
    double,
    dtype,
    finfo,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    memory_format,
    preserve_format,
    set_default_dtype,
    short,
    uint8,
    uint16,
    uint32,
    uint64,
)
from .version import __version__  # noqa: F401 (PyTorch's name)

__all__ = sorted([
    *_function_names,
    *_more_function_names,
    *_functional_form_names,
    *_query_names,
    "vmap",
    "onnx", "distributed",
    "profiler",
    "sparse",
    "sparse_coo_tensor",
    "spmm",
    "Generator", "Size", "Tensor", "accelerator", "amp", "hub", "arange", "version", "compiler",
    "are_deterministic_algorithms_enabled",
    "as_tensor", "autocast", "autograd", "backends", "bfloat16", "bool", "channels_last",
    "channels_last_3d", "compile", "contiguous_format", "memory_format", "preserve_format",
    "cdouble", "cfloat", "complex64", "complex128", "cpu", "cuda", "default_generator", "device",
    "distributions", "double", "dtype", "empty", "empty_like", "eye", "finfo", "float",
    "float16", "float32", "get_autocast_dtype", "get_default_device",
    "get_float32_matmul_precision", "is_autocast_available", "is_autocast_enabled",
    "get_rng_state", "iinfo", "jit", "random", "set_rng_state", "testing",
    "set_default_device", "set_float32_matmul_precision", "set_printoptions",
    "use_deterministic_algorithms",
    "float64", "from_numpy", "full", "full_like", "func", "get_default_dtype",
    "get_num_threads", "half",
    "initial_seed", "int", "int8", "int16", "int32", "int64", "linalg", "linspace", "load",
    "long", "multiprocessing",
    "manual_seed", "nn", "normal", "ones", "ones_like", "optim", "rand", "rand_like",
    "randint", "randint_like", "randn", "randn_like", "randperm", "range", "save", "seed",
    "set_default_dtype", "set_num_threads", "short", "special", "tensor", "tril_indices",
    "triu_indices",
    "uint8", "uint16", "uint32", "uint64", "utils", "xpu", "zeros",
    "zeros_like",
])

vmap = func.vmap


def _take_out_arguments(names):
    # Every torch.* function takes out= (chainrule.torch.out_argument).
    import inspect

    from .out_argument import with_out

    namespace = globals()
    for name in names:
        fn = namespace.get(name)
        if callable(fn) and not inspect.isclass(fn) and not name.endswith("_"):
            namespace[name] = with_out(fn)


_take_out_arguments([*_function_names, *_more_function_names, *_functional_form_names,
                     "zeros", "ones", "empty", "full", "rand", "randn", "randint", "arange",
                     "linspace", "eye", "normal", "randperm", "tensor_split"])
sparse_coo_tensor = sparse.coo_tensor


def spmm(input, mat2):
    """The matrix product of a sparse (stored dense here) and a dense matrix."""
    return sparse.mm(input, mat2)


# Last: its modules use the names above through `import chainrule.torch as torch`.
from . import distributions  # noqa: E402
from .module_paths import register_all as _register_module_paths  # noqa: E402
from .more_functions import _range as range  # noqa: E402, A001  (torch.range)

_register_module_paths()  # (PyTorch's module paths for names kept elsewhere here)
