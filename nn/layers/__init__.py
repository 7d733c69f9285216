"""The layers: dense, image, normalisation/regularisation, activations."""

from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .conv import Conv2d, Flatten, MaxPool2d
from .linear import Embedding, Identity, Linear
from .norm import BatchNorm1d, BatchNorm2d, Dropout, LayerNorm

__all__ = [
    "Linear", "Embedding", "Identity", "Conv2d", "MaxPool2d", "Flatten", "BatchNorm1d", "BatchNorm2d",
    "LayerNorm",
    "Dropout", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "Softmax", "LogSoftmax",
]
