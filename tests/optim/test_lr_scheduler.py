"""Learning-rate schedules against PyTorch's, epoch by epoch."""

import numpy as np
import pytest

import autodiff as ad
import optim
from optim import lr_scheduler

CASES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
]


def ours_lrs(name, kwargs, epochs=20):
    opt = optim.SGD([{"params": [ad.zeros(2, requires_grad=True)]},
                     {"params": [ad.zeros(1, requires_grad=True)], "lr": 0.3}], lr=0.1)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    lrs = []
    for _ in range(epochs):
        lrs.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return np.array(lrs)


@pytest.mark.parametrize("name, kwargs", CASES)
def test_schedules_match_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)]},
                           {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.3}], lr=0.1)
    sched = getattr(torch.optim.lr_scheduler, name)(opt, **kwargs)
    theirs = []
    for _ in range(20):
        theirs.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    np.testing.assert_allclose(ours_lrs(name, kwargs), theirs, rtol=1e-12, atol=1e-15)


def test_reduce_on_plateau_matches_pytorch():
    torch = pytest.importorskip("torch")
    metrics = [5, 4, 4.1, 4.0, 3.99999, 4.2, 3.0, 3.1, 3.2, 3.3, 3.4, 2.0, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5]
    kwargs = dict(factor=0.5, patience=2, cooldown=1, min_lr=0.02)
    opt = optim.SGD([ad.zeros(1, requires_grad=True)], lr=0.1)
    sched = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    ours, theirs = [], []
    for m in metrics:
        sched.step(m)
        tsched.step(m)
        ours.append(opt.param_groups[0]["lr"])
        theirs.append(topt.param_groups[0]["lr"])
    assert ours == pytest.approx(theirs)
    assert min(ours) == 0.02


def test_hand_checked_step_lr():
    lrs = ours_lrs("StepLR", dict(step_size=2, gamma=0.1), epochs=5)
    np.testing.assert_allclose(lrs[:, 0], [0.1, 0.1, 0.01, 0.01, 0.001])


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)


def test_scheduler_state_dict_round_trip():
    opt = optim.SGD([ad.zeros(1, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        sched.step()
    saved = sched.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 3
    other = lr_scheduler.StepLR(opt, step_size=5, gamma=0.9)
    other.load_state_dict(saved)
    other.step()
    assert other.get_last_lr() == [0.25]
