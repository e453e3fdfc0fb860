"""fork -> (1x1 mac + skew fifo | window + 3x3 mac) -> concat: the blocks composed as in a
Fire module, bit-exact vs numpy under gaps/backpressure, no deadlock with the README FIFO
sizing rule, and II = the slower branch's cycle model."""
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


def fire_model(p, frame):
    out = Fmt(p["OUT_W"], p["OUT_W"], False, "RND_CONV", "SAT")
    res = []
    for name, pad, k in (("a", 0, 1), ("b", 1, 3)):
        with np.load(p[f"npz_{name}"]) as z:
            w, b = z["w"], z["b"]
        win = windows_ref(frame, (k, k), (1, 1), (pad,) * 4).reshape(-1, k * k * p["CIN"])
        acc = win @ w.reshape(k * k * p["CIN"], -1) + b
        res.append(requantize(acc, p["SHIFT"], out, relu=True))
    return list(np.concatenate(res, axis=1))


async def run_fire(dut, p, nframes, src_pause, sink_pause, seed):
    rng = np.random.default_rng(seed)
    frames = [rand_ints(rng, (p["H"], p["W"], p["CIN"]), p["IN_W"], False) for _ in range(nframes)]
    exp = [row for f in frames for row in fire_model(p, f)]
    src, sink = Source(dut, "s", src_pause), Sink(dut, "m", sink_pause)
    src.send(pack(px, p["IN_W"]) for f in frames for px in f.reshape(-1, p["CIN"]))
    await wait_until(dut, lambda: len(sink.beats) >= len(exp), 6 * nframes * p["model"] + 3000,
                     "fire outputs (deadlock?)")
    n = p["E1"] + p["E3"]
    compare([unpack(b, n, p["OUT_W"], False) for b in sink.beats], exp, "output pixel")
    return sink


@cocotb.test()
async def fire_random(dut):
    p = block_params()
    await start(dut)
    await run_fire(dut, p, 2, pauses(0.3, 1), pauses(0.4, 2), seed=5)


@cocotb.test()
async def fire_ii(dut):
    p = block_params()
    await start(dut)
    sink = await run_fire(dut, p, 3, None, None, seed=6)
    per = p["H"] * p["W"]
    ii = max(sink.times[(i + 1) * per] - sink.times[i * per] for i in range(2))
    dut._log.info("II %d cycles, model %d", ii, p["model"])
    assert ii <= 1.10 * p["model"]


CASES = {
    # 3x3 branch slower (the usual case): 1x1 branch runs ahead, skew FIFO fills
    "slow3x3": dict(H=5, W=6, CIN=3, IN_W=8, E1=4, PE1=2, SIMD1=3, E3=4, PE3=2, SIMD3=9,
                    W_W=6, B_W=8, OUT_W=8, SHIFT=6),
    # 1x1 branch slower
    "slow1x1": dict(H=4, W=7, CIN=4, IN_W=8, E1=6, PE1=1, SIMD1=2, E3=2, PE3=2, SIMD3=36,
                    W_W=5, B_W=8, OUT_W=8, SHIFT=5),
}


@pytest.mark.parametrize("case", list(CASES))
def test_fire(case):
    p = dict(CASES[case], DEPTH=2 * CASES[case]["W"] + 32)  # (KH-PT)*W + 32
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    mem = BUILD_DIR / "mem" / f"fire_{case}_{param_tag(p)}"
    hdl, model = dict(p), dict(p)
    for name, k, e, pe, simd in (("a", 1, p["E1"], p["PE1"], p["SIMD1"]),
                                 ("b", 3, p["E3"], p["PE3"], p["SIMD3"])):
        w = rand_ints(rng, (k, k, p["CIN"], e), p["W_W"], True)
        b = rand_ints(rng, (e,), p["B_W"], True)
        hdl[f"MEM_{name.upper()}"] = write_mac_mems(w, b, pe, simd, p["W_W"], p["B_W"], mem, name)
        np.savez(mem / f"{name}.npz", w=w, b=b)
        model[f"npz_{name}"] = str(mem / f"{name}.npz")
    hw = p["H"] * p["W"]
    model["model"] = max(hw * (p["CIN"] // p["SIMD1"]) * (p["E1"] // p["PE1"]),
                         hw * (9 * p["CIN"] // p["SIMD3"]) * (p["E3"] // p["PE3"]), hw)
    run_block("fire_tb", "test_fire", hdl, model_params=model,
              sources=[HDL_DIR / "fire_tb.v",
                       *rtl_sources("stream_fork", "mac", "window", "fifo", "concat")],
              name=f"fire_{case}")
