"""save -> load gives identical outputs; every kind of bad file gives a clear SaveFileError."""

import os
import pickle
import zipfile

import numpy as np
import pytest

import autodiff as ad
import nn


def make_model():
    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, rng=0), nn.ReLU(), nn.Flatten(),
                         nn.BatchNorm1d(32), nn.Linear(32, 3, rng=1))


def test_save_load_round_trip_gives_identical_outputs(tmp_path, rng):
    model = make_model()
    x = rng.normal(size=(5, 1, 4, 4))
    model(ad.tensor(x))  # one training step of batch norm: non-trivial running statistics
    model.eval()
    path = tmp_path / "model.npz"
    nn.save(model, path)
    state = nn.load(path)
    assert list(state) == list(model.state_dict())
    assert state["3.num_batches_tracked"].dtype == np.int64
    fresh = make_model().eval()
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh(ad.tensor(x)).data, model(ad.tensor(x)).data)


def test_save_accepts_a_state_dict_and_writes_exactly_the_path(tmp_path):
    path = tmp_path / "weights.bin"
    nn.save({"a": np.arange(3.0), "b": ad.tensor([[1.0]])}, path)
    assert os.listdir(tmp_path) == ["weights.bin"]  # no suffix added, no temporary left behind
    state = nn.load(path)
    np.testing.assert_array_equal(state["a"], [0.0, 1.0, 2.0])
    with pytest.raises(TypeError, match="object array"):
        nn.save({"a": np.array([object()])}, tmp_path / "x.npz")


def test_float32_model_round_trips_in_float32(tmp_path):
    model = nn.Linear(3, 2, rng=0).float()
    nn.save(model, tmp_path / "m.npz")
    assert nn.load(tmp_path / "m.npz")["weight"].dtype == np.float32


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "absent.npz")


def test_truncated_file(tmp_path):
    path = tmp_path / "model.npz"
    nn.save(make_model(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(nn.SaveFileError, match="model.npz"):
        nn.load(path)


def test_not_an_npz_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("these are not weights\n" * 10)
    with pytest.raises(nn.SaveFileError, match="not"):
        nn.load(path)


def test_single_npy_array_is_not_a_state_dict(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.ones(3))
    with pytest.raises(nn.SaveFileError, match="single .npy array"):
        nn.load(path)


def test_pickle_file_is_refused(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"weight": np.ones(2)}))
    with pytest.raises(nn.SaveFileError, match="pickle"):
        nn.load(path)


def test_npz_with_pickled_object_array_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, weight=np.ones(2), payload=np.array([{"code": "run me"}], dtype=object))
    with pytest.raises(nn.SaveFileError, match="pickled objects"):
        nn.load(path)


def test_corrupted_member_is_reported(tmp_path):
    path = tmp_path / "model.npz"
    nn.save({"weight": np.ones(100)}, path)
    with zipfile.ZipFile(path) as archive:
        raw = archive.read("weight.npy")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("weight.npy", raw[:40])  # header cut short: a member that cannot be parsed
    with pytest.raises(nn.SaveFileError, match="weight"):
        nn.load(path)


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("4.bias"), "missing keys: 4.bias"),
    (lambda s: s.update({"9.weight": np.zeros(1)}), "unexpected keys: 9.weight"),
    (lambda s: s.update({"4.weight": np.zeros((3, 31))}), r"4.weight.*\(3, 31\)"),
])
def test_bad_state_in_a_file_changes_nothing(tmp_path, change, message):
    state = make_model().state_dict()
    change(state)
    nn.save(state, tmp_path / "bad.npz")
    target = make_model()
    before = target.state_dict()
    with pytest.raises(nn.StateDictError, match=message):
        target.load_state_dict(nn.load(tmp_path / "bad.npz"))
    for name, value in target.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
