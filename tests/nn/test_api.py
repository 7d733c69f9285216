"""The public names DESIGN.md promises for nn exist (a renamed name breaks users' code)."""

import pytest

import nn
from nn import functional as F

NN_NAMES = [
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "Linear", "Conv2d", "MaxPool2d",
    "Flatten", "Dropout", "BatchNorm1d", "LayerNorm", "Embedding", "ReLU", "Tanh", "Sigmoid", "LeakyReLU",
    "GELU", "Softmax", "MSELoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss", "HuberLoss",
    "functional", "init", "datasets", "batches", "fit", "save", "load",
]
FUNCTIONAL_NAMES = [
    "linear", "conv2d", "max_pool2d", "flatten", "dropout", "batch_norm", "layer_norm", "embedding", "relu",
    "tanh", "sigmoid", "leaky_relu", "gelu", "softmax", "log_softmax", "mse_loss", "cross_entropy",
    "cross_entropy_loss", "binary_cross_entropy", "bce_loss", "binary_cross_entropy_with_logits",
    "bce_with_logits_loss", "huber_loss",
]
INIT_NAMES = ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "zeros_", "ones_",
              "xavier_uniform", "kaiming_normal", "zeros", "ones", "calculate_gain"]
DATASET_NAMES = ["make_moons", "make_circles", "make_spirals", "make_blobs", "make_xor"]


@pytest.mark.parametrize("where, names", [(nn, NN_NAMES), (F, FUNCTIONAL_NAMES), (nn.init, INIT_NAMES),
                                          (nn.datasets, DATASET_NAMES)])
def test_public_names_exist(where, names):
    missing = [name for name in names if not hasattr(where, name)]
    assert not missing, f"{where.__name__} lacks {missing}"


def test_nn_all_lists_only_real_names():
    assert all(hasattr(nn, name) for name in nn.__all__)
    assert all(hasattr(F, name) for name in F.__all__)
