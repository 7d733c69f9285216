"""The chain rule and backpropagation: a small sigmoid network learns to draw a curve.

A 1-8-1 network a = σ(W₁x + b₁), ŷ = W₂a + b₂ is fitted to a wiggly curve by minimising the mean
squared error C = mean((ŷ - y)²). Backpropagation is the multivariate chain rule applied from the
output back: ∂C/∂W₂ = mean(2(ŷ - y) aᵀ) and ∂C/∂W₁ = mean(2(ŷ - y) W₂ᵀ ⊙ σ'(z₁) xᵀ) with
σ' = σ(1 - σ). We check these hand-written derivatives against the engine's, then train.

    python examples/02_backprop_curve.py --out out/backprop
"""

import numpy as np
from _common import options, save_graph_or_dot, wrote

import autodiff as ad
import nn
import optim
from autodiff import plot
from autodiff.viz import draw_graph


def target(x):
    return np.sin(3 * x) * np.exp(-0.5 * x**2) + 0.3 * x


def chain_rule_by_hand(model, x, y):
    """∂C/∂W₂ and ∂C/∂W₁ written out with the chain rule (numpy only)."""
    W1, b1 = model[0].weight.data, model[0].bias.data
    W2, b2 = model[2].weight.data, model[2].bias.data
    a = 1 / (1 + np.exp(-(x @ W1.T + b1)))  # hidden activations σ(z₁)
    y_hat = a @ W2.T + b2
    delta2 = 2 * (y_hat - y) / len(x)  # ∂C/∂ŷ
    delta1 = (delta2 @ W2) * a * (1 - a)  # ∂C/∂z₁ = ∂C/∂ŷ · ∂ŷ/∂a · ∂a/∂z₁
    return delta2.T @ a, delta1.T @ x


def main() -> None:
    out, quick = options(__doc__.splitlines()[0], "backprop_curve")
    x = np.linspace(-3, 3, 80)[:, None]
    y = target(x)
    model = nn.Sequential(nn.Linear(1, 8, rng=0), nn.Sigmoid(), nn.Linear(8, 1, rng=1))
    loss_fn = nn.MSELoss()

    loss = loss_fn(model(ad.tensor(x)), ad.tensor(y))
    loss.backward()
    dW2, dW1 = chain_rule_by_hand(model, x, y)
    print("max |AD - chain rule by hand|:",
          f"dC/dW2 {np.abs(model[2].weight.grad.data - dW2).max():.1e},",
          f"dC/dW1 {np.abs(model[0].weight.grad.data - dW1).max():.1e}")

    steps = 400 if quick else 4000
    optimizer = optim.Adam(model.parameters(), lr=0.03)
    losses, snapshots = [], {}
    inputs, targets = ad.tensor(x), ad.tensor(y)
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step in (steps // 40, steps // 8, steps // 2, steps):
            with ad.no_grad():
                snapshots[step] = model(ad.tensor(np.linspace(-3, 3, 300)[:, None])).data.ravel()
    print(f"after {steps} steps of Adam: mean squared error {losses[-1]:.5f}")

    fig = plot.figure(size=(7, 4.6))
    ax = fig.axes[0]
    ax.plot(x, y, "o", color="k", ms=3, label="target points")
    cmap = plot.colormap("viridis")
    for i, (step, curve) in enumerate(snapshots.items()):
        ax.plot(np.linspace(-3, 3, 300), curve, color=cmap(i / max(1, len(snapshots) - 1)), lw=2,
                label=f"network after {step} steps")
    ax.set(xlabel="x", ylabel="y", title="A 1-8-1 sigmoid network learning to draw a curve")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    plot.save(fig, out / "curve.png")
    plot.loss_curve({"loss": losses}, out / "loss.png", title="Backprop + Adam")

    # the graph that backpropagation walks, for three points; retain_graph=True keeps it drawable
    loss = loss_fn(model(ad.tensor(x[:3], name="x")), ad.tensor(y[:3], name="y"))
    loss.name = "C"
    loss.backward(retain_graph=True)
    graph = draw_graph(loss, model=model, title="C = mean((W2 σ(W1 x + b1) + b2 - y)²)")
    written = save_graph_or_dot(graph, out / "graph.svg")
    wrote(out / "curve.png", out / "loss.png", written)


if __name__ == "__main__":
    main()
