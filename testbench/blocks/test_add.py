"""add: aligned elementwise add + requant vs fpga.fixed.requantize, with gaps."""
import sys

import cocotb
import numpy as np
import pytest

from harness import (ROOT, Sink, Source, block_params, bursty_pauses, compare, pack, pauses,
                     rand_ints,
                     run_block, start, unpack, wait_until)

sys.path.insert(0, str(ROOT))
from fpga.fixed import Fmt, requantize  # noqa: E402

ROUNDS = ("TRN", "RND", "RND_CONV")


@cocotb.test()
async def add_random(dut):
    p = block_params()
    await start(dut)
    rng = np.random.default_rng(9)
    n, c = 300, p["C"]
    a = rand_ints(rng, (n, c), p["A_W"], bool(p["A_SIGNED"]))
    b = rand_ints(rng, (n, c), p["B_W"], bool(p["B_SIGNED"]))
    acc = (a << p["SHIFT_A"]) + (b << p["SHIFT_B"])
    out = Fmt(p["OUT_W"], p["OUT_W"], bool(p["OUT_SIGNED"]), ROUNDS[p["ROUND"]],
              "SAT" if p["SAT"] else "WRAP")
    exp = requantize(acc, p["SHIFT"], out, relu=bool(p["RELU"]))
    sa = Source(dut, "a", pauses(0.3, 1))
    sb = Source(dut, "b", pauses(0.4, 2))
    sink = Sink(dut, "m", bursty_pauses(0.3, 3))
    sa.send(pack(r, p["A_W"]) for r in a)
    sb.send(pack(r, p["B_W"]) for r in b)
    await wait_until(dut, lambda: len(sink.beats) >= n, 30 * n)
    compare([unpack(w, c, p["OUT_W"], bool(p["OUT_SIGNED"])) for w in sink.beats], list(exp))


@cocotb.test()
async def add_full_rate(dut):
    """One beat per cycle with no gaps / backpressure."""
    p = block_params()
    await start(dut)
    n = 100
    sa, sb, sink = Source(dut, "a"), Source(dut, "b"), Sink(dut, "m")
    sa.send([0] * n)
    sb.send([0] * n)
    await wait_until(dut, lambda: len(sink.beats) >= n, 4 * n)
    assert sink.times[-1] - sink.times[0] == n - 1


CASES = {
    "same_frac_relu": dict(C=4, A_W=8, A_SIGNED=0, B_W=8, B_SIGNED=0, SHIFT_A=0, SHIFT_B=0,
                           OUT_W=8, OUT_SIGNED=0, SHIFT=1, ROUND=2, RELU=1, SAT=1),
    "aligned_signed": dict(C=3, A_W=6, A_SIGNED=1, B_W=8, B_SIGNED=1, SHIFT_A=2, SHIFT_B=0,
                           OUT_W=7, OUT_SIGNED=1, SHIFT=2, ROUND=1, RELU=0, SAT=1),
    "left_wrap": dict(C=2, A_W=5, A_SIGNED=1, B_W=4, B_SIGNED=0, SHIFT_A=0, SHIFT_B=1,
                      OUT_W=6, OUT_SIGNED=1, SHIFT=-1, ROUND=0, RELU=0, SAT=0),
}


@pytest.mark.parametrize("case", list(CASES))
def test_add(case):
    run_block("add", "test_add", CASES[case], name=f"add_{case}")
