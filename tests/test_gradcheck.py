"""gradcheck: it passes correct rules and catches wrong ones, in each mode and order.

The wrong rules are unregistered primitives built here, so the registry stays clean.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.gradcheck import GradcheckError
from chainrule.graph import is_tensor
from chainrule.rules import Primitive

X = np.array([0.3, -1.2, 0.8])
Y = np.array([1.5, 0.4, -0.6])


def _raw(x):
    # The value of x with the graph cut: a rule using it is right at first order only.
    return x.data if is_tensor(x) else x


def mul(vjp_x=None, vjp_y=None, jvp_x=None, jvp_y=None):
    """x * y with replaceable rules (correct ones by default)."""
    return Primitive("mul_under_test", np.multiply).defvjp(
        vjp_x or (lambda g, ans, x, y: g * y),
        vjp_y or (lambda g, ans, x, y: g * x),
    ).defjvp(
        jvp_x or (lambda t, ans, x, y: t * y),
        jvp_y or (lambda t, ans, x, y: x * t),
    )


def test_correct_rules_pass_in_both_modes_and_orders():
    assert cr.gradcheck(mul(), X, Y, order=2, modes=("rev", "fwd")) is True
    assert cr.gradcheck(lambda x: cnp.sum(cnp.sin(x) * x), X, order=2)
    # Non-float arguments (indices) pass through unchanged.
    assert cr.gradcheck(lambda x, i: cnp.take(x, i) ** 2, X, np.array([2, 0, 2]), order=2)


def test_default_modes_check_forward_mode_too():
    wrong_jvp = mul(jvp_x=lambda t, ans, x, y: t * x)
    with pytest.raises(GradcheckError, match="forward-mode"):
        cr.gradcheck(wrong_jvp, X, Y)


def test_wrong_vjp_is_caught_in_reverse_mode_naming_the_argument():
    wrong = mul(vjp_y=lambda g, ans, x, y: g * x * 1.1)
    with pytest.raises(GradcheckError) as err:
        cr.gradcheck(wrong, X, Y, modes=("rev",))
    msg = str(err.value)
    assert "gradient of argument 1" in msg and "element" in msg
    assert "analytic" in msg and "finite differences" in msg
    assert cr.gradcheck(wrong, X, Y, modes=("fwd",))  # its JVP is right


def test_wrong_jvp_is_caught_in_forward_mode_only():
    wrong = mul(jvp_y=lambda t, ans, x, y: x * t + 0.01)
    assert cr.gradcheck(wrong, X, Y, modes=("rev",))
    with pytest.raises(GradcheckError, match="JVP of argument 1 .* output element"):
        cr.gradcheck(wrong, X, Y, modes=("fwd",))


def test_rules_right_at_first_order_only_fail_at_second_order():
    # exp whose rules multiply by a constant copy of exp(x): d/dx of that copy is lost.
    frozen = Primitive("exp_under_test", np.exp).defvjp(
        lambda g, ans, x: g * np.exp(_raw(x)),
    ).defjvp(
        lambda t, ans, x: t * np.exp(_raw(x)),
    )
    for mode in ("rev", "fwd"):
        assert cr.gradcheck(frozen, X, order=1, modes=(mode,))
        with pytest.raises(GradcheckError, match="second"):
            cr.gradcheck(frozen, X, order=2, modes=(mode,))


def test_large_inputs_are_checked_along_random_directions():
    big = np.linspace(-1, 1, 100)
    assert cr.gradcheck(lambda x: cnp.tanh(x) * 2, big, order=2)
    wrong = Primitive("sin_under_test", np.sin).defvjp(lambda g, ans, x: g * cnp.cos(x) * 1.05)
    wrong.defjvp(lambda t, ans, x: t * cnp.cos(x) * 1.05)
    for mode in ("rev", "fwd"):
        with pytest.raises(GradcheckError, match="random"):
            cr.gradcheck(wrong, big, modes=(mode,))


def test_float32_inputs_are_checked_in_float64_with_a_note():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cr.gradcheck(cnp.tanh, X.astype(np.float32), order=2)
    assert any("float64" in str(w.message) for w in caught)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="order"):
        cr.gradcheck(cnp.sin, X, order=3)
    with pytest.raises(ValueError, match="mode"):
        cr.gradcheck(cnp.sin, X, modes=("sideways",))
    with pytest.raises(TypeError, match="must return a tensor"):
        cr.gradcheck(lambda x: 1.0, X, modes=("fwd",))


def test_a_nan_finite_difference_is_reported_not_skipped():
    # x**1.5 at x = 0 has a NaN central difference (x - eps < 0); the wrong rule (twice
    # the true derivative) must not pass because that NaN came first.
    wrong = Primitive("pow15_under_test", lambda x: np.power(x, 1.5)).defvjp(
        lambda g, ans, x: g * 3 * cnp.sqrt(x),
    ).defjvp(lambda t, ans, x: t * 3 * cnp.sqrt(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for mode in ("rev", "fwd"):
            with pytest.raises(GradcheckError):
                cr.gradcheck(wrong, np.array([0.0, 1.0, 2.0]), modes=(mode,))
            with pytest.raises(GradcheckError, match="wrong"):
                cr.gradcheck(wrong, np.array([1.0, 2.0]), modes=(mode,))
