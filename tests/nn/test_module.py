"""Module machinery: registration, traversal, modes, state dicts (all or nothing), dtypes, repr."""

import numpy as np
import pytest

import autodiff as ad
import nn


class Block(nn.Module):
    def __init__(self, features=3):
        super().__init__()
        self.fc = nn.Linear(features, 4, rng=0)
        self.norm = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(np.ones(4))
        self.plain = [1, 2, 3]  # not a module or parameter: a normal attribute

    def forward(self, x):
        return self.norm(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([Block(3), Block(4)])
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 2, rng=1), "b": nn.Linear(4, 1, rng=2)})

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.heads["a"](x), self.heads["b"](x)


def test_parameter_is_a_leaf_tensor_that_requires_grad():
    p = nn.Parameter(np.array([1, 2]))
    assert isinstance(p, ad.Tensor) and p.requires_grad and p.is_leaf
    assert p.dtype == np.float64  # integers become floats: a parameter must be differentiable
    assert not nn.Parameter([1.0], requires_grad=False).requires_grad
    assert repr(nn.Parameter([1.0])).startswith("Parameter(tensor(")


def test_registration_by_attribute_and_dotted_names():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == [
        "blocks.0.scale", "blocks.0.fc.weight", "blocks.0.fc.bias",
        "blocks.0.norm.weight", "blocks.0.norm.bias",
        "blocks.1.scale", "blocks.1.fc.weight", "blocks.1.fc.bias",
        "blocks.1.norm.weight", "blocks.1.norm.bias",
        "heads.a.weight", "heads.a.bias", "heads.b.weight", "heads.b.bias",
    ]
    assert len(list(net.parameters())) == 14
    assert [type(m).__name__ for m in net.children()] == ["ModuleList", "ModuleDict"]
    assert len(list(net.modules())) == 1 + 1 + 2 * 3 + 1 + 2
    assert net.blocks[0].plain == [1, 2, 3]
    assert "plain" not in net.blocks[0]._parameters


def test_shared_parameters_are_listed_once_and_reassignment_moves_registries():
    a = nn.Linear(2, 2, rng=0)
    seq = nn.Sequential(a, nn.ReLU(), a)
    assert len(list(seq.parameters())) == 2
    block = Block()
    block.fc = nn.Parameter(np.zeros(1))  # a module name reassigned to a parameter
    assert "fc" not in block._modules and "fc" in block._parameters
    with pytest.raises(TypeError, match="Parameter or None"):
        block.scale = np.ones(4)
    block.scale = None
    assert "scale" not in dict(block.named_parameters())


def test_module_without_super_init_gets_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"super\(\)\.__init__\(\)"):
        Broken()


def test_train_eval_reaches_every_submodule():
    net = Net()
    net.eval()
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_clears_every_gradient():
    net = Net()
    a, b = net(ad.randn(5, 3, rng=0))
    (a.sum() + b.sum()).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_state_dict_keys_include_buffers_and_are_copies():
    net = Net()
    state = net.state_dict()
    assert "blocks.0.norm.running_mean" in state and "blocks.1.norm.num_batches_tracked" in state
    assert state["blocks.0.fc.weight"].shape == (4, 3)
    state["heads.a.bias"][:] = 123.0  # a snapshot: editing it leaves the module alone
    assert not np.any(net.heads["a"].bias.data == 123.0)


def test_load_state_dict_round_trip_and_identity_of_parameters():
    source, target = Net(), Net()
    for p in source.parameters():
        p.data = p.data + 1.0
    weight = target.blocks[0].fc.weight
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert target.blocks[0].fc.weight is weight  # the same Parameter object, new values
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("heads.b.bias"), "missing keys: heads.b.bias"),
    (lambda s: s.update(extra=np.zeros(1)), "unexpected keys: extra"),
    (lambda s: s.update({"blocks.0.fc.weight": np.zeros((3, 4))}),
     r"blocks.0.fc.weight: .*\(3, 4\).*\(4, 3\)"),
    (lambda s: s.update({"heads.a.bias": np.array(["a", "b"])}), "expected numbers"),
])
def test_load_state_dict_errors_are_all_or_nothing(change, message):
    source, target = Net(), Net()
    before = target.state_dict()
    state = {k: v + 1 if v.dtype.kind == "f" else v for k, v in source.state_dict().items()}
    change(state)
    with pytest.raises(nn.StateDictError, match=message):
        target.load_state_dict(state)
    for name, value in target.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=f"{name} was changed by a failed load")


def test_non_strict_load_reports_keys_but_still_rejects_shapes():
    target = nn.Linear(2, 3, rng=0)
    result = target.load_state_dict({"weight": np.ones((3, 2)), "other": np.zeros(2)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(target.weight.data, np.ones((3, 2)))
    with pytest.raises(nn.StateDictError, match="shape"):
        target.load_state_dict({"weight": np.ones((2, 3))}, strict=False)


def test_to_float_and_double_cast_parameters_and_buffers_in_place():
    net = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4))
    weight = net[0].weight
    net.float()
    assert net[0].weight is weight and weight.dtype == np.float32
    assert net[1].running_mean.dtype == np.float32
    assert net[1].num_batches_tracked.dtype == np.int64  # integer buffers are left alone
    out = net(ad.tensor(np.ones((2, 3), dtype=np.float32)))
    assert out.dtype == np.float32
    net.double()
    assert weight.dtype == np.float64 and net[1].running_var.dtype == np.float64
    with pytest.raises(TypeError, match="floating"):
        net.to(np.int32)


def test_layers_take_a_dtype():
    for layer in [nn.Linear(2, 3, dtype=np.float32), nn.Conv2d(1, 2, 3, dtype=np.float32),
                  nn.BatchNorm1d(3, dtype=np.float32), nn.LayerNorm(3, dtype=np.float32),
                  nn.Embedding(4, 2, dtype=np.float32)]:
        assert all(p.dtype == np.float32 for p in layer.parameters()), layer


def test_repr_is_nested_with_parameter_counts():
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Sequential(nn.Linear(16, 2), nn.Tanh()))
    text = repr(model)
    assert text.splitlines()[0] == "Sequential(  # 82 parameters"
    assert "  (0): Linear(in_features=2, out_features=16, bias=True)  # 48" in text
    assert "  (1): ReLU()" in text
    assert "  (2): Sequential(  # 34 parameters" in text
    assert "    (0): Linear(in_features=16, out_features=2, bias=True)  # 34" in text
    assert text.endswith(")")


def test_sequential_indexing_and_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and len(seq[:2]) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    blocks = nn.ModuleList()
    blocks.append(nn.Linear(1, 1)).extend([nn.Linear(1, 1)])
    assert len(blocks) == 2 and list(blocks.state_dict())[0] == "0.weight"
    heads = nn.ModuleDict()
    heads["x"] = nn.Linear(1, 1)
    assert "x" in heads and list(heads.keys()) == ["x"]
    with pytest.raises(KeyError):
        heads["a.b"] = nn.Linear(1, 1)


def test_requires_grad_freezes_parameters():
    layer = nn.Linear(2, 2).requires_grad_(False)
    assert not any(p.requires_grad for p in layer.parameters())


def test_deepcopy_gives_an_independent_model():
    import copy

    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.BatchNorm1d(3))
    clone = copy.deepcopy(model)
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight is not model[0].weight
    clone[0].weight.data[:] = 0.0
    assert np.any(model[0].weight.data != 0.0)
    assert list(clone.state_dict()) == list(model.state_dict())
