"""concat: {b, a} channel concatenation with independent gaps on both inputs."""
import random

import cocotb
import pytest

from harness import Sink, Source, block_params, pauses, run_block, start, wait_until


@cocotb.test()
async def concat_random(dut):
    p = block_params()
    await start(dut)
    rng = random.Random(5)
    n = 300
    a = [rng.getrandbits(p["A_BITS"]) for _ in range(n)]
    b = [rng.getrandbits(p["B_BITS"]) for _ in range(n)]
    sa = Source(dut, "a", pauses(0.3, 1))
    sb = Source(dut, "b", pauses(0.5, 2))
    sink = Sink(dut, "m", pauses(0.3, 3))
    sa.send(a)
    sb.send(b)
    await wait_until(dut, lambda: len(sink.beats) >= n, 30 * n)
    assert sink.beats == [x | (y << p["A_BITS"]) for x, y in zip(a, b)]


@cocotb.test()
async def concat_full_rate(dut):
    await start(dut)
    n = 100
    sa, sb, sink = Source(dut, "a"), Source(dut, "b"), Sink(dut, "m")
    sa.send([1] * n)
    sb.send([0] * n)
    await wait_until(dut, lambda: len(sink.beats) >= n, 300)
    assert sink.times[-1] - sink.times[0] == n - 1


@pytest.mark.parametrize("a_bits,b_bits", [(8, 24), (15, 6)])
def test_concat(a_bits, b_bits):
    run_block("concat", "test_concat", {"A_BITS": a_bits, "B_BITS": b_bits})
