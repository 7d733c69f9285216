"""The op records are complete and consistent: every op has its rule text, a Taylor-mode rule (or
says why not), formulas that are Python expressions of its own names, local partials that agree
with its VJPs, and aliases (methods, ufuncs, formula names) that really run it."""


import numpy as np
import pytest

import autodiff as ad
from autodiff.expr import FUNCTIONS
from autodiff.formula import names_in
from autodiff.ops.record import OPS, PUBLIC, formula_table

from .op_registry import CASES

DIFFERENTIABLE = [op for op in OPS.values() if op.differentiable]


def _inputs_count(op) -> int:
    return len(op.vjps) if isinstance(op.vjps, tuple) else 1  # variadic ops have one rule for all


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=lambda op: op.name)
def test_every_op_has_a_formula_and_one_rule_per_input(op):
    assert op.formula, f"{op.name} has no formula"
    rules = op.partials if op.partials is not None else op.vjp_rules
    assert rules is not None, f"{op.name} has neither partials nor vjp_rules"
    assert len(rules) == _inputs_count(op), f"{op.name}: {len(rules)} rules for {_inputs_count(op)} inputs"
    assert len(op.inputs) == _inputs_count(op)
    assert all(rule.strip() for rule in rules)


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=lambda op: op.name)
def test_every_op_has_a_jet_rule_or_says_why_not(op):
    assert op.jet is not None or op.no_jet, f"{op.name}: no Taylor-mode rule and no reason given"


@pytest.mark.parametrize("op", list(OPS.values()), ids=lambda op: op.name)
def test_rule_texts_are_python_expressions_of_the_op_s_own_names(op):
    params = set(_static_names(op))
    known = set(op.inputs) | {"out"} | params | {"i", "n", "inputs"}
    texts = [op.formula] if op.formula else []
    texts += list(op.partials or ())
    for text in texts:
        unknown = names_in(text) - known
        assert not unknown, f"{op.name}: {text!r} uses {unknown}"
    for text in op.vjp_rules or ():
        unknown = names_in(text) - known - {"g"}
        assert not unknown, f"{op.name}: {text!r} uses {unknown}"
    if op.tangent:
        tangents = {"d" + name for name in op.inputs}
        unknown = names_in(op.tangent) - known - tangents
        assert not unknown, f"{op.name}: tangent {op.tangent!r} uses {unknown}"


def _static_names(op):
    import inspect

    try:
        return list(inspect.signature(op.forward).parameters)[len(op.inputs):]
    except (TypeError, ValueError):
        return []


def _namespace(op, values: dict) -> dict:
    """What a rule may name: numpy, the library's public ops (digamma(x), gammaln(a)...), the op's values."""
    return {**{name: entry.function for name, entry in PUBLIC.items()}, "np": np, **values}


NOT_THE_OP_ITSELF = {  # cases whose scalar form checks no partial, and why
    "multiply[array*x]",  # one operand is a fixed array of shape (3,): no scalar form
    "clip[hi-only]", "clip[lo-only]",  # a bound is None: the template needs both (the VJP handles None)
}
ELEMENTWISE_CASES = [c for c in CASES if OPS.get(c.op) is not None and OPS[c.op].partials is not None]


