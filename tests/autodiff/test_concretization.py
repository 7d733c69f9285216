"""Under the transforms, turning an input that is being differentiated into a Python number or a plain
array raises ``ConcretizationError`` (regression: ``math.sin(v[0])`` silently became a constant and
``ad.grad`` returned [0, 0.841] instead of [cos(1)·2, sin(1)]). Outside transforms it works, as in
PyTorch."""

import math

import numpy as np
import pytest

import autodiff as ad

POINT = np.array([1.0, 2.0])


def test_math_functions_under_grad_raise_and_name_the_fix():
    with pytest.raises(ad.ConcretizationError, match=r"ad\.sin\(x\) or np\.sin\(x\)"):
        ad.grad(lambda v: math.sin(v[0]) * v[1])(POINT)


def test_the_library_functions_give_the_right_gradient():
    g = ad.grad(lambda v: ad.sin(v[0]) * v[1])(POINT)
    np.testing.assert_allclose(g.data, [math.cos(1.0) * 2.0, math.sin(1.0)])
    g = ad.grad(lambda v: np.sin(v[0]) * v[1])(POINT)  # numpy's ufuncs run as ops on Tensors
    np.testing.assert_allclose(g.data, [math.cos(1.0) * 2.0, math.sin(1.0)])


CONVERSIONS = {
    "float": lambda t: float(t[0]),
    "int": lambda t: int(t[0]),
    "complex": lambda t: complex(t[0]),
    "item": lambda t: t[0].item(),
    "tolist": lambda t: t.tolist(),
    "numpy": lambda t: t.numpy(),
    "np.asarray": lambda t: np.asarray(t),
    "np.array": lambda t: np.array(t),
    "math.exp": lambda t: math.exp(t[1]),
}
TRANSFORMS = {
    "grad": lambda f: ad.grad(lambda v: (f(v), v.sum())[1])(POINT),
    "value_and_grad": lambda f: ad.value_and_grad(lambda v: (f(v), v.sum())[1])(POINT),
    "jacobian": lambda f: ad.jacobian(lambda v: (f(v), v * 2.0)[1])(POINT),
    "jacobian fwd": lambda f: ad.jacobian(lambda v: (f(v), v * 2.0)[1], mode="fwd")(POINT),
    "hessian": lambda f: ad.hessian(lambda v: (f(v), (v ** 3).sum())[1])(POINT),
    "hvp": lambda f: ad.hvp(lambda v: (f(v), (v ** 3).sum())[1], (POINT,), (POINT,)),
    "vjp": lambda f: ad.vjp(lambda v: (f(v), v * 2.0)[1], POINT),
    "jvp": lambda f: ad.jvp(lambda v: (f(v), v * 2.0)[1], (POINT,), (POINT,)),
    "grad of grad": lambda f: ad.grad(lambda s: ad.grad(lambda v: (f(v * s), (v * s).sum())[1])(POINT).sum())(1.0),
}


@pytest.mark.parametrize("transform", list(TRANSFORMS))
@pytest.mark.parametrize("conversion", list(CONVERSIONS))
def test_every_conversion_under_every_transform_raises(conversion, transform):
    with pytest.raises(ad.ConcretizationError, match="being differentiated"):
        TRANSFORMS[transform](CONVERSIONS[conversion])


@pytest.mark.parametrize("conversion", list(CONVERSIONS))
def test_conversions_work_outside_transforms_as_in_pytorch(conversion):
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    CONVERSIONS[conversion](x)  # no error
    assert float(x[0]) == 1.0 and x.numpy() is x.data


def test_detached_values_and_shapes_are_fine_under_transforms():
    def f(v):
        scale = float(v.detach()[0])  # meant to be a constant
        assert v.shape == (2,) and len(v) == 2 and v.ndim == 1
        return (v * scale).sum()

    np.testing.assert_allclose(ad.grad(f)(POINT).data, [1.0, 1.0])


def test_comparisons_in_python_control_flow_still_work_under_grad():
    f = lambda x: x * x if x > 0 else -x  # noqa: E731 (values are concrete under grad, as in JAX)
    assert float(ad.grad(f)(3.0)) == 6.0 and float(ad.grad(f)(-3.0)) == -1.0


def test_constants_closed_over_are_not_refused():
    w = ad.tensor([3.0, 4.0])  # does not require grad: a constant
    g = ad.grad(lambda v: (v * float(w[0])).sum())(POINT)
    np.testing.assert_allclose(g.data, [3.0, 3.0])
