"""Per-layer ReuseFactor for hls4ml's Resource strategy.

A streaming conv layer spends about Hout*Wout*RF cycles a frame and instantiates
Kh*Kw*Cin*Cout/RF multipliers. We pick the smallest frame time T such that every layer, at the
largest valid RF with Hout*Wout*RF <= T, fits the multiplier budget in total — a balanced
pipeline. RF is at least 2 so that hls4ml maps every weight array to a block-RAM ROM
(its Resource kernel only emits the ROM pragma for RF > 1).
"""
from __future__ import annotations


def valid_reuse_factors(n_in: int, n_out: int) -> list:
    """The RFs hls4ml's Resource dense kernel accepts (same rule as FPGABackend)."""
    from hls4ml.backends import get_backend
    check = get_backend("Vitis")._validate_reuse_factor
    total = n_in * n_out
    divisors = sorted({d for i in range(1, int(total ** 0.5) + 1) if total % i == 0
                       for d in (i, total // i)})
    return [rf for rf in divisors if check(n_in, n_out, rf)]


def choose(conv_layers: dict, mult_budget: int) -> dict:
    """conv_layers: {name: (n_in, n_out, positions)} -> {name: rf}."""
    valid = {n: [rf for rf in valid_reuse_factors(i, o) if rf > 1] or [1]
             for n, (i, o, _) in conv_layers.items()}

    def pick(t):
        out = {}
        for n, (i, o, pos) in conv_layers.items():
            fitting = [rf for rf in valid[n] if pos * rf <= t]
            out[n] = fitting[-1] if fitting else valid[n][0]
        return out

    candidates = sorted({pos * rf for n, (_, _, pos) in conv_layers.items() for rf in valid[n]})
    best = pick(candidates[-1]) if candidates else {}
    lo, hi = 0, len(candidates) - 1
    while lo <= hi:  # mults(T) shrinks as T grows: binary search the smallest T within budget
        mid = (lo + hi) // 2
        rfs = pick(candidates[mid])
        mults = sum(i * o // rfs[n] for n, (i, o, _) in conv_layers.items())
        if mults <= mult_budget:
            best, hi = rfs, mid - 1
        else:
            lo = mid + 1
    return best
