"""nn's bad inputs (the table in tests/nn/bad_inputs.py) each raise a clear error; a failed
``load_state_dict`` or ``nn.save`` changes nothing; a forged or pickled save file never runs or allocates."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
import nn
from tests.helpers import Case

from .bad_inputs import CASES, Payload, saved_model, small_model


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_bad_input_raises_a_clear_error(bad: Case, tmp_path: Path) -> None:
    with pytest.raises(bad.error, match=bad.match):
        bad.call(tmp_path)


def test_pickle_payload_is_live(tmp_path: Path) -> None:
    """The control for the two payload rows: loading the same file *with* pickle does run the code."""
    path = tmp_path / "payload.npz"
    np.savez(path, weight=np.array([Payload(tmp_path / "owned")], dtype=object))
    np.load(path, allow_pickle=True)["weight"]
    assert (tmp_path / "owned").exists()


def test_save_file_declaring_a_huge_array_is_refused_without_allocating(tmp_path: Path) -> None:
    from numpy.lib import format as npy_format

    header = io.BytesIO()
    npy_format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**15,)})
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w") as archive:
        archive.writestr("weight.npy", header.getvalue() + b"\0" * 64)
    with pytest.raises(nn.SaveFileError):
        nn.load(tmp_path / "bomb.npz")


# ----------------------------------------------------------------------------- nothing half-changed
def _snapshot(model) -> dict[str, np.ndarray]:
    return {name: np.array(value, copy=True) for name, value in model.state_dict().items()}


@pytest.mark.parametrize("damage", ["wrong shape last", "missing", "unexpected", "strings", "buffer shape"])
def test_failed_load_state_dict_leaves_the_model_as_it_was(damage: str) -> None:
    model = small_model()
    model(ad.tensor(np.random.default_rng(0).standard_normal((8, 2))))  # move the batch-norm statistics
    before = _snapshot(model)
    arrays = {name: id(t.data) for name, t in model._state_entries()}
    new = {name: value + 1.0 for name, value in small_model().state_dict().items()}  # every entry different
    last = list(new)[-1]
    if damage == "wrong shape last":
        new[last] = np.ones((7, 7))
    elif damage == "missing":
        del new[last]
    elif damage == "unexpected":
        new["extra.weight"] = np.ones(2)
    elif damage == "strings":
        new[last] = np.full(new[last].shape, "x")
    else:
        new["1.running_var"] = np.ones(9)
    with pytest.raises(nn.StateDictError):
        model.load_state_dict(new)
    after = _snapshot(model)
    assert after.keys() == before.keys()
    for name in before:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)
    assert arrays == {name: id(t.data) for name, t in model._state_entries()}


def test_failed_save_keeps_the_previous_file(tmp_path: Path) -> None:
    path = saved_model(tmp_path)
    content = path.read_bytes()
    with pytest.raises(TypeError):
        nn.save({"good": np.ones(2), "bad": np.array([None], dtype=object)}, path)
    assert path.read_bytes() == content
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]  # no temporary file left behind
