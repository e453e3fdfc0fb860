"""axis_in / axis_out adapters against fpga/beats.py (packing, tlast, sign extension)."""
import sys

import cocotb
import numpy as np
import pytest

from harness import (ROOT, Sink, Source, block_params, compare, pack, pauses, rand_ints,
                     run_block, start, unpack, wait_until)

sys.path.insert(0, str(ROOT))
from fpga.beats import in_tdata_bits, pack_pixels, score_beat, unpack_scores  # noqa: E402


@cocotb.test()
async def axis_in_frames(dut):
    p = block_params()
    await start(dut)
    rng = np.random.default_rng(1)
    h, w, c, dw = p["H"], p["W"], p["C"], p["DATA_W"]
    frames = [rand_ints(rng, (h, w, c), dw, True) for _ in range(3)]
    src = Source(dut, "s_axis", pauses(0.3, 1))
    sink = Sink(dut, "m", pauses(0.3, 2))
    for f in frames:
        beats = pack_pixels(f, dw)
        src.send(beats, last=[i == len(beats) - 1 for i in range(len(beats))])
    n = 3 * h * w
    await wait_until(dut, lambda: len(sink.beats) >= n, 20 * n)
    exp = [unpack(pack(px, dw), c, dw, True) for f in frames for px in f.reshape(-1, c)]
    compare([unpack(b, c, dw, True) for b in sink.beats], exp, "pixel")
    assert int(dut.tlast_err.value) == 0
    # a frame one beat short: tlast in the wrong place must raise tlast_err
    beats = pack_pixels(frames[0], dw)[:-1]
    src.send(beats, last=[i == len(beats) - 1 for i in range(len(beats))])
    await wait_until(dut, lambda: int(dut.tlast_err.value) == 1, 20 * n, "tlast_err")


@cocotb.test()
async def axis_out_scores(dut):
    p = block_params()
    await start(dut)
    rng = np.random.default_rng(2)
    k, ow, signed = p["NCLASS"], p["OUT_W"], bool(p["OUT_SIGNED"])
    frames = rand_ints(rng, (6, k), ow, signed)
    src = Source(dut, "s", pauses(0.5, 1))
    sink = Sink(dut, "m_axis", pauses(0.3, 2))
    src.send(pack(f, ow) for f in frames)
    await wait_until(dut, lambda: len(sink.beats) >= 6 * k, 50 * 6 * k)
    assert sink.beats == [score_beat(v) for v in frames.reshape(-1)]
    assert sink.lasts == [int(i % k == k - 1) for i in range(6 * k)]
    got = unpack_scores(sink.beats, ow, signed).reshape(6, k)
    compare(list(got), list(frames), "frame")
    # full rate: NCLASS beats per frame, no bubble between frames
    sink.pause = None
    src.pause = None
    t0 = len(sink.beats)
    src.send(pack(f, ow) for f in frames)
    await wait_until(dut, lambda: len(sink.beats) >= t0 + 6 * k, 20 * 6 * k)
    assert sink.times[-1] - sink.times[t0] == 6 * k - 1


@pytest.mark.parametrize("h,w,c,dw", [(4, 5, 3, 8), (3, 3, 5, 7)])
def test_axis_in(h, w, c, dw):
    run_block("axis_in", "test_axis",
              {"C": c, "DATA_W": dw, "TDATA_W": in_tdata_bits(c, dw), "PIXELS": h * w},
              model_params={"H": h, "W": w, "C": c, "DATA_W": dw},
              name=f"axis_in_{h}x{w}x{c}x{dw}", testcase="axis_in_frames")


@pytest.mark.parametrize("nclass,ow,signed", [(10, 8, 1), (3, 16, 0), (1, 32, 1)])
def test_axis_out(nclass, ow, signed):
    run_block("axis_out", "test_axis", {"NCLASS": nclass, "OUT_W": ow, "OUT_SIGNED": signed},
              name=f"axis_out_{nclass}_{ow}_{signed}", testcase="axis_out_scores")
