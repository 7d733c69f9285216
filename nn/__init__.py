"""nn: neural networks on the autodiff engine, with PyTorch's names, shapes and state-dict keys.

>>> import autodiff as ad, nn, optim
>>> X, y = nn.datasets.make_moons(200, noise=0.1, rng=0)
>>> model = nn.Sequential(nn.Linear(2, 16, rng=0), nn.ReLU(), nn.Linear(16, 2, rng=1))
>>> history = nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), X, y,
...                  epochs=30, batch_size=32, progress=False, rng=0)
>>> history["accuracy"][-1] > 0.9
True
"""

from . import datasets, functional, init
from .containers import ModuleDict, ModuleList, Sequential
from .data import batches
from .init import manual_seed
from .layers import (
    GELU,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss
from .module import LoadResult, Module, Parameter, StateDictError
from .serialization import SaveFileError, load, save
from .stateless import functional_call
from .training import accuracy, evaluate, fit

__all__ = [
    "Module", "Parameter", "StateDictError", "LoadResult", "Sequential", "ModuleList", "ModuleDict",
    "Linear", "Embedding", "Identity", "Conv2d", "MaxPool2d", "Flatten", "BatchNorm1d", "BatchNorm2d",
    "LayerNorm",
    "Dropout",
    "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "Softmax", "LogSoftmax",
    "MSELoss", "L1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "functional", "init", "datasets", "batches", "fit", "evaluate", "accuracy", "save", "load",
    "SaveFileError", "manual_seed", "functional_call",
]
