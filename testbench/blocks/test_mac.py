"""mac: folded conv compute with bias + requant vs numpy (fpga.fixed.requantize), random
gaps/backpressure, and exact NF*SF cycles per window at full rate with the output FIFO that
fpga.rtl.blocks.mac_out_fifo sizes (first result after fpga.rtl.blocks.mac_latency)."""
import sys
import zlib

import cocotb
import numpy as np
import pytest

from harness import (BUILD_DIR, ROOT, Sink, Source, block_params, compare, pack, param_tag,
                     pauses, rand_ints, run_block, start, unpack, wait_until)

sys.path.insert(0, str(ROOT))
from fpga.fixed import Fmt, requantize  # noqa: E402
from fpga.rtl.blocks import mac_latency, mac_out_fifo  # noqa: E402
from fpga.rtl.memfiles import write_mac_mems  # noqa: E402

ROUNDS = ("TRN", "RND", "RND_CONV")


def model(p, windows):
    """Exact reference: windows (N, K) -> (N, COUT)."""
    with np.load(p["npz"]) as z:
        w2, b = z["w"].reshape(p["K"], p["COUT"]), z["b"]
    acc = windows @ w2 + (b << p["BIAS_SHIFT"])
    out = Fmt(p["OUT_W"], p["OUT_W"], bool(p["OUT_SIGNED"]), ROUNDS[p["ROUND"]],
              "SAT" if p["SAT"] else "WRAP")  # out_frac = 0, so acc_frac = SHIFT
    return requantize(acc, p["SHIFT"], out, relu=bool(p["RELU"]))


