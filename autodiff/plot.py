"""Plots for training and calculus: loss curves, decision boundaries, optimisation paths, Taylor
polynomials, finite-difference errors and fits with error bars.

matplotlib is optional (``pip install "autodiff[plot]"``) and imported only when a plot is made. The
plots are drawn on a bare ``matplotlib.figure.Figure`` (the Agg canvas, no pyplot), so they never
open windows or change the backend of a notebook. Every function returns the Figure and, given
``path``, also writes it (the format comes from the suffix: .png, .svg, .pdf).

The plots take numbers, not nn's or optim's objects: a training history is a mapping of lists (what
``nn.fit`` returns), a fit is arrays and a model function, a path is an array of iterates. So they
live with autodiff's other pictures and need neither nn nor optim, which autodiff must not import;
the code that trains or fits (``optim/demo.py``, the examples) passes its numbers here.

>>> import numpy as np
>>> fig = loss_curve({"loss": [1.0, 0.5, 0.3], "accuracy": [0.5, 0.8, 0.9]})
>>> [ax.get_xlabel() for ax in fig.axes]
['epoch', 'epoch']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

FORMATS = ("png", "svg", "pdf", "jpg", "jpeg")  # the suffixes the command line accepts for plots
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def figure(ncols: int = 1, nrows: int = 1, size: tuple[float, float] = (6.4, 4.4),
           height_ratios: Sequence[float] | None = None) -> Any:
    """A matplotlib Figure with a grid of axes (raises ImportError saying how to install matplotlib)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError('plots need matplotlib: pip install "autodiff[plot]" (or pip install matplotlib)'
                          ) from None
    fig = Figure(figsize=size, layout="constrained")
    fig.subplots(nrows, ncols, squeeze=False, height_ratios=height_ratios)
    return fig


def save(fig: Any, path: str | Path | None, dpi: int = 110) -> Any:
    """Write ``fig`` to ``path`` (if given; folders are created) and return it."""
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    return fig


def _values(value: Any) -> np.ndarray:
    return np.asarray(getattr(value, "data", value), dtype=float)


def loss_curve(history: Any, path: str | Path | None = None, title: str = "Training") -> Any:
    """Loss (left) and the other metrics (right) per epoch.

    ``history`` is a mapping ``name -> list of values per epoch`` (what ``nn.fit`` returns), an
    object with such a ``.history`` attribute, or a plain sequence of losses. Losses spanning more
    than two decades are drawn on a log scale.
    """
    history = getattr(history, "history", history)
    if not isinstance(history, Mapping):
        history = {"loss": list(history)}
    losses = {k: _values(v) for k, v in history.items() if "loss" in k and len(v)}
    metrics = {k: _values(v) for k, v in history.items() if "loss" not in k and np.ndim(v) == 1 and len(v)}
    fig = figure(ncols=2 if metrics else 1, size=(10, 4) if metrics else (6.4, 4.4))
    panels = [(fig.axes[0], losses, "loss")] + ([(fig.axes[1], metrics, "value")] if metrics else [])
    for ax, series, ylabel in panels:
        bases = list(dict.fromkeys(name.removeprefix("val_") for name in series))
        for name, values in series.items():  # a validation curve: dashed, in its training curve's colour
            base = name.removeprefix("val_")
            ax.plot(np.arange(1, len(values) + 1), values, color=COLORS[bases.index(base) % len(COLORS)],
                    ls="--" if name.startswith("val_") else "-", lw=1.8,
                    label=f"{name} (last {values[-1]:.3g})")
        ax.set(xlabel="epoch", ylabel=ylabel, title=f"{title}: {'loss' if ylabel == 'loss' else 'metrics'}")
        ax.grid(alpha=0.3)
        ax.legend()
    finite = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in losses.values()] or [np.ones(1)])
    if finite.size and finite.max() / max(finite.min(), 1e-300) > 100:
        fig.axes[0].set_yscale("log")
    return save(fig, path)


