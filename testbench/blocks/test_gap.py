"""gap: exact global average (trunc toward zero of (sum << EXTRA) / (H*W)), frames back to
back with gaps/backpressure."""
import sys

import cocotb
import numpy as np
import pytest

from harness import (ROOT, Sink, Source, block_params, compare, pack, pauses, rand_ints,
                     run_block, start, unpack, wait_until)

sys.path.insert(0, str(ROOT))
from fpga.fixed import Fmt, saturate  # noqa: E402


def gap_model(frame, p):
    total = frame.reshape(-1, p["C"]).sum(axis=0) << p["EXTRA"]
    n = p["H"] * p["W"]
    q = np.sign(total) * (np.abs(total) // n)  # toward zero
    out = Fmt(p["OUT_W"], p["OUT_W"], bool(p["OUT_SIGNED"]), "TRN", "SAT" if p["SAT"] else "WRAP")
    return saturate(q, out)


@cocotb.test()
async def gap_random(dut):
    p = block_params()
    await start(dut)
    rng = np.random.default_rng(2)
    signed = bool(p["IN_SIGNED"])
    frames = [rand_ints(rng, (p["H"], p["W"], p["C"]), p["IN_W"], signed) for _ in range(5)]
    frames.append(np.full_like(frames[0], (1 << (p["IN_W"] - 1)) - 1))  # extreme sums
    frames.append(np.full_like(frames[0], -(1 << (p["IN_W"] - 1)) if signed else 0))
    exp = [gap_model(f, p) for f in frames]
    src = Source(dut, "s", pauses(p["gaps"], 1))
    sink = Sink(dut, "m", pauses(0.5, 2))
    src.send(pack(px, p["IN_W"]) for f in frames for px in f.reshape(-1, p["C"]))
    await wait_until(dut, lambda: len(sink.beats) >= len(exp), 200 * len(frames) * p["H"] * p["W"])
    compare([unpack(w, p["C"], p["OUT_W"], bool(p["OUT_SIGNED"])) for w in sink.beats], exp)


CASES = {
    # 13x13 average of unsigned 8-bit, 3 extra fraction bits (SqueezeNet head style)
    "13x13_extra3": dict(H=13, W=13, C=4, IN_W=8, IN_SIGNED=0, EXTRA=3, OUT_W=12, OUT_SIGNED=0,
                         SAT=1, gaps=0.0),
    # signed, odd tiny map, narrow saturating output, with input gaps
    "3x5_signed_sat": dict(H=3, W=5, C=3, IN_W=6, IN_SIGNED=1, EXTRA=2, OUT_W=6, OUT_SIGNED=1,
                           SAT=1, gaps=0.3),
    # 1 pixel frames back to back (division by 1), wrap
    "1x1_wrap": dict(H=1, W=1, C=2, IN_W=5, IN_SIGNED=1, EXTRA=1, OUT_W=5, OUT_SIGNED=1,
                     SAT=0, gaps=0.2),
}


@pytest.mark.parametrize("case", list(CASES))
def test_gap(case):
    p = dict(CASES[case])
    hdl = {k: v for k, v in p.items() if k != "gaps"}
    run_block("gap", "test_gap", hdl, model_params=p, name=f"gap_{case}")
