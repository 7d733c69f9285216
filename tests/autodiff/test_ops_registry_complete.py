"""The op table covers every public op: adding an op without registering it fails here."""

import inspect

import numpy as np

import autodiff as ad
import autodiff.ops

from .op_registry import ALIASES, CASES, DESIGN_OPS, NONDIFFERENTIABLE, registered_ops


def _public_ops() -> set[str]:
    """Every public op name, as the op records list them (``autodiff.ops.__all__``)."""
    return set(autodiff.ops.__all__)


def test_every_public_op_is_registered_or_declared_nondifferentiable():
    missing = _public_ops() - registered_ops() - NONDIFFERENTIABLE - set(ALIASES)
    assert not missing, f"public ops without an entry in tests/autodiff/op_registry.py: {sorted(missing)}"


def test_registry_names_are_public():
    unknown = (registered_ops() | NONDIFFERENTIABLE | set(ALIASES)) - _public_ops()
    assert not unknown, f"registry names that are not public ops: {sorted(unknown)}"


def test_every_public_op_is_exported_at_both_levels():
    for name in autodiff.ops.__all__:
        assert getattr(ad, name) is getattr(autodiff.ops, name) is autodiff.ops.PUBLIC[name].function, name
        assert name in ad.__all__, name


def test_the_nondifferentiable_ops_are_the_expected_ones():
    assert NONDIFFERENTIABLE == {"less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
                                 "logical_and", "logical_or", "logical_not", "isfinite", "sign", "argmax", "argmin",
                                 "any", "all"}


def test_aliases_are_the_same_function():
    for alias, name in ALIASES.items():
        assert getattr(ad, alias) is getattr(ad, name)


def test_design_contract_ops_exist_and_are_covered():
    missing = [n for n in DESIGN_OPS if not hasattr(ad, n)]
    assert not missing, f"ops promised by DESIGN.md but missing from autodiff: {missing}"
    assert set(DESIGN_OPS) <= registered_ops()


def test_every_registered_op_has_a_torch_oracle_except_none():
    without = sorted({c.id for c in CASES if c.torch_fn is None})
    assert not without, f"cases without a PyTorch oracle: {without}"


def test_case_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_nondifferentiable_ops_never_record():
    x = ad.tensor([[-1.5, 0.0, 2.0], [3.0, -0.5, 1.0]], requires_grad=True)
    y = ad.tensor([[0.5], [-0.5]], requires_grad=True)
    results = {
        "less": ad.less(x, y), "less_equal": ad.less_equal(x, y), "greater": ad.greater(x, y),
        "greater_equal": ad.greater_equal(x, y), "equal": ad.equal(x, y), "not_equal": ad.not_equal(x, y),
        "logical_and": ad.logical_and(x > 0, y > 0), "logical_or": ad.logical_or(x > 0, y > 0),
        "logical_not": ad.logical_not(x > 0), "isfinite": ad.isfinite(x), "sign": ad.sign(x),
        "argmax": ad.argmax(x, axis=1), "argmin": ad.argmin(x), "any": ad.any(x > 2.5, axis=0), "all": ad.all(x),
    }
    assert set(results) == NONDIFFERENTIABLE
    xd, yd = x.data, y.data
    expected = {
        "less": xd < yd, "less_equal": xd <= yd, "greater": xd > yd, "greater_equal": xd >= yd,
        "equal": xd == yd, "not_equal": xd != yd, "logical_and": (xd > 0) & (yd > 0),
        "logical_or": (xd > 0) | (yd > 0), "logical_not": ~(xd > 0), "isfinite": np.isfinite(xd),
        "sign": np.sign(xd), "argmax": np.argmax(xd, axis=1), "argmin": np.argmin(xd),
        "any": np.any(xd > 2.5, axis=0), "all": np.all(xd),
    }
    for name, result in results.items():
        assert isinstance(result, ad.Tensor) and not result.requires_grad and result.is_leaf, name
        np.testing.assert_array_equal(result.data, expected[name], err_msg=name)
    assert ad.less(xd, yd).dtype == bool and not isinstance(ad.less(xd, yd), ad.Tensor)


def test_public_ops_have_docstrings():
    undocumented = sorted(n for n in _public_ops() if not inspect.getdoc(getattr(autodiff.ops, n)))
    assert not undocumented, f"public ops without a docstring: {undocumented}"


def test_only_the_documented_cases_opt_out_of_generated_checks():
    """Turning a check off for a case is a visible decision: it must be listed here with its reason."""
    assert {c.id for c in CASES if not c.second_order} == set()
    assert {c.id for c in CASES if not c.float32} == {
        "astype",            # casts to float64 by design
        "multiply[array*x]",  # a float64 array times float32 is float64 (numpy's rule)
    }
    assert {c.id for c in CASES if not c.batched} == {
        "getitem[arrays-apart]",  # refused with NotImplementedError, tested in test_ops_index.py
    }
