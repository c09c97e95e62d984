"""Explained derivatives: every registered primitive has one, and every one checks out."""

from __future__ import annotations

import io

import numpy as np
import pytest

import chainrule as cr
from chainrule import rules
from chainrule.explain import explanation, finite_difference_check
from chainrule.statements import Statement


def registered():
    # Read at test time, so primitives that other modules register are included.
    return sorted(rules.REGISTRY)


def test_every_registered_primitive_has_an_explanation():
    missing = [name for name in registered() if rules.REGISTRY[name].statement is None]
    assert not missing, f"primitives declared without a statement: {missing}"
    for name in registered():
        exp = explanation(name)
        assert isinstance(exp, Statement)
        assert rules.REGISTRY[name].statement is exp
        for text in (exp.forward, exp.vjp, exp.latex_forward, exp.latex_vjp):
            assert text.strip(), name
        assert exp.latex_forward.count("{") == exp.latex_forward.count("}"), name
        assert exp.latex_vjp.count("{") == exp.latex_vjp.count("}"), name


def test_every_differentiable_rule_matches_finite_differences():
    bad = {}
    for name in registered():
        check = finite_difference_check(name, seed=1)
        if not rules.REGISTRY[name].differentiable:
            assert check is None
            continue
        assert check.entries > 0, name
        # Central differences with eps = 1e-6 in float64: truncation ~eps^2, rounding
        # ~1e-16 / eps, so 1e-10 relative errors are typical; 1e-7 leaves room.
        if not check.max_error <= 1e-7 * max(1.0, check.scale):
            bad[name] = check
    assert not bad, bad


def test_explain_log_softmax_prints_the_seed_jacobian_and_checks_it():
    buf = io.StringIO()
    err = cr.explain("log_softmax", file=buf)
    text = buf.getvalue()
    assert "1 - sigma_i on the diagonal, -sigma_j off it" in text
    assert r"\delta_{ij} - \sigma_j" in text
    assert "g_i - sigma_i * sum_j g_j" in text
    assert "max |error| =" in text
    assert 0 <= err < 1e-7


def test_explain_softmax_names_its_jacobian():
    buf = io.StringIO()
    assert cr.explain("softmax", file=buf) < 1e-7
    assert "diag(y) - y y^T" in buf.getvalue()
    assert r"\operatorname{diag}(y) - y y^\top" in buf.getvalue()


def test_explain_prints_to_stdout_by_default(capsys):
    cr.explain("tanh")
    out = capsys.readouterr().out
    assert out.startswith("tanh\n") and "1 - y^2" in out


def test_non_differentiable_primitives_say_so():
    buf = io.StringIO()
    assert cr.explain("argmax", file=buf) is None
    assert "no gradient" in buf.getvalue()


def test_unknown_name_is_a_helpful_error():
    with pytest.raises(KeyError, match="no primitive named 'log_sofmax'.*log_softmax"):
        cr.explain("log_sofmax")


def test_a_wrong_rule_is_caught():
    # A deliberately wrong rule (the derivative of sin taken as sin) must not pass.
    p = rules.primitive("wrong_sin", np.sin, statement=cr.sin.statement, domain=cr.sin.domain)
    p.defvjp(lambda g, ans, x: g * cr.sin(x))
    try:
        check = finite_difference_check("wrong_sin")
        assert check.max_error > 0.1
    finally:
        del rules.REGISTRY["wrong_sin"]


def test_explain_takes_a_primitive_or_a_tensor_it_made():
    x = cr.tensor(np.linspace(-1, 1, 5), requires_grad=True)
    by_name, by_prim, by_tensor = io.StringIO(), io.StringIO(), io.StringIO()
    cr.explain("tanh", file=by_name)
    cr.explain(cr.tanh, file=by_prim)
    cr.explain(cr.tanh(x), file=by_tensor)
    assert by_name.getvalue() == by_prim.getvalue() == by_tensor.getvalue()
    assert by_name.getvalue().startswith("tanh")


def test_explain_says_what_it_takes():
    with pytest.raises(TypeError, match="not made by a recorded operation"):
        cr.explain(cr.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="expected a primitive's name.*got int"):
        cr.explain(3)


def test_help_shows_each_primitives_own_doc_and_signature():
    import inspect
    import pydoc

    text = pydoc.render_doc(cr.softmax, renderer=pydoc.plaintext)
    assert "softmax(x, axis=-1)" in text and "diag(y) - y y^T" in text
    assert str(inspect.signature(cr.sum)) == "(x, axis=None, keepdims=False)"
    assert str(inspect.signature(cr.add)) == "(x1, x2, /)"
    for name, p in rules.REGISTRY.items():
        assert p.__doc__.startswith(name) and f'cr.explain("{name}")' in p.__doc__