async def run_windows(dut, p, n, src_pause, sink_pause, seed):
    rng = np.random.default_rng(seed)
    x = rand_ints(rng, (n, p["K"]), p["IN_W"], bool(p["IN_SIGNED"]))
    exp = model(p, x)
    src = Source(dut, "s", src_pause)
    sink = Sink(dut, "m", sink_pause)
    src.send(pack(row, p["IN_W"]) for row in x)
    steps = (p["K"] // p["SIMD"]) * (p["COUT"] // p["PE"])
    await wait_until(dut, lambda: len(sink.beats) >= n, (steps + 8) * n * 4 + 200, "outputs")
    got = [unpack(b, p["COUT"], p["OUT_W"], bool(p["OUT_SIGNED"])) for b in sink.beats]
    compare(got, list(exp), "output")
    return sink, steps


@cocotb.test()
async def mac_random_gaps(dut):
    p = block_params()
    await start(dut)
    await run_windows(dut, p, p["n"], pauses(0.3, 5), pauses(0.4, 6), seed=7)


@cocotb.test()
async def mac_full_rate(dut):
    """Source always valid, sink always ready: one window every NF*SF cycles exactly."""
    p = block_params()
    await start(dut)
    sink, steps = await run_windows(dut, p, p["n"], None, None, seed=8)
    gaps = set(np.diff(sink.times).tolist())
    lat = mac_latency(p["K"], p["COUT"], p["PE"], p["SIMD"])
    dut._log.info("steps %d, output gaps %s, first output at %d, mac_latency %d", steps, gaps,
                  sink.times[0], lat)
    assert gaps == {steps}, f"output spacing {gaps}, expected {steps}"
    # the Source offers the first window in the cycle the Sink counts as 2
    assert sink.times[0] == 2 + lat, f"first output at cycle {sink.times[0]}, latency {lat}"


CASES = {
    # 3x3x1 window, PE 2, SIMD 3, unsigned in, RND_CONV, ReLU, bias shifted
    "k9_pe2_simd3": dict(K=9, COUT=4, IN_W=8, IN_SIGNED=0, W_W=6, B_W=8, BIAS_SHIFT=2, PE=2,
                         SIMD=3, OUT_W=8, OUT_SIGNED=0, SHIFT=5, ROUND=2, RELU=1, SAT=1, n=60),
    # fully parallel (1 cycle a window), signed in/out, RND half-up
    "k12_full": dict(K=12, COUT=6, IN_W=5, IN_SIGNED=1, W_W=4, B_W=6, BIAS_SHIFT=0, PE=6,
                     SIMD=12, OUT_W=7, OUT_SIGNED=1, SHIFT=2, ROUND=1, RELU=0, SAT=1, n=150),
    # fully folded (PE 1, SIMD 1), left shift (SHIFT < 0), wrap-around saturation mode
    "k27_fold": dict(K=27, COUT=3, IN_W=4, IN_SIGNED=0, W_W=3, B_W=4, BIAS_SHIFT=1, PE=1,
                     SIMD=1, OUT_W=6, OUT_SIGNED=1, SHIFT=-1, ROUND=0, RELU=0, SAT=0, n=12),
    # PE 3 of 6, SIMD 4 of 8, TRN, narrow saturating output
    "k8_pe3_simd4": dict(K=8, COUT=6, IN_W=6, IN_SIGNED=1, W_W=8, B_W=10, BIAS_SHIFT=3, PE=3,
                         SIMD=4, OUT_W=4, OUT_SIGNED=0, SHIFT=7, ROUND=0, RELU=1, SAT=1, n=60),
    # SIMD 36 (6-level adder tree), 2 chunks (1-level chunk mux), 4 groups
    "k72_simd36": dict(K=72, COUT=8, IN_W=8, IN_SIGNED=0, W_W=8, B_W=8, BIAS_SHIFT=4, PE=2,
                       SIMD=36, OUT_W=8, OUT_SIGNED=0, SHIFT=8, ROUND=2, RELU=1, SAT=1, n=40),
    # SIMD 72 (7 levels, odd counts on the way), signed in/out, 2 steps a window
    "k144_simd72": dict(K=144, COUT=4, IN_W=8, IN_SIGNED=1, W_W=8, B_W=8, BIAS_SHIFT=2, PE=4,
                        SIMD=72, OUT_W=8, OUT_SIGNED=1, SHIFT=9, ROUND=1, RELU=0, SAT=1, n=60),
    # 64 chunks: a 3-level chunk mux_pipe, so the weights wait a cycle for the chunk
    "k576_sf64": dict(K=576, COUT=2, IN_W=4, IN_SIGNED=0, W_W=4, B_W=8, BIAS_SHIFT=0, PE=2,
                      SIMD=9, OUT_W=8, OUT_SIGNED=0, SHIFT=6, ROUND=0, RELU=1, SAT=1, n=12),
    # one step a window (PE 1, SIMD 1, K 1, COUT 1): s_tready is the registered credit flag
    "k1_single": dict(K=1, COUT=1, IN_W=8, IN_SIGNED=1, W_W=8, B_W=8, BIAS_SHIFT=0, PE=1,
                      SIMD=1, OUT_W=8, OUT_SIGNED=1, SHIFT=2, ROUND=1, RELU=0, SAT=1, n=200),
}


@pytest.mark.parametrize("case", list(CASES))
def test_mac(case):
    p = dict(CASES[case])
    n = p.pop("n")
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    w = rand_ints(rng, (1, 1, p["K"], p["COUT"]), p["W_W"], True)
    b = rand_ints(rng, (p["COUT"],), p["B_W"], True)
    mem_dir = BUILD_DIR / "mem" / f"mac_{case}_{param_tag(p)}"
    prefix = write_mac_mems(w, b, p["PE"], p["SIMD"], p["W_W"], p["B_W"], mem_dir, "conv")
    np.savez(mem_dir / "wb.npz", w=w, b=b)
    hdl = dict(p, MEM_PREFIX=prefix,
               OUT_FIFO=mac_out_fifo(p["K"], p["COUT"], p["PE"], p["SIMD"]))
    run_block("mac", "test_mac", hdl, model_params=dict(p, n=n, npz=str(mem_dir / "wb.npz")),
              name=f"mac_{case}")
