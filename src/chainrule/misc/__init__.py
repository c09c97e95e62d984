"""autograd's utilities in chainrule: flattening, pytree optimizers, gradient checks,
the differential operators autograd has beyond cr.grad and friends, autograd's way of
defining a derivative, fixed points, container types and graph tracing.

    from chainrule.misc import flatten, check_grads, hessian_vector_product
    from chainrule.misc.optimizers import adam
    from chainrule.misc import primitive, defvjp   # autograd.extend's decorator form

chainrule's own transforms (grad, elementwise_grad, value_and_grad, jacobian, hessian,
vjp, jvp) are re-exported here too, so ``from autograd import ...`` maps to one import.
"""

from ..checkpointing import checkpoint  # noqa: F401
from ..jacobians import hessian, jacobian  # noqa: F401
from ..transforms import elementwise_grad, grad, value_and_grad  # noqa: F401
from . import optimizers  # noqa: F401
from .drawing import graph_of, print_graph, to_dot  # noqa: F401
from .extend import (  # noqa: F401
    def_linear,
    defjvp,
    defvjp,
    defvjp_argnum,
    notrace_primitive,
    primitive,
)
from .fixed_points import fixed_point  # noqa: F401
from .flatten import flatten, flatten_func, ravel_pytree  # noqa: F401
from .operators import (  # noqa: F401
    check_grads,
    deriv,
    grad_and_aux,
    grad_named,
    hessian_tensor_product,
    hessian_vector_product,
    make_ggnvp,
    make_hvp,
    make_jvp,
    make_vjp,
    multigrad_dict,
    tensor_jacobian_product,
    vector_jacobian_product,
)

# autograd's container types: chainrule needs none of its own (a tensor inside a Python
# tuple, list or dict stays on the graph), so they are Python's.
dict, isinstance, list, tuple, type = dict, isinstance, list, tuple, type  # noqa: PLW0127
