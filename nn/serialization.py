"""Saving and loading state dicts as ``.npz`` archives, never with pickle.

``save`` writes one array per state-dict key (atomically: a crash leaves the old file intact).
``load`` opens the archive with ``allow_pickle=False`` and reads every array before returning, so
a truncated file, a file that is not an npz archive, or an archive holding pickled objects fails
at once with a :class:`SaveFileError` that names the problem. Wrong keys or shapes are caught by
``Module.load_state_dict`` (all or nothing).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from autodiff import AutodiffError, Tensor

from .module import Module, _to_array


class SaveFileError(AutodiffError, ValueError):
    """A file that is not a readable state-dict archive (truncated, not npz, pickled contents)."""


def save(module_or_state_dict: Module | dict[str, Any], path: str | os.PathLike) -> None:
    """Write a module's state dict (or a state dict) to ``path`` as an uncompressed ``.npz`` archive.

    The file is written exactly at ``path`` (no suffix is added).

    >>> import nn, tempfile, os
    >>> model = nn.Linear(2, 1)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> nn.save(model, path)
    >>> sorted(nn.load(path))
    ['bias', 'weight']
    """
    state = module_or_state_dict
    if isinstance(state, Module):
        state = state.state_dict()
    if not hasattr(state, "items"):
        raise TypeError(f"save expects a Module or a dict of name -> array, got {type(state).__name__}")
    arrays = {}
    for name, value in state.items():
        if not isinstance(name, str):
            raise TypeError(f"state-dict keys must be strings, got {name!r}")
        array = _to_array(value, name) if not isinstance(value, Tensor) else value.data
        if array.dtype == object:
            raise TypeError(f"{name}: cannot save an object array (only numeric arrays are stored, "
                            "never pickles)")
        arrays[name] = array
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):  # else the error would name the temporary file, not the user's path
        raise FileNotFoundError(f"cannot save to {path}: the folder {directory} does not exist")
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def load(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a state dict written by :func:`save` (or any npz of numeric arrays): name -> array.

    Raises FileNotFoundError for a missing file and :class:`SaveFileError` for a file that is not a
    complete npz archive of plain arrays.
    """
    path = os.fspath(path)
    if os.path.isfile(path):
        with open(path, "rb") as file:
            magic = file.read(6)
        if magic.startswith(b"\x80"):  # a pickle stream: refused before numpy even looks at it
            raise SaveFileError(f"{path} holds pickled data, which is never loaded (it can run code); "
                                "expected an .npz archive written by nn.save")
        if magic and not (magic.startswith(b"PK") or magic == b"\x93NUMPY"):  # neither zip nor .npy
            raise SaveFileError(f"{path} is not an .npz archive written by nn.save (it starts with {magic!r})")
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except ValueError as error:
        if "pickle" in str(error):
            raise SaveFileError(f"{path} holds pickled data, which is never loaded (it can run code); "
                                "expected an .npz archive written by nn.save") from error
        raise SaveFileError(f"{path} is not an .npz archive written by nn.save ({error})") from error
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise SaveFileError(f"{path} is not a readable .npz archive "
                            f"({type(error).__name__}: {error})") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise SaveFileError(f"{path} holds a single .npy array, not an .npz archive of named arrays "
                            "(write state dicts with nn.save)")
    state = {}
    with archive:
        for name in archive.files:
            _check_declared_size(archive, name, path)
            try:
                state[name] = archive[name]
            except ValueError as error:
                if "pickle" in str(error) or "Object arrays" in str(error):
                    raise SaveFileError(f"{path}: entry {name!r} holds pickled objects, which are never "
                                        "loaded; expected numeric arrays") from error
                raise SaveFileError(f"{path}: entry {name!r} is damaged ({error})") from error
            except (OSError, EOFError, zipfile.BadZipFile, KeyError) as error:
                raise SaveFileError(f"{path}: entry {name!r} is damaged or truncated "
                                    f"({type(error).__name__}: {error})") from error
    return state


def _check_declared_size(archive: np.lib.npyio.NpzFile, name: str, path: str) -> None:
    """Refuse an entry whose .npy header declares more data than the entry holds, before numpy
    allocates what the header asks for (a 60-byte file must not reserve petabytes)."""
    member = name + ".npy" if name + ".npy" in archive.zip.namelist() else name
    try:
        with archive.zip.open(member) as entry:
            version = np.lib.format.read_magic(entry)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(entry)
            header_size = entry.tell()
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise SaveFileError(f"{path}: entry {name!r} is damaged or truncated "
                            f"({type(error).__name__}: {error})") from error
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    stored = archive.zip.getinfo(member).file_size - header_size
    if declared > stored:
        raise SaveFileError(f"{path}: entry {name!r} declares {declared:,} bytes of data but holds only "
                            f"{stored:,}; the file is damaged or forged")
