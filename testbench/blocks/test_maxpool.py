"""maxpool: per-channel max over (overlapping) pools vs numpy, gaps/backpressure, frames."""
import cocotb
import numpy as np
import pytest

from harness import (Sink, Source, block_params, compare, pack, pauses, rand_ints, run_block,
                     start, unpack, wait_until, windows_ref)


@cocotb.test()
async def maxpool_random(dut):
    p = block_params()
    await start(dut)
    rng = np.random.default_rng(4)
    signed = bool(p["IN_SIGNED"])
    frames = [rand_ints(rng, (p["H"], p["W"], p["C"]), p["DATA_W"], signed) for _ in range(3)]
    exp = []
    for f in frames:
        win = windows_ref(f, (p["PH"], p["PW"]), (p["SH"], p["SW"]), (0, 0, 0, 0))
        win = win.reshape(win.shape[0], win.shape[1], p["PH"] * p["PW"], p["C"])
        exp.extend(win.max(axis=2).reshape(-1, p["C"]))
    src = Source(dut, "s", pauses(0.25, 1))
    sink = Sink(dut, "m", pauses(0.35, 2))
    src.send(pack(px, p["DATA_W"]) for f in frames for px in f.reshape(-1, p["C"]))
    nch = p["C"] // p.get("LANES", p["C"])
    await wait_until(dut, lambda: len(sink.beats) >= len(exp),
                     40 * nch * p["H"] * p["W"] * 3 + 500)
    compare([unpack(b, p["C"], p["DATA_W"], signed) for b in sink.beats], exp, "pixel")


@cocotb.test()
async def maxpool_throughput(dut):
    """Without gaps or backpressure a pixel takes exactly C/LANES cycles (steady state)."""
    p = block_params()
    await start(dut)
    rng = np.random.default_rng(5)
    nch = p["C"] // p.get("LANES", p["C"])
    frames = [rand_ints(rng, (p["H"], p["W"], p["C"]), p["DATA_W"], bool(p["IN_SIGNED"]))
              for _ in range(3)]
    hout, wout = (p["H"] - p["PH"]) // p["SH"] + 1, (p["W"] - p["PW"]) // p["SW"] + 1
    src = Source(dut, "s")
    sink = Sink(dut, "m")
    src.send(pack(px, p["DATA_W"]) for f in frames for px in f.reshape(-1, p["C"]))
    await wait_until(dut, lambda: len(sink.beats) >= 3 * hout * wout,
                     10 * nch * p["H"] * p["W"] * 3 + 500)
    # the first output of frames 1 and 2 are one frame (H*W pixels) apart
    n = hout * wout
    period = sink.times[2 * n] - sink.times[n]
    assert period == p["H"] * p["W"] * nch, (period, p["H"] * p["W"] * nch)


SHAPES = [
    # H, W, C, DATA_W, IN_SIGNED, PH, PW, SH, SW, LANES, OUT_FIFO
    (9, 11, 3, 6, 0, 3, 3, 2, 2, 3, 0),   # overlapping 3x3/2 (SqueezeNet), odd sizes
    (8, 6, 2, 8, 1, 2, 2, 2, 2, 2, 0),    # 2x2/2, signed
    (7, 7, 1, 5, 1, 3, 3, 2, 2, 1, 0),    # 3x3/2 on odd map, signed
    (9, 11, 6, 8, 0, 3, 3, 2, 2, 2, 6),   # channel-serial: 3 chunks per pixel
    (8, 7, 4, 7, 1, 2, 2, 2, 2, 1, 6),    # 2x2/2, one channel per cycle, odd width dropped
    (3, 3, 4, 8, 0, 3, 3, 2, 2, 1, 0),    # one pool per frame (RAM read-during-write path)
    (6, 9, 2, 8, 0, 2, 3, 3, 2, 1, 0),    # rows belonging to no pool (PH < SH), PW > SW
    (6, 1, 2, 8, 1, 2, 1, 2, 1, 2, 0),    # W = 1: same RAM word on consecutive pixels (forwarding)
]
KEYS = ("H", "W", "C", "DATA_W", "IN_SIGNED", "PH", "PW", "SH", "SW", "LANES", "OUT_FIFO")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_maxpool(shape):
    run_block("maxpool", "test_maxpool", dict(zip(KEYS, shape)))
