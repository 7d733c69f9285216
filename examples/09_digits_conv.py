"""A small convolutional network on the 8x8 handwritten digits (needs scikit-learn for the data).

Conv2d(1→8, 3x3) → ReLU → MaxPool2d(2) → Flatten → Linear(128→10), trained with Adam on
cross-entropy. Backprop runs through the convolution (as an im2col matrix product) and the
pooling (the gradient goes to the maximum of each window). We keep a fifth of the digits aside
to measure accuracy on images the network never saw.

    python examples/09_digits_conv.py --out out/digits
"""

import sys

import numpy as np
from _common import options, save_graph_or_dot, wrote

import autodiff as ad
import nn
import optim
from autodiff import plot
from autodiff.viz import draw_graph


def main() -> None:
    out, quick = options(__doc__.splitlines()[0], "digits_conv")
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("this example needs scikit-learn for the digits: pip install scikit-learn (skipping)")
        sys.exit(0)
    digits = load_digits()
    X = (digits.images / 16.0)[:, None, :, :]  # (n, channels=1, 8, 8), values in [0, 1]
    y = digits.target
    order = np.random.default_rng(0).permutation(len(X))
    if quick:
        order = order[:400]
    split = int(0.8 * len(order))
    train, test = order[:split], order[split:]

    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(8 * 4 * 4, 10, rng=1))
    loss_fn = nn.CrossEntropyLoss()
    epochs = 3 if quick else 15
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    history = nn.fit(model, loss_fn, optimizer, X[train], y[train], epochs=epochs, batch_size=32,
                     validation=(X[test], y[test]), progress=True, rng=0)
    print(f"after {epochs} epochs: training accuracy {history['accuracy'][-1]:.1%}, "
          f"test accuracy {history['val_accuracy'][-1]:.1%}")
    plot.loss_curve(history, out / "training.png", title="Conv net on 8x8 digits")

    with ad.no_grad():
        predicted = model(ad.tensor(X[test])).data.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y[test])
    shown = np.concatenate([wrong[:8], np.flatnonzero(predicted == y[test])])[:24]  # mistakes first
    fig = plot.figure(ncols=8, nrows=3, size=(9, 3.8))
    for ax, i in zip(fig.axes, shown, strict=False):
        ax.imshow(X[test][i, 0], cmap="gray_r")
        right = predicted[i] == y[test][i]
        ax.set_title(f"{predicted[i]}" + ("" if right else f" (is {y[test][i]})"),
                     color="#2ca02c" if right else "#d62728", fontsize=10)
        ax.set_axis_off()
    fig.suptitle(f"Predictions on test digits: {len(wrong)} of {len(test)} wrong (red, shown first)")
    plot.save(fig, out / "predictions.png")

    weights = model[0].weight.data[:, 0]
    fig = plot.figure(ncols=8, size=(9, 1.8))
    for k, ax in enumerate(fig.axes):
        ax.imshow(weights[k], cmap="RdBu_r", vmin=-np.abs(weights).max(), vmax=np.abs(weights).max())
        ax.set_title(f"filter {k}", fontsize=9)
        ax.set_axis_off()
    fig.suptitle("The eight learned 3x3 filters (red +, blue -)")
    plot.save(fig, out / "filters.png")

    loss = loss_fn(model(ad.tensor(X[test][:2], name="images")), ad.tensor(y[test][:2]))
    loss.name = "loss"
    loss.backward(retain_graph=True)
    graph = save_graph_or_dot(draw_graph(loss, model=model, title="conv net, two images"), out / "graph.svg")
    wrote(out / "training.png", out / "predictions.png", out / "filters.png", graph)


if __name__ == "__main__":
    main()
