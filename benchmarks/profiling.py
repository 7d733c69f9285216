"""Profile the engine on the overhead-bound workloads W1, W4 and W5 (and W2).

    python -m benchmarks.profiling [W1 W4 W5]            # cProfile: exact call counts, inflated small calls
    python -m benchmarks.profiling --py-spy [W1 W4 W5]   # sampling (py-spy): honest time shares

The sampling mode runs our step of each workload in a loop in a child process under ``py-spy
record`` and prints, per function, its own share of the samples ("self") and the share of samples
it is on the stack for ("total"), then the hottest source lines. The findings are in PROFILE.md.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from typing import Any


def steps() -> dict[str, tuple[Callable[[], Any], int]]:
    """Our step of each workload and how many times cProfile runs it."""
    import numpy as np

    from .data import digits_like, mlp_parameters, two_moons
    from .mlp import autodiff_nn_step, autodiff_step
    from .w4_deep_chain import autodiff_forward, backward_step
    from .w5_op_overhead import autodiff_chain, constants
    from .w6_conv import autodiff_step as conv_step
    from .w6_conv import data, parameters

    x, y = two_moons(200, seed=0)
    params = mlp_parameters([2, 16, 16, 1], np.float64, seed=1)
    images, labels = digits_like(128, 784, 10, seed=0)
    medium = mlp_parameters([784, 256, 256, 10], np.float32, seed=1)
    return {
        "W1": (autodiff_step(params, x, y, "tanh", "mse", 0.1), 2000),
        "W2": (autodiff_step(medium, images, labels, "relu", "cross_entropy", 0.01), 300),
        "W1NN": (autodiff_nn_step(params, x, y, "tanh", "mse", 0.1), 2000),  # through nn and optim
        "W2NN": (autodiff_nn_step(medium, images, labels, "relu", "cross_entropy", 0.01), 300),
        "W4": (backward_step(autodiff_forward(100_000)), 3),
        "W5": (autodiff_chain(*constants(), 1000), 200),
        "W6": (conv_step(parameters(), *data()), 300),
    }


def cprofile(step: Callable[[], Any], repeats: int, top: int = 18) -> None:
    step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeats):
        step()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def loop(key: str, seconds: float) -> None:
    """Run one workload's step for ``seconds`` (the child process py-spy samples)."""
    step = steps()[key][0]
    step()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        step()


def sample(key: str, seconds: float = 8.0, rate: int = 400, top: int = 15) -> str:
    """Run ``loop`` under py-spy and summarise the samples taken inside the step."""
    if shutil.which("py-spy") is None:
        return "py-spy is not installed (pip install py-spy)"
    with tempfile.TemporaryDirectory() as directory:
        raw = os.path.join(directory, "samples.txt")
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        subprocess.run(["py-spy", "record", "-r", str(rate), "-f", "raw", "-o", raw, "--", sys.executable,
                        "-c", f"from benchmarks.profiling import loop; loop({key!r}, {seconds})"],
                       check=True, env=env, capture_output=True)
        with open(raw) as f:
            lines = f.read().splitlines()
    own, total, lines_hit, samples = Counter(), Counter(), Counter(), 0
    for line in lines:
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        inside = [i for i, fr in enumerate(frames) if fr.partition(" (")[0].rsplit(".", 1)[-1] == "step"]
        if not inside:
            continue  # imports and set-up
        n = int(count)
        samples += n
        frames = frames[inside[0]:]
        names = [_function(fr) for fr in frames]
        own[names[-1]] += n
        for name in set(names):
            total[name] += n
        lines_hit[_line(frames[-1])] += n
    report = [f"{key}: {samples} samples inside the step", f"  {'self':>6} {'total':>6}  function"]
    for name, n in own.most_common(top):
        report.append(f"  {100 * n / samples:5.1f}% {100 * total[name] / samples:5.1f}%  {name}")
    report.append("  hottest lines (self):")
    for name, n in lines_hit.most_common(8):
        report.append(f"  {100 * n / samples:5.1f}%  {name}")
    return "\n".join(report)


def _function(frame: str) -> str:  # "name (path/file.py:123)" -> "name (file.py)"
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0].rsplit('/', 1)[-1]})"


def _line(frame: str) -> str:
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rstrip(')').rsplit('/', 1)[-1]})"


def main(argv: list[str]) -> None:
    sampling = "--py-spy" in argv
    wanted = [a.upper() for a in argv if not a.startswith("--")] or ["W1", "W4", "W5"]
    if sampling:
        for key in wanted:
            print(sample(key), end="\n\n", flush=True)
        return
    for key, (step, repeats) in steps().items():
        if key in wanted:
            print(f"==================== {key}: {repeats} steps")
            cprofile(step, repeats)


if __name__ == "__main__":
    main(sys.argv[1:])
