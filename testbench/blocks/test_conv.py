"""window -> mac as one conv layer: bit-exact vs numpy (fpga.fixed) over back-to-back frames
with gaps/backpressure, and the measured frame period (II) vs the analytic cycle model
Hout*Wout*(K/SIMD)*(COUT/PE) (bounded below by the H*W input beats)."""
import sys
import zlib

import cocotb
import numpy as np
import pytest

from harness import (BUILD_DIR, HDL_DIR, ROOT, Sink, Source, block_params, compare, pack,
                     param_tag, pauses, rand_ints, rtl_sources, run_block, start, unpack,
                     wait_until, windows_ref)

sys.path.insert(0, str(ROOT))
from fpga.fixed import Fmt, requantize  # noqa: E402
from fpga.rtl.memfiles import write_mac_mems  # noqa: E402

ROUNDS = ("TRN", "RND", "RND_CONV")


def conv_model(p, frame):
    with np.load(p["npz"]) as z:
        w, b = z["w"], z["b"]
    win = windows_ref(frame, (p["KH"], p["KW"]), (p["SH"], p["SW"]),
                      (p["PT"], p["PB"], p["PL"], p["PR"]))
    acc = win.reshape(-1, win.shape[-1]) @ w.reshape(-1, p["COUT"]) + (b << p["BIAS_SHIFT"])
    out = Fmt(p["OUT_W"], p["OUT_W"], bool(p["OUT_SIGNED"]), ROUNDS[p["ROUND"]],
              "SAT" if p["SAT"] else "WRAP")
    return list(requantize(acc, p["SHIFT"], out, relu=bool(p["RELU"])))


async def run_conv(dut, p, nframes, src_pause, sink_pause, seed):
    rng = np.random.default_rng(seed)
    frames = [rand_ints(rng, (p["H"], p["W"], p["CIN"]), p["IN_W"], bool(p["IN_SIGNED"]))
              for _ in range(nframes)]
    exp = [row for f in frames for row in conv_model(p, f)]
    src = Source(dut, "s", src_pause)
    sink = Sink(dut, "m", sink_pause)
    src.send(pack(px, p["IN_W"]) for f in frames for px in f.reshape(-1, p["CIN"]))
    budget = 4 * nframes * (p["model"] + p["H"] * p["W"]) + 2000
    await wait_until(dut, lambda: len(sink.beats) >= len(exp), budget, "conv outputs")
    got = [unpack(b, p["COUT"], p["OUT_W"], bool(p["OUT_SIGNED"])) for b in sink.beats]
    compare(got, exp, "output pixel")
    return sink


@cocotb.test()
async def conv_random(dut):
    p = block_params()
    await start(dut)
    await run_conv(dut, p, 2, pauses(0.3, 1), pauses(0.3, 2), seed=3)


@cocotb.test()
async def conv_ii(dut):
    p = block_params()
    await start(dut)
    nframes = 3
    sink = await run_conv(dut, p, nframes, None, None, seed=4)
    per = len(sink.beats) // nframes
    starts = [sink.times[i * per] for i in range(nframes)]
    ii = max(b - a for a, b in zip(starts, starts[1:]))
    bound = max(p["model"], p["H"] * p["W"])
    dut._log.info("II %d cycles, model %d, input beats %d -> ratio %.3f",
                  ii, p["model"], p["H"] * p["W"], ii / bound)
    assert ii <= 1.10 * bound, f"II {ii} more than 10% above {bound}"


CASES = {
    # 3x3 'same', PE 2 x SIMD 4 (36 cycles/window)
    "same3x3_pe2_simd4": dict(H=6, W=7, CIN=4, IN_W=8, IN_SIGNED=0, KH=3, KW=3, SH=1, SW=1,
                              PT=1, PB=1, PL=1, PR=1, COUT=8, W_W=6, B_W=8, BIAS_SHIFT=2,
                              PE=2, SIMD=4, OUT_W=8, OUT_SIGNED=0, SHIFT=6, ROUND=2, RELU=1,
                              SAT=1),
    # 3x3 stride 2 valid (conv1 style), fully parallel: input-rate bound
    "s2_valid_full": dict(H=9, W=9, CIN=3, IN_W=8, IN_SIGNED=1, KH=3, KW=3, SH=2, SW=2,
                          PT=0, PB=0, PL=0, PR=0, COUT=4, W_W=5, B_W=6, BIAS_SHIFT=0, PE=4,
                          SIMD=27, OUT_W=6, OUT_SIGNED=1, SHIFT=4, ROUND=1, RELU=0, SAT=1),
    # 3x3 'same', 2 cycles/window: window generator must keep up
    "same3x3_2cyc": dict(H=7, W=7, CIN=2, IN_W=6, IN_SIGNED=0, KH=3, KW=3, SH=1, SW=1,
                         PT=1, PB=1, PL=1, PR=1, COUT=4, W_W=4, B_W=6, BIAS_SHIFT=1, PE=2,
                         SIMD=18, OUT_W=8, OUT_SIGNED=0, SHIFT=3, ROUND=0, RELU=1, SAT=1),
}


@pytest.mark.parametrize("case", list(CASES))
def test_conv(case):
    p = dict(CASES[case])
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    w = rand_ints(rng, (p["KH"], p["KW"], p["CIN"], p["COUT"]), p["W_W"], True)
    b = rand_ints(rng, (p["COUT"],), p["B_W"], True)
    mem_dir = BUILD_DIR / "mem" / f"conv_{case}_{param_tag(p)}"
    prefix = write_mac_mems(w, b, p["PE"], p["SIMD"], p["W_W"], p["B_W"], mem_dir, "conv")
    np.savez(mem_dir / "wb.npz", w=w, b=b)
    hout = (p["H"] + p["PT"] + p["PB"] - p["KH"]) // p["SH"] + 1
    wout = (p["W"] + p["PL"] + p["PR"] - p["KW"]) // p["SW"] + 1
    k = p["KH"] * p["KW"] * p["CIN"]
    model = hout * wout * (k // p["SIMD"]) * (p["COUT"] // p["PE"])
    run_block("conv_tb", "test_conv", dict(p, MEM_PREFIX=prefix),
              model_params=dict(p, npz=str(mem_dir / "wb.npz"), model=model),
              sources=[HDL_DIR / "conv_tb.v", *rtl_sources("window", "mac")],
              name=f"conv_{case}")
