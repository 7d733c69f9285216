"""nn's in-place paths (load_state_dict, Module.to, nn.init) make a stale
backward raise InPlaceError, as every in-place change does (regression: load_state_dict and to()
bumped a version counter by hand, below the mutation clock, so backward ran on overwritten values)."""

import numpy as np
import pytest

import autodiff as ad
import nn


def _model_and_stale_loss():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    x = ad.tensor(np.random.default_rng(0).standard_normal((5, 3)))
    return model, (model(x) ** 2).mean()


def _load_state_dict(model):
    model.load_state_dict({k: v + 1.0 for k, v in model.state_dict().items()})


def _init_weight(model):
    nn.init.normal_(model[0].weight, 0.0, 1.0, rng=1)


CHANGES = {
    "load_state_dict": _load_state_dict,
    "to(float32)": lambda model: model.to(np.float32),
    "float()": lambda model: model.float(),
    "nn.init.normal_": _init_weight,
    "nn.init.zeros_": lambda model: nn.init.zeros_(model[2].bias),
    "nn.init.xavier_uniform_": lambda model: nn.init.xavier_uniform_(model[2].weight, rng=2),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_stale_backward_raises_after_every_nn_in_place_path(change):
    model, loss = _model_and_stale_loss()
    CHANGES[change](model)
    with pytest.raises(ad.InPlaceError):
        loss.backward()


def test_load_state_dict_then_a_fresh_forward_backpropagates():
    model, _ = _model_and_stale_loss()
    _load_state_dict(model)
    x = ad.tensor(np.ones((2, 3)))
    (model(x) ** 2).mean().backward()
    assert model[0].weight.grad.shape == (4, 3)
