"""skid: 2-entry register slice; order and data under random gaps / backpressure, full rate
(one beat a cycle) with no backpressure, and registered outputs (no in->out path)."""
import random

import cocotb
import pytest
from cocotb.triggers import RisingEdge, Timer

from harness import Sink, Source, block_params, bursty_pauses, pauses, run_block, start, wait_until


@cocotb.test()
async def skid_random(dut):
    p = block_params()
    await start(dut)
    rng = random.Random(7)
    words = [rng.getrandbits(p["WIDTH"]) for _ in range(600)]
    src = Source(dut, "s", pauses(0.3, 1))
    sink = Sink(dut, "m", bursty_pauses(0.4, 2))
    src.send(words)
    await wait_until(dut, lambda: len(sink.beats) >= len(words), 40 * len(words))
    assert sink.beats == words


@cocotb.test()
async def skid_full_rate(dut):
    p = block_params()
    await start(dut)
    n = 200
    words = [i & ((1 << p["WIDTH"]) - 1) for i in range(n)]
    src, sink = Source(dut, "s"), Sink(dut, "m")
    src.send(words)
    await wait_until(dut, lambda: len(sink.beats) >= n, 3 * n)
    assert sink.beats == words
    assert sink.times[-1] - sink.times[0] == n - 1


@cocotb.test()
async def skid_outputs_registered(dut):
    """Changing m_tready / s_tvalid / s_tdata between edges must not move any output."""
    await start(dut)
    rng = random.Random(4)
    for i in range(60):
        dut.s_tvalid.value = rng.random() < 0.7
        dut.m_tready.value = rng.random() < 0.5
        await RisingEdge(dut.clk)
        await Timer(1, "ns")
        before = (int(dut.s_tready.value), int(dut.m_tvalid.value), int(dut.m_tdata.value))
        dut.m_tready.value = 1 - int(dut.m_tready.value)
        dut.s_tvalid.value = 1 - int(dut.s_tvalid.value)
        dut.s_tdata.value = rng.getrandbits(len(dut.s_tdata))
        await Timer(1, "ns")
        after = (int(dut.s_tready.value), int(dut.m_tvalid.value), int(dut.m_tdata.value))
        assert before == after, f"cycle {i}: outputs followed the inputs"


@pytest.mark.parametrize("width", [1, 33])
def test_skid(width):
    run_block("skid", "test_skid", {"WIDTH": width})
