"""SGD, Adam, AdamW, RMSprop, Adagrad: PyTorch's trajectories step for step, and hand-checked steps."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autodiff as ad
import optim

RNG = np.random.default_rng(7)
X = RNG.normal(size=(8, 3))
Y = RNG.normal(size=(8, 2))
W0 = RNG.normal(size=(3, 2))
B0 = RNG.normal(size=(2,))


def run_ours(cls, kwargs, steps=20, groups=False):
    w = ad.tensor(W0.copy(), requires_grad=True)
    b = ad.tensor(B0.copy(), requires_grad=True)
    params = [{"params": [w]}, {"params": [b], "lr": 0.05}] if groups else [w, b]
    opt = cls(params, **kwargs)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((ad.tanh(ad.tensor(X) @ w + b) - Y) ** 2).mean()
        loss.backward()
        opt.step()
        path.append(np.concatenate([w.data.ravel(), b.data.ravel()]))
    return np.array(path)


def run_torch(torch, name, kwargs, steps=20, groups=False):
    w = torch.tensor(W0.copy(), requires_grad=True)
    b = torch.tensor(B0.copy(), requires_grad=True)
    params = [{"params": [w]}, {"params": [b], "lr": 0.05}] if groups else [w, b]
    opt = getattr(torch.optim, name)(params, **kwargs)
    x, y = torch.tensor(X), torch.tensor(Y)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((torch.tanh(x @ w + b) - y) ** 2).mean()
        loss.backward()
        opt.step()
        path.append(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy().ravel()]))
    return np.array(path)


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.8, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, eps=1e-4)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3, eps=1e-6)),
]


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("groups", [False, True])
def test_trajectory_matches_pytorch(name, kwargs, groups):
    torch = pytest.importorskip("torch")
    ours = run_ours(getattr(optim, name), kwargs, groups=groups)
    theirs = run_torch(torch, name, kwargs, groups=groups)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    assert not np.allclose(ours[0], ours[-1])  # the parameters really moved


def _one_step(opt_cls, start, grad, steps=1, **kwargs):
    """Steps of an optimizer on a loss whose gradient is the constant `grad` (loss = grad·w)."""
    w = ad.tensor(np.array(start, dtype=float), requires_grad=True)
    opt = opt_cls([w], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        (w * np.array(grad)).sum().backward()
        opt.step()
    return w.data


def test_hand_checked_sgd_momentum():
    # b1 = g = 2, p1 = 1 - 0.1·2 = 0.8; b2 = 0.9·2 + 2 = 3.8, p2 = 0.8 - 0.38 = 0.42
    np.testing.assert_allclose(_one_step(optim.SGD, [1.0], [2.0], steps=2, lr=0.1, momentum=0.9), [0.42])
    # nesterov: d1 = g + μ·b1 = 2 + 1.8 = 3.8, p1 = 1 - 0.38
    np.testing.assert_allclose(_one_step(optim.SGD, [1.0], [2.0], lr=0.1, momentum=0.9, nesterov=True),
                               [0.62])


def test_hand_checked_adam_first_step():
    # first Adam step: m̂ = g, v̂ = g², so p -= lr·g/(|g| + ε)
    np.testing.assert_allclose(_one_step(optim.Adam, [1.0, 1.0], [3.0, -0.5], lr=0.1),
                               [1 - 0.1 * 3 / (3 + 1e-8), 1 + 0.1 * 0.5 / (0.5 + 1e-8)], rtol=1e-14)


def test_update_is_in_place_and_bumps_version():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    data = w.data
    opt = optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    opt.step()
    assert w.data is data
    with pytest.raises(ad.InPlaceError):
        loss.backward()  # the graph saved w before the step


@pytest.mark.parametrize("bad", [[], [1.0, 2.0], [np.ones(2)]])
def test_bad_parameters_are_refused(bad):
    with pytest.raises((TypeError, ValueError), match="optimiz|parameter"):
        optim.SGD(bad, lr=0.1)


def test_non_leaf_and_duplicates_refused():
    w = ad.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(TypeError, match="unknown option"):
        optim.SGD([{"params": [w], "momentun": 0.9}], lr=0.1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([w], lr=0.1, nesterov=True)


def test_failed_step_leaves_parameters_unchanged():
    a = ad.tensor([1.0], requires_grad=True)
    b = ad.tensor([2.0, 3.0], requires_grad=True)
    opt = optim.SGD([a, b], lr=0.1)
    a.grad = ad.tensor([1.0])
    b.grad = ad.tensor([1.0, 2.0, 3.0])  # wrong shape: the step must fail before touching `a`
    with pytest.raises(ValueError, match="shape"):
        opt.step()
    assert a.data.tolist() == [1.0] and b.data.tolist() == [2.0, 3.0]


def test_zero_grad_and_closure():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(w.data, [0.8, 1.6])
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and not w.grad.data.any()
    opt.zero_grad()
    assert w.grad is None


def test_state_dict_round_trip_continues_the_trajectory():
    path = run_ours(optim.Adam, dict(lr=0.05, amsgrad=True), steps=10)
    w = ad.tensor(W0.copy(), requires_grad=True)
    b = ad.tensor(B0.copy(), requires_grad=True)
    opt = optim.Adam([w, b], lr=0.05, amsgrad=True)

    def step():
        opt.zero_grad()
        ((ad.tanh(ad.tensor(X) @ w + b) - Y) ** 2).mean().backward()
        opt.step()

    for _ in range(5):
        step()
    saved = opt.state_dict()
    opt2 = optim.Adam([w, b], lr=0.999)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == 0.05
    saved["state"][0]["exp_avg"][...] = 123.0  # the loaded state is a copy
    opt = opt2
    for _ in range(5):
        step()
    np.testing.assert_allclose(np.concatenate([w.data.ravel(), b.data.ravel()]), path[-1], rtol=1e-13)


def test_load_state_dict_checks():
    w = ad.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    bad = {"state": {0: {"momentum_buffer": np.zeros(3)}}, "param_groups": opt.state_dict()["param_groups"]}
    with pytest.raises(ValueError, match="shape"):
        opt.load_state_dict(bad)


def test_hand_checked_rmsprop_and_adagrad_first_steps():
    # RMSprop: s = (1 - α)g² = 0.01·9, p -= lr·g/(√s + ε) = 0.01·3/0.3
    np.testing.assert_allclose(_one_step(optim.RMSprop, [1.0], [3.0], lr=0.01, eps=0.0), [0.9])
    # Adagrad, two steps of g = 2: s = 4 then 8; p = 1 - 0.1·2/2 - 0.1·2/√8
    np.testing.assert_allclose(_one_step(optim.Adagrad, [1.0], [2.0], steps=2, lr=0.1, eps=0.0),
                               [1 - 0.1 - 0.2 / np.sqrt(8)])
    # AdamW, first step: p·(1 - lr·wd) - lr·sign(g)
    np.testing.assert_allclose(_one_step(optim.AdamW, [2.0], [-1.0], lr=0.1, weight_decay=0.5, eps=0.0),
                               [2.0 * 0.95 + 0.1])


def test_works_with_nn_parameters_and_float32():
    nn = pytest.importorskip("nn")
    layer = nn.Linear(3, 2, dtype=np.float32)
    opt = optim.Adam(layer.parameters(), lr=0.1)
    loss = (layer(ad.tensor(X.astype(np.float32))) ** 2).mean()
    loss.backward()
    before = layer.weight.data.copy()
    opt.step()
    assert layer.weight.dtype == np.float32 and opt.state[layer.weight]["exp_avg"].dtype == np.float32
    assert not np.array_equal(before, layer.weight.data)


OPTION_SPACE = {
    "SGD": lambda d: dict(lr=d(st.floats(1e-3, 0.5)), momentum=d(st.sampled_from([0.0, 0.5, 0.9])),
                          weight_decay=d(st.sampled_from([0.0, 0.1])), maximize=d(st.booleans())),
    "Adam": lambda d: dict(lr=d(st.floats(1e-3, 0.2)),
                           betas=(d(st.floats(0.0, 0.95)), d(st.floats(0.5, 0.999))),
                           eps=d(st.sampled_from([1e-8, 1e-3])), weight_decay=d(st.sampled_from([0.0, 0.1])),
                           amsgrad=d(st.booleans())),
    "AdamW": lambda d: dict(lr=d(st.floats(1e-3, 0.2)), weight_decay=d(st.floats(0.0, 0.5)),
                            amsgrad=d(st.booleans())),
    "RMSprop": lambda d: dict(lr=d(st.floats(1e-4, 0.05)), alpha=d(st.floats(0.5, 0.99)),
                              momentum=d(st.sampled_from([0.0, 0.7])), centered=d(st.booleans()),
                              weight_decay=d(st.sampled_from([0.0, 0.1]))),
    "Adagrad": lambda d: dict(lr=d(st.floats(1e-3, 0.5)), lr_decay=d(st.sampled_from([0.0, 0.1])),
                              initial_accumulator_value=d(st.sampled_from([0.0, 0.5]))),
}


@pytest.mark.parametrize("name", sorted(OPTION_SPACE))
@given(data=st.data())
def test_random_options_match_pytorch(name, data):
    torch = pytest.importorskip("torch")
    kwargs = OPTION_SPACE[name](data.draw)
    ours = run_ours(getattr(optim, name), kwargs, steps=6)
    theirs = run_torch(torch, name, kwargs, steps=6)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_loads_a_pytorch_state_dict_and_continues_its_trajectory():
    torch = pytest.importorskip("torch")
    tw = torch.tensor(W0.copy(), requires_grad=True)
    topt = torch.optim.Adam([tw], lr=0.1, amsgrad=True)
    x = torch.tensor(X)

    def torch_step():
        topt.zero_grad()
        (torch.tanh(x @ tw) ** 2).sum().backward()
        topt.step()

    for _ in range(3):
        torch_step()
    saved = topt.state_dict()
    converted = {"state": {k: {n: v.numpy() if hasattr(v, "numpy") else v for n, v in s.items()}
                           for k, s in saved["state"].items()},
                 "param_groups": saved["param_groups"]}
    w = ad.tensor(tw.detach().numpy().copy(), requires_grad=True)
    opt = optim.Adam([w], lr=0.5)
    opt.load_state_dict(converted)
    assert opt.param_groups[0]["lr"] == 0.1 and "foreach" not in opt.param_groups[0]
    for _ in range(3):
        torch_step()
        opt.zero_grad()
        (ad.tanh(ad.tensor(X) @ w) ** 2).sum().backward()
        opt.step()
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-12, atol=1e-14)
