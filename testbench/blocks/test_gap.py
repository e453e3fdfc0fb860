"""gap: exact global average (trunc toward zero of (sum << EXTRA) / (H*W)), frames back to
back with gaps/backpressure, LANES channels per cycle (C/LANES cycles per pixel), and the
full-rate frame period."""
import sys

import cocotb
import numpy as np
import pytest

from harness import (ROOT, Sink, Source, block_params, compare, pack, pauses, rand_ints,
                     run_block, start, unpack, wait_until)

sys.path.insert(0, str(ROOT))
from fpga.fixed import Fmt, saturate  # noqa: E402
from fpga.rtl import blocks  # noqa: E402


def gap_model(frame, p):
    total = frame.reshape(-1, p["C"]).sum(axis=0) << p["EXTRA"]
    n = p["H"] * p["W"]
    q = np.sign(total) * (np.abs(total) // n)  # toward zero
    out = Fmt(p["OUT_W"], p["OUT_W"], bool(p["OUT_SIGNED"]), "TRN", "SAT" if p["SAT"] else "WRAP")
    return saturate(q, out)


def nch(p):
    return p["C"] // p.get("LANES", p["C"])


def stages(p):
    """Divider pipeline depth (gap.v: DS = IN_W + EXTRA + 1)."""
    return blocks.gap_divider_stages(p["IN_W"], p["EXTRA"])


def frames_for(p, rng, n):
    signed = bool(p["IN_SIGNED"])
    frames = [rand_ints(rng, (p["H"], p["W"], p["C"]), p["IN_W"], signed) for _ in range(n)]
    frames.append(np.full_like(frames[0], (1 << (p["IN_W"] - 1)) - 1))  # extreme sums
    frames.append(np.full_like(frames[0], -(1 << (p["IN_W"] - 1)) if signed else
                               (1 << p["IN_W"]) - 1))
    frames.append(np.zeros_like(frames[0]))
    return frames


@cocotb.test()
async def gap_random(dut):
    p = block_params()
    await start(dut)
    rng = np.random.default_rng(2)
    frames = frames_for(p, rng, 5)
    exp = [gap_model(f, p) for f in frames]
    src = Source(dut, "s", pauses(p["gaps"], 1))
    sink = Sink(dut, "m", pauses(p.get("bp", 0.5), 2))
    src.send(pack(px, p["IN_W"]) for f in frames for px in f.reshape(-1, p["C"]))
    per_frame = nch(p) * p["H"] * p["W"] + blocks.gap_latency(nch(p), stages(p)) + 10
    await wait_until(dut, lambda: len(sink.beats) >= len(exp), 20 * len(frames) * per_frame,
                     "gap outputs")
    compare([unpack(w, p["C"], p["OUT_W"], bool(p["OUT_SIGNED"])) for w in sink.beats], exp)


@cocotb.test()
async def gap_full_rate(dut):
    """No gaps, no backpressure: a frame every blocks.gap_frame_cycles = max(H*W*NCH, NCH +
    gap_latency) cycles (steady state)."""
    p = block_params()
    await start(dut)
    rng = np.random.default_rng(3)
    frames = [rand_ints(rng, (p["H"], p["W"], p["C"]), p["IN_W"], bool(p["IN_SIGNED"]))
              for _ in range(6)]
    exp = [gap_model(f, p) for f in frames]
    src = Source(dut, "s")
    sink = Sink(dut, "m")
    src.send(pack(px, p["IN_W"]) for f in frames for px in f.reshape(-1, p["C"]))
    n, k, ds = p["H"] * p["W"], nch(p), stages(p)
    await wait_until(dut, lambda: len(sink.beats) >= len(exp), 4 * len(frames) * (n * k + ds + 10),
                     "gap outputs")
    compare([unpack(w, p["C"], p["OUT_W"], bool(p["OUT_SIGNED"])) for w in sink.beats], exp)
    periods = set(np.diff(sink.times[1:]).tolist())  # steady state (frame 0 fills the pipe)
    lat = blocks.gap_latency(k, ds)
    expect = blocks.gap_frame_cycles(p["H"], p["W"], k, ds)
    dut._log.info("NCH %d, DS %d, frame periods %s (expected %d), first result at cycle %d",
                  k, ds, periods, expect, sink.times[0])
    assert max(periods) <= n * k + lat + 1, f"frame period {periods} > {n * k + lat + 1}"
    assert periods == {expect}, f"frame period {periods}, expected {expect}"


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
    # --- channel-serial (LANES < C)
    # one channel per cycle, signed, saturating to a narrow signed output (overflow flag)
    "3x3_c6_l1_sat": dict(H=3, W=3, C=6, LANES=1, IN_W=7, IN_SIGNED=1, EXTRA=4, OUT_W=8,
                          OUT_SIGNED=1, SAT=1, gaps=0.2),
    # 3 chunks per pixel, unsigned in, saturating unsigned output, input gaps
    "5x3_c6_l2": dict(H=5, W=3, C=6, LANES=2, IN_W=8, IN_SIGNED=0, EXTRA=2, OUT_W=9,
                      OUT_SIGNED=0, SAT=1, gaps=0.3),
    # 2 chunks, signed in -> unsigned saturated out (negatives clamp to 0), gaps + heavy bp
    "4x4_c4_l2_bp": dict(H=4, W=4, C=4, LANES=2, IN_W=6, IN_SIGNED=1, EXTRA=3, OUT_W=7,
                         OUT_SIGNED=0, SAT=1, gaps=0.4, bp=0.7),
    # 1x1 frames, one channel per cycle, wrap (next frame's last pixel waits for the result)
    "1x1_c3_l1_wrap": dict(H=1, W=1, C=3, LANES=1, IN_W=6, IN_SIGNED=1, EXTRA=2, OUT_W=5,
                           OUT_SIGNED=1, SAT=0, gaps=0.2),
    # default model's head (squeezenet_mini_digits): 2x2x10, unsigned 8-bit, EXTRA 8, 16-bit
    # unsigned wrap output, one channel per cycle
    "2x2_c10_l1_head": dict(H=2, W=2, C=10, LANES=1, IN_W=8, IN_SIGNED=0, EXTRA=8, OUT_W=16,
                            OUT_SIGNED=0, SAT=0, gaps=0.1),
    # 13x13, 5 chunks, wrap with a narrow output (quotient wider than OUT_W)
    "13x13_c10_l2_wrap": dict(H=13, W=13, C=10, LANES=2, IN_W=8, IN_SIGNED=0, EXTRA=8,
                              OUT_W=10, OUT_SIGNED=1, SAT=0, gaps=0.1),
}


@pytest.mark.parametrize("case", list(CASES))
def test_gap(case):
    p = dict(CASES[case])
    hdl = {k: v for k, v in p.items() if k not in ("gaps", "bp")}
    run_block("gap", "test_gap", hdl, model_params=p, name=f"gap_{case}")