@pytest.mark.parametrize("case", ELEMENTWISE_CASES, ids=lambda c: c.id)
def test_local_partials_agree_with_the_vjps(case):
    """Each partial template, evaluated at scalar points of the op's domain, equals its VJP with g = 1."""
    op = OPS[case.op]
    rng = np.random.default_rng(0)
    scalar_shapes = tuple(() for _ in case.shapes[0])
    checked = 0
    for _ in range(5):
        inputs = case.sample(rng, scalar_shapes)
        result = case.fn(*[ad.tensor(v) for v in inputs])
        if not isinstance(result, ad.Tensor) or result.grad_fn is None and result.shape != ():
            continue
        node = case.fn(*[ad.tensor(v, requires_grad=True) for v in inputs])
        if node.grad_fn is not op:
            continue  # the case wraps the op in others (e.g. clip with bounds bound)
        values = dict(zip(op.inputs, node._input_data))
        values["out"] = node.data
        for i, template in enumerate(op.partials):
            if i not in node._positions or any(v is None for v in values.values()):
                continue
            expected = op.vjps[i](np.ones_like(node.data), node.data, *node._input_data, **node._params)
            actual = eval(compile(template, "<partial>", "eval"), _namespace(op, values))  # our own text
            np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=1e-12, atol=1e-14,
                                       err_msg=f"{op.name} partial {i}: {template}")
            checked += 1
    if case.id not in NOT_THE_OP_ITSELF:
        assert checked, f"no partial of {case.id} was checked"


def test_every_elementwise_op_has_its_partials_checked():
    checked = {c.op for c in ELEMENTWISE_CASES}
    elementwise = {op.name for op in DIFFERENTIABLE if op.partials is not None and op.name in PUBLIC}
    assert elementwise <= checked, sorted(elementwise - checked)


def test_methods_named_by_records_run_their_op():
    x = ad.tensor(np.linspace(0.1, 0.9, 6).reshape(2, 3), requires_grad=True)
    methods = {entry.method: entry for entry in PUBLIC.values() if entry.method}
    assert {"exp", "sum", "reshape", "transpose", "clip", "abs", "argmax", "norm", "astype"} <= set(methods)
    for name in methods:
        assert hasattr(ad.Tensor, name), name
    np.testing.assert_allclose(x.exp().data, np.exp(x.data))
    np.testing.assert_allclose(x.sum(axis=0).data, x.data.sum(axis=0))
    assert x.reshape(3, 2).shape == (3, 2) and x.reshape((6,)).shape == (6,)
    assert x.transpose(1, 0).shape == (3, 2) and x.transpose().shape == (3, 2)
    np.testing.assert_allclose(x.clip(0.3, 0.5).data, np.clip(x.data, 0.3, 0.5))
    assert x.exp().grad_fn is OPS["exp"] and x.clip(min=0.2).grad_fn is OPS["clip"]


def test_ufunc_aliases_run_the_ops():
    x = ad.tensor([0.25, 0.5], requires_grad=True)
    aliases = {ufunc: entry for entry in PUBLIC.values() for ufunc in entry.ufuncs}
    assert {"add", "multiply", "exp", "sin", "tanh", "maximum", "matmul", "less", "absolute"} <= set(aliases)
    for ufunc, entry in aliases.items():
        function = getattr(np, ufunc)
        args = (x,) * function.nin if ufunc != "matmul" else (x, x)
        result = function(*args)
        assert isinstance(result, ad.Tensor), ufunc
        np.testing.assert_allclose(result.data, function(*(a.data for a in args)), err_msg=ufunc)
        if entry.op is not None and entry.op.differentiable:
            assert result.grad_fn is entry.op, ufunc


def test_the_formula_whitelist_is_the_records():
    assert FUNCTIONS == formula_table()
    assert {"sin", "asin", "ln", "max", "sigmoid", "erf", "abs"} <= set(FUNCTIONS)
    for name, (function, arity) in FUNCTIONS.items():
        assert function in {entry.function for entry in PUBLIC.values()}, name
        assert arity in (1, 2), name


def test_jet_rules_are_keyed_by_the_op_not_its_name():
    """A custom Function named like a built-in op is not mistaken for it by Taylor mode."""

    class exp(ad.Function):  # noqa: N801 (named like the built-in on purpose)
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.exp(x) * 2.0

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * ad.exp(x) * 2.0

    coefficients = ad.taylor(lambda t: exp.apply(t), 0.0, 3)
    np.testing.assert_allclose(coefficients, [2.0, 2.0, 1.0, 1.0 / 3.0], rtol=1e-12)
