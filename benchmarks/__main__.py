"""``python -m benchmarks [--quick] [--only W1,W3] [--json FILE] [--threads N] [--no-peers]``."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
import time

from .threads import fix_environment  # imports no numpy: the thread counts must be set first

WORKLOADS = {
    "W1": "w1_tiny_mlp", "W2": "w2_medium_mlp", "W3": "w3_hessian", "W4": "w4_deep_chain",
    "W5": "w5_op_overhead", "W6": "w6_conv", "W7": "w7_newton", "W8": "w8_explain",
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes and few samples (smoke test)")
    parser.add_argument("--only", default="", help="comma-separated workloads, e.g. W1,W3 (default: all)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for every library: BLAS/OpenMP, XLA, torch (default 1)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="cpu",
                        help="cpu (default): this process's CPU time, steady on a busy shared machine; "
                             "wall: elapsed time")
    parser.add_argument("--rounds", type=int, help="interleaved samples per candidate (default 15, quick 3)")
    parser.add_argument("--no-peers", action="store_true", help="skip PyTorch, JAX and HIPS autograd")
    args = parser.parse_args(argv)
    keys = [k.strip().upper() for k in args.only.split(",") if k.strip()] or list(WORKLOADS)
    unknown = [k for k in keys if k not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; expected some of {', '.join(WORKLOADS)}")
    args.keys = keys
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    warnings = fix_environment(args.threads)

    from . import peers
    from .config import Config
    from .report import format_table, machine, summary_table, to_json, write_json
    from .threads import limit_loaded_libraries
    from .timing import use_clock

    use_clock(args.clock)
    config = Config.make(args.quick, peers=not args.no_peers, rounds=args.rounds)
    if config.peers:  # import the peers now so that their thread pools get the same limit
        peers.torch(), peers.jax(), peers.hips()
    threads = limit_loaded_libraries(args.threads)
    gc.collect()
    gc.freeze()  # the libraries' own objects: never rescanned (else each full collection takes ~0.5 s)
    versions = peers.versions(include_peers=config.peers)
    print(f"python -m benchmarks {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items() if v is not None)
          + f" (commit {_commit()})")
    print(f"clock: {args.clock}; threads: {args.threads} for every library "
          f"(env {threads['OMP_NUM_THREADS']}, "
          f"torch {threads.get('torch.get_num_threads', '-')}, "
          f"threadpoolctl {_pools(threads.get('threadpoolctl'))})")
    if args.clock == "cpu" and args.threads > 1:
        warnings.append("CPU time adds up the time of every thread: with --threads > 1 use --clock wall")
    for w in warnings:
        print("warning: " + w)
    print()
    results, started = [], time.time()
    for key in args.keys:
        module = importlib.import_module(f".{WORKLOADS[key]}", __package__)
        t0 = time.perf_counter()
        result = module.run(config)
        result.note(f"workload took {time.perf_counter() - t0:.1f} s")
        results.append(result)
        print(format_table(result), end="\n\n", flush=True)
    print(summary_table(results))
    print(f"\nall workloads took {time.time() - started:.0f} s")
    if args.json:
        meta = {"command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv),
                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
                "commit": _commit(), "quick": args.quick, "clock": args.clock, "machine": machine(),
                "versions": versions,
                "threads": threads, "config": vars(config)}
        write_json(args.json, to_json(results, meta))
        print(f"\nwrote {args.json}")
    return 0


def _commit() -> str | None:
    """The project's git commit, with "+changes" when the working tree differs from it."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+changes" if dirty else "")


def _pools(pools) -> str:
    if not isinstance(pools, list):
        return str(pools)
    return ", ".join(f"{p['library']}={p['num_threads']}" for p in pools) or "no pools"


if __name__ == "__main__":
    sys.exit(main())
