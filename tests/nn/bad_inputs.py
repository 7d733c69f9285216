"""nn's bad inputs: each row is a call, the exception it must raise and a fragment of its message.

``CASES`` covers modules, state dicts, losses and save files (truncated, damaged, forged, pickled).
tests/nn/test_bad_input.py runs them; ``python docs/make_errors.py`` lists them in docs/errors.md.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

import autodiff as ad
import nn
from tests.helpers import BadInputs

TABLE = BadInputs()
CASES = TABLE.cases
add, add_with_tmp = TABLE.add, TABLE.add_with_tmp


# ----------------------------------------------------------------------------- modules, state dicts, losses
def small_model():
    return nn.Sequential(nn.Linear(2, 3, rng=0), nn.BatchNorm1d(3), nn.Tanh(), nn.Linear(3, 1, rng=1))


_SD = small_model().state_dict()
_STATE = "cannot load the state dict into Sequential .nothing was changed.: "
for _id, _call, _error, _match in [
    ("state-dict-missing-key", lambda: small_model().load_state_dict({k: v for k, v in _SD.items() if k != "0.bias"}),
     nn.StateDictError, _STATE + "missing keys: 0.bias"),
    ("state-dict-unexpected-key", lambda: small_model().load_state_dict({**_SD, "9.weight": np.ones(2)}),
     nn.StateDictError, _STATE + "unexpected keys: 9.weight"),
    ("state-dict-wrong-shape", lambda: small_model().load_state_dict({**_SD, "0.weight": np.ones((2, 3))}),
     nn.StateDictError, r"0.weight: the state dict has shape \(2, 3\), the module expects \(3, 2\)"),
    ("state-dict-buffer-shape", lambda: small_model().load_state_dict({**_SD, "1.running_mean": np.ones(4)}),
     nn.StateDictError, r"1.running_mean: the state dict has shape \(4,\), the module expects \(3,\)"),
    ("state-dict-strings", lambda: small_model().load_state_dict({**_SD, "0.bias": np.array(["a", "b", "c"])}),
     nn.StateDictError, "0.bias: the state dict holds dtype <U1, expected numbers"),
    ("state-dict-not-a-dict", lambda: small_model().load_state_dict([1, 2]), TypeError,
     "load_state_dict expects a dict of name -> array, got list"),
    ("linear-input-width", lambda: small_model()(ad.ones(4, 5)), ad.ShapeError, r"the input has shape \(4, 5\)"),
    ("mse-shapes", lambda: nn.MSELoss()(ad.ones(3, 1), ad.ones(4)), ad.ShapeError,
     r"mse_loss: the input has shape \(3, 1\) but the target has shape \(4,\)"),
    ("cross-entropy-label-range", lambda: nn.CrossEntropyLoss()(ad.ones(3, 4), np.array([0, 5, 1])), IndexError,
     r"class labels must be in \[0, 3\], got values from 0 to 5"),
    ("loss-reduction", lambda: nn.MSELoss(reduction="avg"), ValueError, "reduction must be one of"),
    ("bce-probability-range", lambda: nn.BCELoss()(ad.tensor([1.5]), ad.tensor([1.0])), ValueError,
     r"the input must be probabilities in \[0, 1\]"),
    ("conv2d-input-rank", lambda: nn.Conv2d(1, 2, 3)(ad.ones(2, 3)), ad.ShapeError,
     "conv2d: .*must be \\(N, C, H, W\\) or \\(C, H, W\\)"),
]:
    add(_id, "nn", _call, _error, _match)


# ----------------------------------------------------------------------------- save files
class Payload:
    """Unpickling this creates a directory: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (str(self.marker),)


def saved_model(tmp: Path) -> Path:
    path = tmp / "model.npz"
    nn.save(small_model(), path)
    return path


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _load_payload_npz(tmp: Path) -> None:
    path = tmp / "payload.npz"
    np.savez(path, weight=np.array([Payload(tmp / "owned")], dtype=object))
    try:
        nn.load(path)
    finally:
        assert not (tmp / "owned").exists(), "the pickle payload ran"


def _load_payload_pickle(tmp: Path) -> None:
    path = _write(tmp / "payload.npz", pickle.dumps({"weight": Payload(tmp / "owned")}))
    try:
        nn.load(path)
    finally:
        assert not (tmp / "owned").exists(), "the pickle payload ran"


def _flip_a_byte(tmp: Path) -> None:
    data = bytearray(saved_model(tmp).read_bytes())
    data[len(data) // 2] ^= 0xFF
    nn.load(_write(tmp / "flipped.npz", bytes(data)))


for _id, _call, _error, _match in [
    ("save-file-truncated", lambda tmp: nn.load(_write(tmp / "cut.npz", saved_model(tmp).read_bytes()[:300])),
     nn.SaveFileError, "not a readable .npz archive"),
    ("save-file-empty", lambda tmp: nn.load(_write(tmp / "empty.npz", b"")), nn.SaveFileError,
     "not a readable .npz archive"),
    ("save-file-garbage", lambda tmp: nn.load(_write(tmp / "junk.npz", b"not a zip" * 50)), nn.SaveFileError,
     "never loaded|not an .npz archive"),
    ("save-file-missing", lambda tmp: nn.load(tmp / "nowhere.npz"), FileNotFoundError, "No such file"),
    ("save-file-directory", lambda tmp: nn.load(tmp), nn.SaveFileError, "not a readable .npz archive"),
    ("save-file-single-npy", lambda tmp: nn.load(_np_save(tmp / "one.npy")), nn.SaveFileError,
     "holds a single .npy array"),
    ("save-file-flipped-byte", _flip_a_byte, nn.SaveFileError, "damaged or truncated"),
    ("save-file-pickle-payload-in-npz", _load_payload_npz, nn.SaveFileError,
     "entry 'weight' holds pickled objects, which are never loaded"),
    ("save-file-pickle-payload", _load_payload_pickle, nn.SaveFileError,
     "holds pickled data, which is never loaded"),
    ("save-object-array", lambda tmp: nn.save({"w": np.array([None], dtype=object)}, tmp / "x.npz"), TypeError,
     "cannot save an object array"),
    ("save-non-string-key", lambda tmp: nn.save({1: np.ones(2)}, tmp / "x.npz"), TypeError,
     "state-dict keys must be strings"),
]:
    add_with_tmp(_id, "save files", _call, _error, _match)


def _np_save(path: Path) -> Path:
    np.save(path, np.ones(3))
    return path
