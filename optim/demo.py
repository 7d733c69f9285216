"""``autodiff demo``, the project's main job: train a toy network, then draw its loss curve, its
decision boundary and its computation graph, and put them on one page (index.html) where the
graph's backward pass can be stepped through.

It uses all three packages (nn's layers and data, optim's Adam, autodiff's pictures), so it lives in
optim, the one package allowed to import the other two (``optim -> nn -> autodiff``); the
``autodiff`` command finds it through the entry point ``optim.commands:demo``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

import autodiff as ad
import nn
from autodiff.cli.common import write_graph, write_page
from autodiff.viz import draw_graph

from .adam import Adam

DEMO_EPOCHS = {"moons": 60, "circles": 60, "xor": 60, "spirals": 200}


def _dataset(name: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if name == "moons":
        return nn.datasets.make_moons(300, noise=0.15, rng=seed)
    if name == "circles":
        return nn.datasets.make_circles(300, noise=0.08, factor=0.5, rng=seed)
    if name == "spirals":
        return nn.datasets.make_spirals(300, n_classes=3, noise=0.15, rng=seed)
    return nn.datasets.make_xor(300, noise=0.15, rng=seed)


def _train(model: Any, loss_fn: Any, optimizer: Any, X: np.ndarray, y: np.ndarray, epochs: int,
           seed: int) -> dict[str, list[float]]:
    """nn.fit, with its tqdm bar on a terminal; elsewhere (logs, CI, no tqdm) a text bar every tenth of the run.
    The steps are compiled (``jit=True``): the same numbers, about a third faster here (200 epochs of moons:
    0.22 s against 0.34 s of CPU)."""
    import importlib.util

    if sys.stdout.isatty() and importlib.util.find_spec("tqdm") is not None:
        return nn.fit(model, loss_fn, optimizer, X, y, epochs=epochs, batch_size=32, progress=True, rng=seed,
                      jit=True)
    history: dict[str, list[float]] = {}
    done = 0
    rng = np.random.default_rng(seed)
    while done < epochs:
        chunk = min(max(1, epochs // 10), epochs - done)
        part = nn.fit(model, loss_fn, optimizer, X, y, epochs=chunk, batch_size=32, progress=False, rng=rng,
                      jit=True)
        for key, values in part.items():
            history.setdefault(key, []).extend(values)
        done += chunk
        bar = "#" * round(20 * done / epochs)
        print(f"[{bar:<20}] epoch {done:>4}/{epochs}  loss {history['loss'][-1]:.4f}  "
              f"accuracy {history['accuracy'][-1]:.1%}", flush=True)
    return history


def demo(dataset: str = "moons", epochs: int | None = None, out: str | Path = "autodiff-demo",
         seed: int = 0) -> float:
    """Train a 2-16-16-k tanh network on a toy dataset, write its pictures to ``out``; return the accuracy."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    epochs = DEMO_EPOCHS[dataset] if epochs is None else epochs
    X, y = _dataset(dataset, seed)
    classes = int(y.max()) + 1
    model = nn.Sequential(nn.Linear(2, 16, rng=seed), nn.Tanh(), nn.Linear(16, 16, rng=seed + 1), nn.Tanh(),
                          nn.Linear(16, classes, rng=seed + 2))
    loss_fn = nn.CrossEntropyLoss()
    print(f"training {model!r}\non {len(X)} points of {dataset} for {epochs} epochs")
    history = _train(model, loss_fn, Adam(model.parameters(), lr=0.02), X, y, epochs, seed)
    accuracy = nn.evaluate(model, loss_fn, X, y)["accuracy"]
    print(f"final accuracy {accuracy:.1%}")

    written = []
    try:
        from autodiff import plot

        def probabilities(points: np.ndarray) -> np.ndarray:
            with ad.no_grad():
                p = ad.softmax(model(ad.tensor(points)), axis=-1).data
            return p[:, 1] if classes == 2 else p

        plot.loss_curve(history, out / "loss.png", title=f"{dataset}")
        written.append(out / "loss.png")
        plot.decision_boundary(probabilities, X, y, out / "decision_boundary.png",
                               title=f"{dataset}: decision boundary (accuracy {accuracy:.1%})")
        written.append(out / "decision_boundary.png")
    except ImportError as error:
        print(f"note: {error}; skipped loss.png and decision_boundary.png", file=sys.stderr)
    # the graph of one small batch: retain_graph=True keeps it whole after backward for the picture
    batch = model(ad.tensor(X[:4], name="X (4 points)"))
    loss = loss_fn(batch, ad.tensor(y[:4], name="labels"))
    loss.name = "loss"
    model.zero_grad()
    loss.backward(retain_graph=True)
    title = f"one step of training on 4 points of {dataset}"
    graph = draw_graph(loss, model=model, rankdir="TB", title=title)
    written.append(write_graph(graph, out / "graph.svg"))
    # one page with the pictures and the network's graph, to step through its backward pass
    pictures = [(p, p.stem.replace("_", " ")) for p in written if p.suffix == ".png"]
    page = ad.graph_page(loss, model=model, rankdir="TB", pictures=pictures,
                         title=f"autodiff demo: {dataset}, accuracy {accuracy:.1%}; the graph of {title}")
    written.append(write_page(page, out / "index.html"))
    print("wrote " + ", ".join(str(p) for p in written))
    return float(accuracy)