def decision_boundary(predict: Callable[[np.ndarray], Any], X: Any, y: Any, path: str | Path | None = None,
                      title: str = "Decision boundary", resolution: int = 200) -> Any:
    """The regions a 2-D classifier assigns, with the data points on top.

    ``predict`` maps an (n, 2) array to the probability of class 1 (shape (n,) or (n, 1)) or to
    class scores (n, k); the training points ``X`` (n, 2) are coloured by their labels ``y``.
    """
    X, y = _values(X), np.asarray(getattr(y, "data", y)).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_boundary needs 2-D points, X of shape (n, 2); got {X.shape}")
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 0.1
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    scores = _values(predict(np.column_stack([gx.ravel(), gy.ravel()])))
    fig = figure(size=(6.4, 5.2))
    ax = fig.axes[0]
    if scores.ndim == 1 or scores.shape[1] == 1:
        prob = scores.reshape(gx.shape)
        filled = ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.75)
        ax.contour(gx, gy, prob, levels=[0.5], colors="k", linewidths=1.5)
        fig.colorbar(filled, ax=ax, label="P(class 1)")
    else:
        from matplotlib.colors import ListedColormap

        classes = scores.argmax(axis=1).reshape(gx.shape)
        k = scores.shape[1]
        palette = ListedColormap([COLORS[i % len(COLORS)] for i in range(k)])
        ax.contourf(gx, gy, classes, levels=np.arange(k + 1) - 0.5, cmap=palette, alpha=0.35)
    labels = np.unique(y)
    binary = scores.ndim == 1 or scores.shape[1] == 1
    two = {0: "#2166ac", 1: "#b2182b"} if binary and len(labels) <= 2 else None
    for i, label in enumerate(labels):
        color = two[i] if two else COLORS[i % len(COLORS)]
        mask = y == label
        ax.scatter(X[mask, 0], X[mask, 1], s=16, color=color, edgecolor="k", linewidth=0.4,
                   label=f"class {label:g}" if np.issubdtype(type(label), np.number) else f"class {label}")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title, xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
    ax.legend(loc="upper right", framealpha=0.9)
    return save(fig, path)


def _grid_values(f: Callable[[Any], Any], gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """f on every grid point; f takes a 2-vector. Tries one vectorised call first."""
    try:
        with np.errstate(all="ignore"):
            values = _values(f(np.stack([gx, gy])))
        if values.shape == gx.shape:
            return values
    except Exception:  # noqa: BLE001 (f may not accept a stacked grid; fall back to one point at a time)
        pass
    with np.errstate(all="ignore"):
        points = zip(gx.ravel(), gy.ravel(), strict=True)
        return np.array([float(_values(f(np.array([a, b])))) for a, b in points]).reshape(gx.shape)


def contour_paths(f: Callable[[Any], Any], paths: Mapping[str, Any], path: str | Path | None = None,
                  bounds: tuple[tuple[float, float], tuple[float, float]] | None = None,
                  title: str = "Optimisation paths", minimum: Sequence[float] | None = None,
                  resolution: int = 120, names: tuple[str, str] = ("x", "y")) -> Any:
    """Contours of a function of two variables with the iterates of each optimiser drawn over them.

    ``f`` takes a 2-vector; ``paths`` maps a label to the (k, 2) iterates; ``bounds`` is
    ((xmin, xmax), (ymin, ymax)), by default the box around the paths. Levels are spaced
    logarithmically above the minimum, so long narrow valleys (Rosenbrock) stay readable.
    """
    arrays = {name: _values(p).reshape(-1, 2) for name, p in paths.items()}
    if bounds is None:
        extra = [np.atleast_2d(minimum)] if minimum is not None else []
        points = np.concatenate(list(arrays.values()) + extra)
        lo, hi = points.min(axis=0), points.max(axis=0)
        pad = 0.15 * np.maximum(hi - lo, 1e-3) + 0.2
        bounds = ((lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1]))
    gx, gy = np.meshgrid(np.linspace(*bounds[0], resolution), np.linspace(*bounds[1], resolution))
    values = _grid_values(f, gx, gy)
    finite = values[np.isfinite(values)]
    fig = figure(size=(7, 5.6))
    ax = fig.axes[0]
    if finite.size:
        low = finite.min()
        shifted = np.where(np.isfinite(values), values - low, np.nan) + 1e-12
        levels = low + np.geomspace(max(np.nanpercentile(shifted, 1), 1e-6), np.nanmax(shifted), 25)
        filled = ax.contourf(gx, gy, values, levels=np.concatenate([[low], levels]), cmap="viridis",
                             alpha=0.85, extend="max")
        ax.contour(gx, gy, values, levels=levels, colors="white", linewidths=0.4, alpha=0.6)
        fig.colorbar(filled, ax=ax, label="f (log-spaced levels)")
    for color, (name, points) in zip(COLORS[1:] + COLORS[:1], arrays.items(), strict=False):
        ax.plot(points[:, 0], points[:, 1], "-o", color=color, ms=3, lw=1.5,
                label=f"{name} ({len(points) - 1} steps)")
        ax.plot(*points[0], "s", color=color, ms=7, mec="k")
        ax.plot(*points[-1], "*", color=color, ms=13, mec="k")
    if minimum is not None:
        ax.plot(*minimum, "P", color="white", mec="k", ms=11, label="true minimum")
    ax.set(xlabel=names[0], ylabel=names[1], title=title, xlim=bounds[0], ylim=bounds[1])
    ax.legend(loc="best", framealpha=0.9, title="square: start, star: end")
    return save(fig, path)


