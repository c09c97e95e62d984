"""JAX's ``jax.example_libraries`` over chainrule: ``optimizers`` (functional optimizers on
pytrees) and ``stax`` (layers as ``(init_fun, apply_fun)`` pairs), for programs ported
from JAX's examples."""
