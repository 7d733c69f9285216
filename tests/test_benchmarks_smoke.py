"""Smoke test of the benchmark harness: ``python -m benchmarks --quick`` runs and writes its JSON.

No timing is asserted (the machine is shared); the test checks the harness runs every workload end
to end, that each workload reports either figures or a skip note, and that the answers the workloads
check against their references (gradients, Hessians) raised no disagreement note.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_quick_run_writes_json_for_every_workload(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--no-peers", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    document = json.loads(out.read_text())
    assert [w["key"] for w in document["workloads"]] == [f"W{i}" for i in range(1, 9)]
    assert document["threads"]["OMP_NUM_THREADS"] == "1"
    for workload in document["workloads"]:
        assert workload["figures"] or workload["notes"], workload["key"]
        assert not [n for n in workload["notes"] if "differs" in n], workload["notes"]
        for figure in workload["figures"]:
            assert figure["median"] >= 0 and figure["p25"] <= figure["p75"], figure
    assert "Targets" in completed.stdout
    tables = subprocess.run([sys.executable, "-m", "benchmarks.markdown", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert tables.returncode == 0, tables.stderr[-3000:]
    assert "| W1 tiny MLP step |" in tables.stdout and "| W4 deep chain per op" in tables.stdout
    diff = subprocess.run([sys.executable, "-m", "benchmarks.compare", str(out), str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert diff.returncode == 0 and "W1 autodiff" in diff.stdout, diff.stderr[-3000:]
    pytest.importorskip("matplotlib")
    pictures = subprocess.run([sys.executable, "-m", "benchmarks.plots", str(out), "--out", str(tmp_path)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert pictures.returncode == 0, pictures.stderr[-3000:]
    assert (tmp_path / "perf_w4_scaling.png").stat().st_size > 0
    assert (tmp_path / "perf_ratios.png").stat().st_size > 0


def test_only_rejects_unknown_workloads() -> None:
    completed = subprocess.run([sys.executable, "-m", "benchmarks", "--only", "W9"], cwd=ROOT,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode != 0 and "unknown workload" in completed.stderr


def test_peers_run_when_installed(tmp_path: Path) -> None:
    """With the bench extra installed, the peer code paths run (and agree with the references)."""
    pytest.importorskip("torch")
    out = tmp_path / "bench.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "W1,W3", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    for workload in json.loads(out.read_text())["workloads"]:
        names = [f["name"] for f in workload["figures"]]
        assert any(name.startswith("torch eager") for name in names), (workload["key"], names)
        assert not [n for n in workload["notes"] if "differs" in n], workload["notes"]