def line_path(f: Callable[[np.ndarray], Any], paths: Mapping[str, Any], path: str | Path | None = None,
              title: str = "Optimisation path", name: str = "x") -> Any:
    """A function of one variable with the iterates of each optimiser (``label -> 1-D array``) on it."""
    arrays = {label: _values(p).reshape(-1) for label, p in paths.items()}
    points = np.concatenate(list(arrays.values()))
    span = max(float(np.ptp(points)), 1.0)
    xs = np.linspace(points.min() - 0.3 * span, points.max() + 0.3 * span, 400)
    fig = figure(size=(7, 4.6))
    ax = fig.axes[0]
    with np.errstate(all="ignore"):
        ax.plot(xs, _values(f(xs)), color="k", lw=2, label=f"f({name})")
        for color, (label, iterates) in zip(COLORS[1:], arrays.items(), strict=False):
            ax.plot(iterates, _values(f(iterates)), "-o", color=color, ms=5,
                    label=f"{label} iterates ({len(iterates) - 1} steps)")
    ax.set(xlabel=name, ylabel=f"f({name})", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    return save(fig, path)


def taylor_plot(f: Callable[[np.ndarray], Any], x0: float,
                polynomials: Mapping[int, Callable[[np.ndarray], Any]], path: str | Path | None = None,
                xlim: tuple[float, float] | None = None,
                title: str | None = None, label: str = "f(x)",
                within: Mapping[int, tuple[float, float] | None] | None = None, tol: float | None = None) -> Any:
    """A function of one variable with its Taylor polynomials about ``x0`` (``order -> callable``).

    The y range follows the function (polynomials that run off to infinity are clipped). Given
    ``within`` (``order -> (a, b)``, the interval where that polynomial is within ``tol`` of f, or
    None), each interval is shaded in its polynomial's colour (the shades nest, darkest near x0)
    and written in the legend.
    """
    lo, hi = xlim if xlim is not None else (x0 - 3.0, x0 + 3.0)
    xs = np.linspace(lo, hi, 400)
    with np.errstate(all="ignore"):
        ys = _values(f(xs))
    fig = figure(size=(7, 4.8))
    ax = fig.axes[0]
    ax.plot(xs, ys, color="k", lw=2.6, label=label, zorder=5)
    cmap = colormap("plasma")
    orders = sorted(polynomials)
    for i, order in enumerate(orders):
        with np.errstate(all="ignore"):
            approx = _values(polynomials[order](xs))
        color = cmap(0.1 + 0.75 * i / max(1, len(orders) - 1))
        interval = (within or {}).get(order)
        note = "" if within is None else (f": |error| ≤ {tol:g} on [{interval[0]:.3g}, {interval[1]:.3g}]"
                                          if interval is not None else f": |error| > {tol:g}")
        ax.plot(xs, approx, lw=1.5, color=color, label=f"order {order}{note}")
        if interval is not None:
            ax.axvspan(*interval, color=color, alpha=0.1, lw=0)
    finite = ys[np.isfinite(ys)]
    if finite.size:
        span = max(finite.max() - finite.min(), 1e-9)
        ax.set_ylim(finite.min() - 0.35 * span, finite.max() + 0.35 * span)
    with np.errstate(all="ignore"):
        y0 = float(_values(f(np.array([x0])))[0])
    ax.plot([x0], [y0], "o", color="k", ms=7, zorder=6)
    ax.axvline(x0, color="gray", lw=0.8, ls=":")
    ax.set(xlabel="x", ylabel="y", title=title or f"Taylor polynomials about x0 = {x0:g}", xlim=(lo, hi))
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9, title=None if within is None else f"shaded: within {tol:g} of f")
    return save(fig, path)


