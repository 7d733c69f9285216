"""How long to measure: the full run (for the README table) or --quick (the CI smoke test)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    quick: bool = False
    rounds: int = 15          # interleaved samples per candidate
    min_sample: float = 0.05  # seconds each sample lasts at least (calls are repeated to fill it)
    peers: bool = True        # run PyTorch / JAX / HIPS autograd when installed

    @classmethod
    def make(cls, quick: bool, peers: bool = True, rounds: int | None = None) -> Config:
        if quick:
            return cls(quick=True, rounds=rounds or 3, min_sample=0.002, peers=peers)
        return cls(quick=False, rounds=rounds or 15, peers=peers)


NUMPY = "numpy reference"
OURS = "autodiff"
OURS_NN = "autodiff nn+optim"
OURS_JIT = "autodiff jit"
TORCH = "torch eager"
TORCH_NN = "torch nn+optim"
JAX_EAGER = "jax eager"
JAX_JIT = "jax jit"
HIPS = "HIPS autograd"
