"""Every public way of changing a tensor's values in place makes a stale backward raise.

A graph saves the arrays its ops need; if one of them changes before backward, the gradient would be
computed from values the forward never saw. Every in-place path ends in ``Tensor._changed_in_place``
(the mutation clock), so backward notices and raises ``InPlaceError`` instead of returning numbers.
"""

import numpy as np
import pytest

import autodiff as ad


def _stale_graph():
    """A leaf that requires grad, and a loss whose graph saved its values (y = Σ w²)."""
    w = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    return w, (w * w).sum()


def _set_item(w):
    w[0] = 5.0


def _assign_data(w):
    w.data = np.zeros(3)


def _micrograd_update(w):  # the lecture's update line: writes into the array, then assigns it back
    w.data += -0.1 * np.ones(3)


IN_PLACE_CHANGES = {
    "t[...] = v": _set_item,
    "add_": lambda w: w.add_(1.0),
    "sub_": lambda w: w.sub_(ad.ones(3), alpha=0.5),
    "mul_": lambda w: w.mul_(2.0),
    "div_": lambda w: w.div_(2.0),
    "copy_": lambda w: w.copy_(np.zeros(3)),
    "fill_": lambda w: w.fill_(7.0),
    "zero_": lambda w: w.zero_(),
    "+=": lambda w: w.__iadd__(1.0),
    "-=": lambda w: w.__isub__(1.0),
    "*=": lambda w: w.__imul__(2.0),
    "/=": lambda w: w.__itruediv__(2.0),
    "t.data = array": _assign_data,
    "t.data += ... (micrograd)": _micrograd_update,
}


@pytest.mark.parametrize("change", list(IN_PLACE_CHANGES))
def test_a_stale_backward_raises_after_every_in_place_change(change):
    w, loss = _stale_graph()
    with ad.no_grad():
        IN_PLACE_CHANGES[change](w)
    with pytest.raises(ad.InPlaceError, match="changed in place"):
        loss.backward()


@pytest.mark.parametrize("change", list(IN_PLACE_CHANGES))
def test_an_intermediate_changed_in_place_is_caught_too(change):
    w = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = ad.exp(w)  # exp saves its output
    loss = (h * 2.0).sum()
    with ad.no_grad():
        IN_PLACE_CHANGES[change](h)
    with pytest.raises(ad.InPlaceError):
        loss.backward()


def test_a_graph_recorded_after_the_change_is_fine():
    w, _ = _stale_graph()
    with ad.no_grad():
        w.data += 1.0
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.data, [4.0, 6.0, 8.0])


def test_changing_the_gradient_tensor_does_not_touch_the_graph():
    w, loss = _stale_graph()
    loss.backward(retain_graph=True)
    w.grad.zero_()
    loss.backward()
    np.testing.assert_allclose(w.grad.data, [2.0, 4.0, 6.0])
