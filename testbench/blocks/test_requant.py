"""requant: every accumulator value of a 10-bit signed input through many (SHIFT, ROUND, RELU,
OUT_W, OUT_SIGNED, SAT) configurations at once (one generated wrapper, one build), compared
with fpga.fixed.requantize, through the pipeline (fpga.rtl.blocks.requant_latency cycles, en
randomly low: the registers hold)."""
import itertools
import random
import sys

import cocotb
import numpy as np
from cocotb.clock import Clock

from harness import (BUILD_DIR, ROOT, block_params, rtl_sources, run_block,
                     run_enabled_pipeline, unpack)

sys.path.insert(0, str(ROOT))
from fpga.fixed import Fmt, requantize  # noqa: E402
from fpga.rtl.blocks import requant_latency  # noqa: E402

ACC_W = 10
ROUNDS = ("TRN", "RND", "RND_CONV")


def configs():
    """(SHIFT, ROUND, RELU, OUT_W, OUT_SIGNED, SAT): fixed corner cases + a random sample."""
    fixed = [(s, r, 0, 6, 1, 1) for s in (1, 2, 3) for r in range(3)]
    fixed += [(0, 0, 1, 8, 0, 1), (-2, 0, 0, 8, 1, 1), (-3, 2, 1, 12, 1, 0),
              (12, 2, 0, 4, 1, 1), (10, 1, 0, 3, 1, 1), (4, 2, 1, 1, 0, 1), (2, 1, 0, 1, 1, 1)]
    rng = random.Random(7)
    space = list(itertools.product(range(-2, 8), range(3), (0, 1), (2, 4, 5, 9), (0, 1), (0, 1)))
    return fixed + rng.sample(space, 24)


def write_wrapper(cfgs, path):
    ports = ",\n".join(f"    output wire [{c[3]-1}:0] out{i}" for i, c in enumerate(cfgs))
    insts = "\n".join(
        f"    requant #(.ACC_W({ACC_W}), .OUT_W({c[3]}), .SHIFT({c[0]}), .ROUND({c[1]}), "
        f".RELU({c[2]}), .OUT_SIGNED({c[4]}), .SAT({c[5]})) u{i} "
        f"(.clk(clk), .en(en), .acc(acc), .out(out{i}));"
        for i, c in enumerate(cfgs))
    path.write_text(f"module requant_tb (\n    input wire clk,\n    input wire en,\n"
                    f"    input wire [{ACC_W-1}:0] acc,\n{ports}\n);\n{insts}\nendmodule\n")


@cocotb.test()
async def requant_exhaustive(dut):
    cfgs = block_params()["cfgs"]
    accs = np.arange(-(1 << (ACC_W - 1)), 1 << (ACC_W - 1))
    exp = []
    for shift, rnd, relu, ow, osg, sat in cfgs:
        fmt = Fmt(ow, ow, bool(osg), ROUNDS[rnd], "SAT" if sat else "WRAP")
        exp.append(requantize(accs, shift, fmt, relu=bool(relu)))
    outs = [getattr(dut, f"out{i}") for i in range(len(cfgs))]
    lat = requant_latency()
    Clock(dut.clk, 10, unit="ns").start()

    def drive(j):
        dut.acc.value = int(accs[j]) & ((1 << ACC_W) - 1)

    def check(k):
        for i, (cfg, o) in enumerate(zip(cfgs, outs)):
            got = int(unpack(o.value.to_unsigned(), 1, cfg[3], bool(cfg[4]))[0])
            assert got == exp[i][k], f"cfg {cfg} acc {accs[k]}: got {got}, expected {exp[i][k]}"

    assert await run_enabled_pipeline(dut, len(accs), lat, drive, check, seed=3) >= len(accs)

def test_requant():
    cfgs = configs()
    gen = BUILD_DIR / "gen"
    gen.mkdir(parents=True, exist_ok=True)
    wrapper = gen / "requant_tb.v"
    write_wrapper(cfgs, wrapper)
    run_block("requant_tb", "test_requant", {}, model_params={"cfgs": cfgs},
              sources=[wrapper, *rtl_sources("requant")], name="requant_tb")