def step_size_errors(steps: Any, errors: Mapping[str, Any], path: str | Path | None = None,
                     title: str = "Finite differences: error against step size") -> Any:
    """Log-log error of finite-difference derivatives against the step h, one line per method,
    with each method's best step marked: truncation error falls with h, round-off grows as 1/h."""
    steps = _values(steps)
    fig = figure(size=(7, 4.8))
    ax = fig.axes[0]
    for color, (name, values) in zip(COLORS, errors.items(), strict=False):
        values = np.maximum(_values(values), 1e-18)  # an exact zero would vanish from a log plot
        ax.loglog(steps, values, "-o", ms=3, color=color, label=name)
        best = int(np.argmin(values))
        ax.loglog(steps[best], values[best], "*", ms=14, color=color, mec="k")
        ax.annotate(f"h = {steps[best]:.0e}", (steps[best], values[best]), textcoords="offset points",
                    xytext=(0, 12), ha="center", fontsize=9, color=color,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.8, "lw": 0})
    ax.set(xlabel="step h", ylabel="absolute error of the derivative", title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(title="star: best step")
    return save(fig, path)


def fit_plot(x: Any, y: Any, sigma: Any, curves: Mapping[str, tuple[Any, Any]],
             path: str | Path | None = None, title: str = "Fit", xlabel: str = "x", ylabel: str = "y",
             model: Callable[[np.ndarray], Any] | None = None, note: str | None = None,
             band: tuple[Any, Any, Any] | None = None, band_label: str = "95% confidence band",
             pulls: Any = None) -> Any:
    """Data with error bars and fitted curves (``label -> (xs, ys)``); given ``model`` (the best fit
    as a function of x), a lower panel shows the pulls (y - model) / sigma, or the given ``pulls``
    (a fit report's, e.g. in units of scaled errors). ``band = (xs, lower, upper)`` shades the fit's
    confidence band (what ``FitResult.predict_band`` returns); ``note`` is a text box (a report)."""
    x, y = _values(x), _values(y)
    sigma = None if sigma is None else np.broadcast_to(_values(sigma), y.shape)
    if (model is not None and sigma is not None) or pulls is not None:
        fig = figure(nrows=2, size=(7, 6), height_ratios=(3, 1))
        ax, pulls_ax = fig.axes
        pulls_ax.sharex(ax)
    else:
        fig, pulls_ax = figure(size=(7, 4.8)), None
        ax = fig.axes[0]
    ax.errorbar(x, y, yerr=sigma, fmt="o", ms=4, color="k", ecolor="gray", capsize=2, label="data", zorder=5)
    if band is not None:
        xs, lower, upper = (_values(v) for v in band)
        ax.fill_between(xs, lower, upper, color=COLORS[0], alpha=0.25, lw=0, label=band_label)
    for color, (label, (xs, ys)) in zip(COLORS, curves.items(), strict=False):
        ax.plot(_values(xs), _values(ys), color=color, lw=2, label=label)
    ax.set(xlabel=xlabel if pulls_ax is None else "", ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    if note:
        ax.text(0.02, 0.97, note, transform=ax.transAxes, va="top", ha="left", fontsize=9, family="monospace",
                bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85})
    if pulls_ax is not None:
        pulls = (y - _values(model(x))) / sigma if pulls is None else _values(pulls)
        pulls_ax.axhline(0, color="k", lw=0.8)
        pulls_ax.bar(x, pulls, width=0.8 * np.min(np.diff(np.sort(x))) if x.size > 1 else 0.1, color="gray")
        pulls_ax.set(xlabel=xlabel, ylabel="pull", ylim=(-3.5, 3.5))
        pulls_ax.grid(alpha=0.3)
    return save(fig, path)


def colormap(name: str) -> Any:
    from matplotlib import colormaps

    return colormaps[name]


def layout_picture(graph: Any, fmt: str, dpi: int = 110) -> bytes:
    """A graph (``autodiff.dotparse.DotGraph``) drawn by the built-in layout, as PNG, PDF or JPEG bytes.

    What ``save_graph`` writes for those formats when Graphviz's ``dot`` is not installed: the same
    layout and shapes as the built-in SVG, drawn with matplotlib.
    """
    import io

    from matplotlib.patches import Ellipse, PathPatch, Polygon, Rectangle
    from matplotlib.path import Path as CurvePath

    from . import svg

    scene = svg.arrange(graph)
    fig = figure(size=(scene.width / 72, scene.height / 72))
    ax = fig.axes[0]
    fig.set_layout_engine(None)
    ax.set_position((0, 0, 1, 1))
    ax.set_xlim(0, scene.width)
    ax.set_ylim(scene.height, 0)
    ax.axis("off")
    fig.patch.set_facecolor(graph.attrs.get("bgcolor", "white"))
    at = lambda x, y: (x + scene.dx, y + scene.dy)  # noqa: E731

    def text(x: float, y: float, line: list, size: float, color: str, ha: str = "center") -> None:
        words = " ".join(span.text for span in line)
        bold = any(span.bold for span in line)
        color = next((span.color for span in line if span.color), color)
        ax.text(*at(x, y), words, fontsize=0.9 * max((span.size or size) for span in line), color=color, ha=ha,
                va="baseline", fontweight="bold" if bold else "normal", family="sans-serif")

    for name, outline in scene.placed.clusters.items():
        attrs = graph.clusters[name].attrs
        ax.add_patch(Polygon([at(*p) for p in outline], closed=True, facecolor=attrs.get("fillcolor", "none"),
                             edgecolor=attrs.get("color", "black"), lw=0.8))
        x0, y0 = outline[0]
        for i, line in enumerate(svg.dot.label_lines(label=attrs.get("label", ""))):
            text(x0 + 8, y0 + 6 + scene.cluster_sizes[name] * (1 + 1.2 * i), line, scene.cluster_sizes[name],
                 "black", "left")
    for k, edge in enumerate(graph.edges):
        if edge.tail == edge.head:
            continue
        segments, head = svg.edge_curve(scene, k)
        vertices = [at(*segments[0][0])] + [at(*p) for segment in segments for p in segment[1:]]
        codes = [CurvePath.MOVETO] + [CurvePath.CURVE4] * (len(vertices) - 1)
        color = edge.attrs.get("color", "black")
        dashed = "dashed" in edge.attrs.get("style", "")
        ax.add_patch(PathPatch(CurvePath(vertices, codes), fill=False, edgecolor=color, ls="--" if dashed else "-",
                               lw=float(edge.attrs.get("penwidth", 1)) * 0.8))
        ax.add_patch(Polygon([at(*p) for p in head], closed=True, color=color))
        for x, y, line in svg.label_lines_at(scene, k):
            text(x, y, line, scene.edge_labels[k][1], edge.attrs.get("fontcolor", "black"))
    for node in scene.nodes.values():
        x, y = scene.placed.positions[node.name]
        attrs = node.attrs
        fill = attrs.get("fillcolor", attrs.get("color", "lightgrey")) if "filled" in node.style else "none"
        edge_color = "none" if node.shape in svg._PLAIN else attrs.get("color", "black")
        lw = float(attrs.get("penwidth", 1)) * 0.8
        ls = "--" if "dashed" in node.style else "-"
        if node.shape in svg._BOXES or node.shape in svg._PLAIN:
            ax.add_patch(Rectangle(at(x - node.width / 2, y - node.height / 2), node.width, node.height,
                                   facecolor=fill, edgecolor=edge_color, lw=lw, ls=ls))
        else:
            ax.add_patch(Ellipse(at(x, y), node.width, node.height, facecolor=fill, edgecolor=edge_color, lw=lw, ls=ls))
        heights = [node.line_height(line) for line in node.lines]
        baseline = y - sum(heights) / 2
        for line, line_h in zip(node.lines, heights):
            text(x, baseline + 0.8 * line_h, line, node.size, attrs.get("fontcolor", "black"))
            baseline += line_h
    for x, y, line in svg.caption_lines(scene):
        text(x - scene.dx, y - scene.dy, line, scene.caption_size, "black")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="jpeg" if fmt == "jpg" else fmt, dpi=dpi, facecolor=fig.get_facecolor())
    return buffer.getvalue()
