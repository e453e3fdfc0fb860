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
    await wait_until(dut, lambda: len(sink.beats) >= len(exp), 40 * p["H"] * p["W"] * 3 + 500)
    compare([unpack(b, p["C"], p["DATA_W"], signed) for b in sink.beats], exp, "pixel")


SHAPES = [
    # H, W, C, DATA_W, IN_SIGNED, PH, PW, SH, SW
    (9, 11, 3, 6, 0, 3, 3, 2, 2),   # overlapping 3x3/2 (SqueezeNet), odd sizes
    (8, 6, 2, 8, 1, 2, 2, 2, 2),    # 2x2/2, signed
    (7, 7, 1, 5, 1, 3, 3, 2, 2),    # 3x3/2 on odd map, signed
]
KEYS = ("H", "W", "C", "DATA_W", "IN_SIGNED", "PH", "PW", "SH", "SW")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_maxpool(shape):
    run_block("maxpool", "test_maxpool", dict(zip(KEYS, shape)))
