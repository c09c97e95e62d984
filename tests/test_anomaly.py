"""Anomaly mode: the first NaN or Inf, forward or backward, names its primitive and line."""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule import graph
from chainrule.backward import backward

HERE = os.path.abspath(__file__)


def line_after():
    """The line number just below the caller's current line."""
    return inspect.currentframe().f_back.f_lineno + 1


def test_planted_nan_in_forward_names_primitive_shapes_and_line():
    x = cr.tensor(np.array([[1.0, 4.0, 9.0], [0.5, 1.0, 2.0]]), requires_grad=True)
    with cr.detect_anomaly(), np.errstate(invalid="ignore"):
        h = x * 2
        with pytest.raises(FloatingPointError) as err:
            line = line_after()
            cr.sqrt(h - 3)
    msg = str(err.value)
    assert "forward pass" in msg and "'sqrt'" in msg
    assert "NaN" in msg and "shape (2, 3) float64" in msg
    assert "finite range [-2, 15]" in msg
    assert f"{HERE}:{line}" in msg


def test_a_nan_that_arrives_with_an_input_is_not_blamed_on_the_operation():
    x = cr.tensor(np.array([1.0, np.nan, 3.0]), requires_grad=True)
    with cr.detect_anomaly(), pytest.raises(FloatingPointError) as err:
        x * 2
    msg = str(err.value)
    assert "'multiply' produced 1 NaN" in msg
    assert "(input 0 already holds NaN)" in msg and "finite inputs" not in msg
    with cr.detect_anomaly(), np.errstate(invalid="ignore"), pytest.raises(
        FloatingPointError, match="from finite inputs"
    ):
        cr.log(cr.tensor([-1.0, 2.0], requires_grad=True))


def test_planted_nan_in_backward_names_primitive_and_the_line_that_made_it():
    x = cr.tensor([0.0, 1.0, 4.0], requires_grad=True)
    with cr.detect_anomaly():
        line = line_after()
        y = cr.sqrt(x)
        loss = (y * 3).sum()
        # (NumPy's own divide-by-zero warning in the rule comes first: silenced here.)
        with np.errstate(divide="ignore"), pytest.raises(FloatingPointError) as err:
            loss.backward()
    msg = str(err.value)
    assert "backward pass" in msg
    assert "the gradient that 'sqrt' sends to its input 0" in msg
    assert "+inf" in msg and "shape (3,) float64, finite range [0, 4]" in msg
    assert f"{HERE}:{line}" in msg


def test_line_is_the_users_even_through_library_functions():
    logits = cr.tensor(np.array([[0.0, 1.0]]), requires_grad=True)
    target = np.array([[np.nan, 1.0]])
    with cr.detect_anomaly(), pytest.raises(FloatingPointError) as err:
        line = line_after()
        cr.cross_entropy(logits, target)
    # The NaN target meets the log-probabilities inside the loss; the line is this one.
    assert f"{HERE}:{line}" in str(err.value)


def test_masks_pass_through_but_created_infinities_do_not():
    x = cr.tensor(np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]]), requires_grad=True)
    t = np.array([[0.5, 0.0, 0.5], [0.0, 0.0, 0.0]])
    with cr.detect_anomaly():
        loss = cr.cross_entropy(x, t)
        loss.backward()
        assert np.isfinite(loss.item()) and np.isfinite(x.grad.data).all()
        p = cr.tensor([0.0, 1.0])
        with np.errstate(divide="ignore"), pytest.raises(FloatingPointError, match="'log'"):
            cr.log(p)
        with np.errstate(over="ignore"), pytest.raises(FloatingPointError, match="'exp'"):
            cr.exp(cr.tensor([1000.0]))


def test_strong_zero_is_not_an_anomaly():
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    with cr.detect_anomaly():
        y = cr.where(x > 0, cr.sqrt(x), 0).sum()
        (g,) = backward(y, create_graph=True, inputs=[x])
        g.sum().backward()
    np.testing.assert_array_equal(g.data, [0.0, 0.25])
    np.testing.assert_allclose(x.grad.data, [0.0, -1 / 32])


def test_textbook_loss_runs_clean_in_anomaly_mode():
    x = cr.tensor(np.array([[0.0, 1000.0, -1000.0]]), requires_grad=True)
    t = cr.tensor(np.array([[0.2, 0.3, 0.5]]))
    with cr.detect_anomaly():
        loss = -(t * cr.log(cr.softmax(x))).sum()
        loss.backward()
    assert np.isfinite(x.grad.data).all()


def test_modes_nest_restore_and_record_nothing_when_off():
    assert graph.anomaly_hooks() == (None, None)
    x = cr.tensor([1.0], requires_grad=True)
    assert (x * 2)._origin is None
    with cr.detect_anomaly():
        with cr.detect_anomaly():
            pass
        assert graph.anomaly_hooks()[0] is not None
        assert (x * 2)._origin.startswith(f"{HERE}:")
        assert cr.tensor([1.0]).sum()._origin is None  # unrecorded: nothing to point back to
    assert graph.anomaly_hooks() == (None, None)
    with pytest.raises(FloatingPointError), cr.detect_anomaly():
        cr.tensor([np.nan]) + 1
    assert graph.anomaly_hooks()[0] is None


def test_decorator_form():
    @cr.detect_anomaly()
    def f(v):
        return cr.tensor(v) / 0.0

    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="'divide'"):
        f([1.0])
    assert graph.anomaly_hooks()[0] is None


def test_integer_and_boolean_outputs_are_not_checked():
    with cr.detect_anomaly():
        x = cr.tensor([1.0, np.inf])
        (x > 0).sum()
        cr.argmax(x)
