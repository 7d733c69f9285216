"""PyTorch as an oracle: the same weights give the same outputs and gradients (skipped without torch)."""

import numpy as np
import pytest

import autodiff as ad
import nn

torch = pytest.importorskip("torch")


def to_torch_state(module):
    return {k: torch.tensor(v) for k, v in module.state_dict().items()}


def compare(ours, theirs, x, rng, grad_input=True):
    """Forward both on x, backward a random cotangent, compare outputs and every gradient."""
    theirs.double().load_state_dict(to_torch_state(ours))
    xt = torch.tensor(x, requires_grad=grad_input)
    xa = ad.tensor(x, requires_grad=grad_input)
    out_t, out_a = theirs(xt), ours(xa)
    np.testing.assert_allclose(out_a.data, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    cotangent = rng.normal(size=out_a.shape)
    out_t.backward(torch.tensor(cotangent))
    out_a.backward(cotangent)
    if grad_input:
        np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, theirs_params[name].grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)
    for name, value in ours.state_dict().items():  # buffers (running statistics) too
        np.testing.assert_allclose(value, theirs.state_dict()[name].numpy(), rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("ours, theirs, shape", [
    (lambda: nn.Linear(4, 3), lambda: torch.nn.Linear(4, 3), (5, 4)),
    (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), lambda: torch.nn.Conv2d(2, 3, 3, stride=2, padding=1),
     (2, 2, 7, 6)),
    (lambda: nn.Conv2d(3, 2, (2, 3), stride=(1, 2), padding=(1, 0), bias=False),
     lambda: torch.nn.Conv2d(3, 2, (2, 3), stride=(1, 2), padding=(1, 0), bias=False), (2, 3, 5, 6)),
    (lambda: nn.Conv2d(2, 2, (3, 5), padding="same"), lambda: torch.nn.Conv2d(2, 2, (3, 5), padding="same"),
     (1, 2, 6, 7)),
    (lambda: nn.MaxPool2d(3, stride=2, padding=1), lambda: torch.nn.MaxPool2d(3, stride=2, padding=1),
     (2, 2, 7, 7)),
    (lambda: nn.BatchNorm1d(3), lambda: torch.nn.BatchNorm1d(3), (6, 3)),
    (lambda: nn.BatchNorm1d(3, momentum=None), lambda: torch.nn.BatchNorm1d(3, momentum=None), (4, 3, 5)),
    (lambda: nn.BatchNorm2d(2, momentum=0.3), lambda: torch.nn.BatchNorm2d(2, momentum=0.3), (3, 2, 4, 5)),
    (lambda: nn.LayerNorm((2, 3)), lambda: torch.nn.LayerNorm((2, 3)), (4, 2, 3)),
    (lambda: nn.GELU(), lambda: torch.nn.GELU(), (3, 4)),
    (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh"), (3, 4)),
    (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2), (3, 4)),
    (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1), (3, 4)),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid(), (3, 4)),
    (lambda: nn.Flatten(), lambda: torch.nn.Flatten(), (2, 3, 4)),
])
def test_layers_match_pytorch(rng, ours, theirs, shape):
    layer = ours()
    for p in layer.parameters():
        p.data = rng.normal(size=p.shape)
    compare(layer, theirs(), rng.normal(size=shape), rng)


def test_batchnorm_running_statistics_and_eval_match_pytorch(rng):
    ours, theirs = nn.BatchNorm1d(4, momentum=0.3), torch.nn.BatchNorm1d(4, momentum=0.3).double()
    for _ in range(3):
        x = rng.normal(loc=1.0, scale=2.0, size=(5, 4))
        ours(x), theirs(torch.tensor(x))
    ours.eval(), theirs.eval()
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(ours(ad.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value, theirs.state_dict()[name].numpy(), rtol=1e-12, err_msg=name)


def test_embedding_matches_pytorch(rng):
    ours, theirs = nn.Embedding(6, 3, rng=0), torch.nn.Embedding(6, 3).double()
    theirs.load_state_dict(to_torch_state(ours))
    index = rng.integers(0, 6, size=(2, 5))
    out_a, out_t = ours(index), theirs(torch.tensor(index))
    np.testing.assert_allclose(out_a.data, out_t.detach().numpy())
    cotangent = rng.normal(size=out_a.shape)
    out_a.backward(cotangent)
    out_t.backward(torch.tensor(cotangent))
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("ours, theirs, target", [
    (nn.MSELoss(), torch.nn.MSELoss(), lambda rng: rng.normal(size=(4, 3))),
    (nn.HuberLoss(delta=0.5), torch.nn.HuberLoss(delta=0.5), lambda rng: rng.normal(size=(4, 3))),
    (nn.L1Loss("sum"), torch.nn.L1Loss(reduction="sum"), lambda rng: rng.normal(size=(4, 3))),
    (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), lambda rng: rng.integers(0, 3, size=4)),
    (nn.CrossEntropyLoss(label_smoothing=0.15, reduction="sum"),
     torch.nn.CrossEntropyLoss(label_smoothing=0.15, reduction="sum"),
     lambda rng: rng.integers(0, 3, size=4)),
    (nn.CrossEntropyLoss(label_smoothing=0.1), torch.nn.CrossEntropyLoss(label_smoothing=0.1),
     lambda rng: rng.dirichlet(np.ones(3), size=4)),
    (nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss(), lambda rng: rng.uniform(size=(4, 3))),
    (nn.BCEWithLogitsLoss(pos_weight=2.5), torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(2.5)),
     lambda rng: rng.uniform(size=(4, 3))),
])
def test_losses_match_pytorch(rng, ours, theirs, target):
    z, t = rng.normal(size=(4, 3)) * 3, target(rng)
    za, zt = ad.tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    loss_a, loss_t = ours(za, t), theirs(zt, torch.tensor(t))
    np.testing.assert_allclose(loss_a.item(), loss_t.item(), rtol=1e-12)
    loss_a.backward()
    loss_t.backward()
    np.testing.assert_allclose(za.grad.data, zt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_bce_matches_pytorch_including_clamped_ends(rng):
    p = np.array([0.0, 0.3, 0.9, 1.0, 0.5])
    t = np.array([1.0, 0.0, 1.0, 0.0, 0.5])
    loss_a = nn.BCELoss("none")(ad.tensor(p), t)
    loss_t = torch.nn.BCELoss(reduction="none")(torch.tensor(p), torch.tensor(t))
    np.testing.assert_allclose(loss_a.data, loss_t.numpy(), rtol=1e-12)


def test_torch_state_dict_converts_in_one_line(rng):
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.BatchNorm1d(8),
                                 torch.nn.Linear(8, 2)).double().eval()
    ours = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 2)).eval()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = rng.normal(size=(5, 4))
    np.testing.assert_allclose(ours(ad.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    ours.load_state_dict(theirs.state_dict())  # torch tensors themselves are accepted too


def test_default_initialisation_matches_pytorch_bounds():
    """Linear/Conv2d weights and biases are U(-1/√fan_in, 1/√fan_in) in both libraries."""
    nn.manual_seed(0)
    ours = nn.Conv2d(4, 64, 3)
    bound = 1 / np.sqrt(4 * 9)
    for p in (ours.weight.data, ours.bias.data):
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.9 * bound
    theirs = torch.nn.Conv2d(4, 64, 3)
    assert abs(theirs.weight.detach().numpy()).max() <= bound
    np.testing.assert_allclose(ours.weight.data.std(), bound / np.sqrt(3), rtol=0.05)
