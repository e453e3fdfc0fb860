"""window: im2col windows vs numpy (padding, stride, odd sizes), random gaps/backpressure,
back-to-back frames, and read-side throughput."""
import cocotb
import numpy as np
import pytest

from harness import (Sink, Source, block_params, bursty_pauses, compare, pack, pauses,
                     rand_ints, run_block, start, unpack, wait_until, windows_ref)


def frames_and_expected(p, nframes, seed):
    rng = np.random.default_rng(seed)
    frames = [rand_ints(rng, (p["H"], p["W"], p["C"]), p["DATA_W"], False) for _ in range(nframes)]
    exp = []
    for f in frames:
        win = windows_ref(f, (p["KH"], p["KW"]), (p["SH"], p["SW"]),
                          (p["PT"], p["PB"], p["PL"], p["PR"]))
        exp.extend(win.reshape(-1, win.shape[-1]))
    beats = [pack(px, p["DATA_W"]) for f in frames for px in f.reshape(-1, p["C"])]
    return beats, exp


async def run_frames(dut, p, nframes, src_pause, sink_pause, seed):
    beats, exp = frames_and_expected(p, nframes, seed)
    src = Source(dut, "s", src_pause)
    sink = Sink(dut, "m", sink_pause)
    src.send(beats)
    await wait_until(dut, lambda: len(sink.beats) >= len(exp), 50 * len(beats) + 2000, "windows")
    n = p["KH"] * p["KW"] * p["C"]
    compare([unpack(b, n, p["DATA_W"], False) for b in sink.beats], exp, "window")
    return sink


@cocotb.test()
async def window_random_gaps(dut):
    p = block_params()
    await start(dut)
    await run_frames(dut, p, 3, pauses(0.3, 11), pauses(0.3, 12), seed=1)


@cocotb.test()
async def window_bursty_backpressure(dut):
    p = block_params()
    await start(dut)
    await run_frames(dut, p, 2, bursty_pauses(0.2, 21), bursty_pauses(0.5, 22), seed=2)


@cocotb.test()
async def window_throughput(dut):
    """No gaps: one frame takes max(H*W input beats, HOUT*(JN-PL) read cycles) + a few."""
    p = block_params()
    await start(dut)
    nframes = 4
    sink = await run_frames(dut, p, nframes, None, None, seed=3)
    hout = (p["H"] + p["PT"] + p["PB"] - p["KH"]) // p["SH"] + 1
    wout = (p["W"] + p["PL"] + p["PR"] - p["KW"]) // p["SW"] + 1
    jn = (wout - 1) * p["SW"] + p["KW"]
    bound = max(p["H"] * p["W"], hout * (jn - p["PL"])) + 4
    per = hout * wout
    starts = [sink.times[i * per] for i in range(nframes)]
    periods = [b - a for a, b in zip(starts, starts[1:])]
    dut._log.info("frame periods %s cycles (bound %d, %d windows)", periods, bound, per)
    assert max(periods[1:]) <= bound, f"frame period {periods} > {bound}"


SHAPES = [
    # H, W, C, DATA_W, KH, KW, SH, SW, PT, PB, PL, PR
    (5, 7, 2, 6, 3, 3, 1, 1, 1, 1, 1, 1),    # 'same' 3x3, odd sizes
    (9, 8, 3, 4, 3, 3, 2, 2, 0, 0, 0, 0),    # valid 3x3 stride 2
    (8, 8, 2, 5, 3, 3, 2, 2, 0, 1, 0, 1),    # TF 'same' stride 2 (pad bottom/right)
    (6, 5, 1, 8, 3, 2, 2, 1, 1, 0, 0, 1),    # rectangular kernel, mixed stride, asymmetric pad
    (5, 5, 2, 3, 1, 1, 2, 2, 0, 0, 0, 0),    # 1x1 stride 2
]
KEYS = ("H", "W", "C", "DATA_W", "KH", "KW", "SH", "SW", "PT", "PB", "PL", "PR")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_window(shape):
    run_block("window", "test_window", dict(zip(KEYS, shape)))
