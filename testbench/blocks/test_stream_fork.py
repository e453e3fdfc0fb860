"""stream_fork: every beat reaches every consumer once, in order, under independent
backpressure; full rate when all are ready."""
import random

import cocotb
import pytest
from cocotb.triggers import ReadOnly, RisingEdge

from harness import MultiSink, Source, block_params, pauses, run_block, start, wait_until


@cocotb.test()
async def fork_random(dut):
    p = block_params()
    await start(dut)
    rng = random.Random(3)
    words = [rng.getrandbits(p["WIDTH"]) for _ in range(300)]
    src = Source(dut, "s", pauses(0.2, 1))
    sink = MultiSink(dut, "m", p["N"], [pauses(0.15 * (i + 1), 10 + i) for i in range(p["N"])])
    src.send(words)
    await wait_until(dut, lambda: all(len(b) >= len(words) for b in sink.beats), 30 * len(words))
    for i in range(p["N"]):
        assert sink.beats[i] == words, f"consumer {i} differs"


@cocotb.test()
async def fork_full_rate(dut):
    p = block_params()
    await start(dut)
    words = list(range(100))
    src = Source(dut, "s")
    sink = MultiSink(dut, "m", p["N"], [pauses(0, 0)] * p["N"])
    src.send(words)
    await wait_until(dut, lambda: any(sink.beats), 20)
    # one beat a cycle: the first beat arrived, the remaining 99 need 99 more edges
    for _ in range(len(words) - 1):
        await RisingEdge(dut.clk)
    await ReadOnly()
    assert all(len(b) == len(words) for b in sink.beats), [len(b) for b in sink.beats]
    assert all(b == words for b in sink.beats)


@pytest.mark.parametrize("width,n", [(12, 2), (7, 3)])
def test_stream_fork(width, n):
    run_block("stream_fork", "test_stream_fork", {"WIDTH": width, "N": n})
