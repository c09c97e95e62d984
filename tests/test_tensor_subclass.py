"""A Tensor subclass (a front end's tensor) stays itself through operations and backward;
nn.Parameter does not (operations on a parameter return plain tensors)."""

import numpy as np

import chainrule as cr


class Front(cr.Tensor):
    __slots__ = ()


def test_operations_on_a_subclass_return_the_subclass():
    t = Front([1.0, 2.0], requires_grad=True)
    plain = cr.tensor([3.0, 4.0])
    for out in (t * 2, 2 * t, cr.exp(t), t + plain, plain + t, t.sum(), t[0], cr.stack([t, plain])):
        assert type(out) is Front
    (t * t).sum().backward()
    np.testing.assert_allclose(t.grad.data if hasattr(t.grad, "data") else t.grad, [2.0, 4.0])


def test_parameter_results_are_plain_tensors_but_mixed_with_a_subclass_are_the_subclass():
    p = cr.nn.Parameter([1.0, 2.0])
    assert type(p * 2) is cr.Tensor and type(cr.tanh(p)) is cr.Tensor
    t = Front([1.0, 1.0])
    assert type(p + t) is Front and type(t * p) is Front
