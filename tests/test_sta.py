"""Open static-timing estimator (fpga/sta.py): hand-made netlists and small Yosys runs."""
from __future__ import annotations

import json
import math
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fpga.sta import FAMILIES, _dsp_model, absorb_dsp48e2_registers, analyse

# ------------------------------------------------------------------ hand-made netlists


def _ff(d, q, c=2):
    return {"type": "FDRE", "parameters": {"INIT": "0"},
            "port_directions": {"C": "input", "CE": "input", "R": "input", "D": "input",
                                "Q": "output"},
            "connections": {"C": [c], "CE": ["1"], "R": ["0"], "D": [d], "Q": [q]}}


def _lut(k, ins, o):
    pd = {f"I{i}": "input" for i in range(k)}
    pd["O"] = "output"
    conn = {f"I{i}": [b] for i, b in enumerate(ins)}
    conn["O"] = [o]
    return {"type": f"LUT{k}", "parameters": {"INIT": "0" * (1 << k)},
            "port_directions": pd, "connections": conn}


def _carry4(ci, s, co, o, di=("0", "0", "0", "0")):
    return {"type": "CARRY4", "parameters": {},
            "port_directions": {"CI": "input", "CYINIT": "input", "DI": "input",
                                "S": "input", "CO": "output", "O": "output"},
            "connections": {"CI": [ci], "CYINIT": ["0"], "DI": list(di), "S": list(s),
                            "CO": list(co), "O": list(o)}}


def _net(cells, ports):
    return {"modules": {"top": {"ports": ports, "cells": cells}}}


def _small():
    ports = {"clk": {"direction": "input", "bits": [2]},
             "a": {"direction": "input", "bits": [3, 4]},
             "y": {"direction": "output", "bits": [10]}}
    cells = {"r0": _ff(3, 5), "r1": _ff(4, 6), "l1": _lut(2, [5, 6], 7),
             "l2": _lut(1, [7], 8), "r2": _ff(8, 10)}
    return _net(cells, ports)


def test_small_netlist_levels_names_and_delays():
    r = analyse(_small(), "top", "xc7")
    f = FAMILIES["xc7"]
    w = r["worst"]
    # I0 of a LUT2 (0.238 ns) is slower than I1 (0.127 ns): the path starts at r0
    assert w["start"] == "r0" and w["end"] == "r2" and w["levels"] == 2
    assert [p["cell"] for p in w["path"]] == ["r0", "l1", "l2", "r2"]
    assert w["path"][1]["pin"] == "I0->O"
    net = f["net_base"]                                   # every net has fanout 1
    expect = f["ff_cko"] + 3 * net + 0.238 + 0.127 + f["ff_setup"]["D"] + f["clock_unc"]
    assert r["ns"] == pytest.approx(expect, abs=2e-3)
    assert r["logic_ns"] == pytest.approx(f["ff_cko"] + 0.238 + 0.127 + f["ff_setup"]["D"],
                                          abs=2e-3)
    # 1000/ns = 520 MHz is above the -1 global clock buffer's 464 MHz: that caps it
    assert 1000 / r["ns"] > f["bufg_fmax"]
    assert r["fmax_mhz"] == f["bufg_fmax"] and r["cap"] == {"mhz": 464.0, "cell": "BUFG"}
    assert r["loops"] == 0
    assert r["levels_histogram"] == {0: 3, 2: 1}    # r0.D, r1.D, y: 0 levels; r2.D: 2
    # boundary figures: y is driven by r2's Q; a reaches r0/r1 D (fanout 1: no net term)
    assert r["ports"]["out"]["y"] == pytest.approx(f["ff_cko"], abs=2e-3)
    assert r["ports"]["in"]["a"] == pytest.approx(f["ff_setup"]["D"] + f["clock_unc"], abs=2e-3)
    assert r["ports"]["through"] == {}
    # composing two such blocks, r2 -> y -> (net) -> a -> r0, is one reg-to-reg path
    from fpga.sta import launch_ns, net_ns
    composed = r["ports"]["out"]["y"] + net_ns("xc7", 1) + r["ports"]["in"]["a"]
    assert composed == pytest.approx(launch_ns("xc7") + net + f["ff_setup"]["D"]
                                     + f["clock_unc"], abs=2e-3)
    assert net_ns("xc7", 4) == pytest.approx(net + 2 * f["net_k"])
    assert r["endpoints"] == 4          # r0.D r1.D r2.D and the output port y


def test_carry_chain_counts_once_and_is_dedicated():
    # r0 -> LUT1 -> CARRY4 c0 (S0 -> CO3) -> CARRY4 c1 (CI -> O3) -> r1
    ports = {"clk": {"direction": "input", "bits": [2]}}
    cells = {"r0": _ff(20, 5), "l": _lut(1, [5], 6),
             "c0": _carry4("0", [6, "0", "0", "0"], [30, 31, 32, 7], [40, 41, 42, 43]),
             "c1": _carry4(7, ["0", "0", "0", "0"], [50, 51, 52, 53], [60, 61, 62, 8]),
             "r1": _ff(8, 9)}
    r = analyse(_net(cells, ports), "top", "xc7")
    w = r["worst"]
    assert [p["cell"] for p in w["path"]] == ["r0", "l", "c0", "c1", "r1"]
    assert w["levels"] == 2                      # the LUT + one carry chain
    f = FAMILIES["xc7"]
    # nets: r0->l, c1->r1 routed; l->c0.S slice-local; c0.CO3->c1.CI dedicated
    expect = (f["ff_cko"] + 2 * f["net_base"] + 0.127 + 0.508 + 0.313
              + f["ff_setup"]["D"] + f["clock_unc"])
    assert w["ns"] == pytest.approx(expect, abs=2e-3)


def test_carry8_chain_xcup():
    def c8(ci, s0, co, o):
        return {"type": "CARRY8", "parameters": {"CARRY_TYPE": "SINGLE_CY8"},
                "port_directions": {"CI": "input", "CI_TOP": "input", "DI": "input",
                                    "S": "input", "CO": "output", "O": "output"},
                "connections": {"CI": [ci], "CI_TOP": ["0"], "DI": ["0"] * 8,
                                "S": [s0] + ["0"] * 7, "CO": co, "O": o}}
    ports = {"clk": {"direction": "input", "bits": [2]}}
    cells = {"r0": _ff(20, 5), "l": _lut(1, [5], 6),
             "c0": c8("0", 6, list(range(100, 108)), list(range(110, 118))),
             "c1": c8(107, "0", list(range(120, 128)), list(range(130, 138))),
             "r1": _ff(137, 9)}
    r = analyse(_net(cells, ports), "top", "xcup")
    f = FAMILIES["xcup"]
    p = f["carry8"]
    w = r["worst"]
    assert [x["cell"] for x in w["path"]] == ["r0", "l", "c0", "c1", "r1"]
    assert w["levels"] == 2 and w["path"][2]["pin"] == "S[0]->CO[7]"
    assert w["path"][3]["pin"] == "CI->O[7]"
    expect = (f["ff_cko"] + 2 * f["net_base"] + f["lut6"][5] + p["entry"] + 7 * p["stage"]
              + p["ci"] + 6 * p["stage"] + p["xor"] + f["ff_setup"]["D"] + f["clock_unc"])
    assert w["ns"] == pytest.approx(expect, abs=2e-3)


def test_empty_and_combinational_only():
    r = analyse(_net({}, {"a": {"direction": "input", "bits": [3]}}), "top", "xc7")
    assert r["endpoints"] == 0 and r["worst"]["start"] is None and r["ns"] == 0.0
    assert r["fmax_mhz"] == FAMILIES["xc7"]["bufg_fmax"]


def test_loops_are_broken_and_counted():
    ports = {"clk": {"direction": "input", "bits": [2]}}
    cells = {"r0": _ff(20, 5),
             "self": _lut(2, [5, 6], 6),              # self loop on bit 6
             "p": _lut(2, [6, 8], 7), "q": _lut(1, [7], 8),   # 7 -> 8 -> 7
             "r1": _ff(8, 9)}
    r = analyse(_net(cells, ports), "top", "xc7")
    assert r["loops"] == 2
    assert r["worst"]["end"] == "r1" and math.isfinite(r["ns"])


def test_through_path_and_port_delays():
    ports = {"a": {"direction": "input", "bits": [3]},
             "y": {"direction": "output", "bits": [4]}}
    r = analyse(_net({"l": _lut(1, [3], 4)}, ports), "top", "xcup", input_delay_ns=1.0,
                output_delay_ns=0.5)
    f = FAMILIES["xcup"]
    lut = f["lut6"][5]
    # the standalone estimate uses the given port delays and both port nets ...
    assert r["worst"]["start"] == "a" and r["worst"]["end"] == "y"
    assert r["ns"] == pytest.approx(1.0 + 2 * f["net_base"] + lut + 0.5 + f["clock_unc"],
                                    abs=2e-3)
    # ... the boundary figure is pin to pin
    assert r["ports"]["through"]["a->y"] == pytest.approx(lut, abs=2e-3)
    assert r["ports"]["in"] == {} and r["ports"]["out"] == {}


def _ramb(reg):
    return {"type": "RAMB18E1", "parameters": {"DOA_REG": "1" if reg else "0"},
            "port_directions": {"CLKARDCLK": "input", "ADDRARDADDR": "input",
                                "DOADO": "output"},
            "connections": {"CLKARDCLK": [2], "ADDRARDADDR": [5], "DOADO": [6]}}


def test_bram_output_register_and_cap():
    f = FAMILIES["xc7"]
    ports = {"clk": {"direction": "input", "bits": [2]}}
    slow = analyse(_net({"r0": _ff(20, 5), "m": _ramb(False), "r1": _ff(6, 7)}, ports),
                   "top", "xc7")
    fast = analyse(_net({"r0": _ff(20, 5), "m": _ramb(True), "r1": _ff(6, 7)}, ports),
                   "top", "xc7")
    assert slow["worst"]["start"] == "m" and slow["worst"]["end"] == "r1"
    assert slow["ns"] == pytest.approx(
        f["ramb_cko"] + f["net_base"] + f["ff_setup"]["D"] + f["clock_unc"], abs=2e-3)
    assert fast["ns"] < slow["ns"] - 1.4          # 2.45 vs 0.88 ns clock-to-out
    # registered output: 1000/ns > 388 MHz, so the RAMB Fmax caps it
    assert fast["cap"] == {"mhz": f["ramb_fmax"]["WF_NC"], "cell": "RAMB18E1"}
    assert fast["fmax_mhz"] == f["ramb_fmax"]["WF_NC"]


def test_lutram_async_read_arc():
    ports = {"clk": {"direction": "input", "bits": [2]}}
    ram = {"type": "RAM64X1D", "parameters": {},
           "port_directions": {"WCLK": "input", "WE": "input", "D": "input",
                               **{f"A{i}": "input" for i in range(6)},
                               **{f"DPRA{i}": "input" for i in range(6)},
                               "SPO": "output", "DPO": "output"},
           "connections": {"WCLK": [2], "WE": [30], "D": [31],
                           **{f"A{i}": [10 + i] for i in range(6)},
                           **{f"DPRA{i}": ["0"] for i in range(6)}, "SPO": [40], "DPO": [41]}}
    cells = {f"ra{i}": _ff(50 + i, 10 + i) for i in range(6)}
    cells.update({"ram": ram, "rq": _ff(40, 60), "rw": _ff(51, 30)})
    r = analyse(_net(cells, ports), "top", "xc7")
    w = r["worst"]
    assert w["end"] == "rq" and w["start"] == "ra0"      # A0 is the slowest address pin
    assert w["path"][1]["pin"] == "A0->SPO" and w["levels"] == 1


def test_dsp_pipeline_configurations():
    def cell(typ, **p):
        base = {"AREG": 1, "BREG": 1, "CREG": 1, "DREG": 1, "ADREG": 1, "MREG": 1, "PREG": 1}
        base.update(p)
        return {"type": typ, "parameters": {k: (format(v, "032b") if isinstance(v, int)
                                                else v) for k, v in base.items()}}
    up, x7 = FAMILIES["xcup"], FAMILIES["xc7"]
    m = _dsp_model(cell("DSP48E2"), "DSP48E2", up)
    assert m["cap"] == "FMAX" and "A" in m["req"] and "P" in m["arr"] and not m["comb"].get(
        ("A", "P"))
    assert _dsp_model(cell("DSP48E2", MREG=0), "DSP48E2", up)["cap"] == "MULT_NOMREG"
    assert _dsp_model(cell("DSP48E2", USE_PATTERN_DETECT="PATDET"), "DSP48E2",
                      up)["cap"] == "PATDET"
    # the cascade stage of a combinational sum: registered A/B, PCIN -> PCOUT through
    m = _dsp_model(cell("DSP48E1", MREG=0, PREG=0), "DSP48E1", x7)
    assert m["comb"][("PCIN", "PCOUT")] == pytest.approx(1.255)
    assert m["arr"]["P"] == pytest.approx(2.952) and m["req"]["A"] == pytest.approx(0.254)


def _dsp48e2(a, b, pbits):
    z = "0" * 32
    return {"type": "DSP48E2",
            "parameters": {"AREG": z, "BREG": z, "MREG": z, "PREG": z, "CREG": z,
                           "USE_MULT": "MULTIPLY"},
            "port_directions": {"CLK": "input", "A": "input", "B": "input", "P": "output"},
            "connections": {"CLK": [2], "A": a, "B": b, "P": pbits}}


def test_dsp48e2_register_absorption():
    """Yosys leaves every DSP48E2 register off; registers straight at A/B and P count as the
    AREG/BREG/PREG Vivado absorbs, logic in between keeps the DSP combinational."""
    ports = {"clk": {"direction": "input", "bits": [2]}}
    regs = {"ra": _ff(20, 5), "rb": _ff(21, 6), "rp": _ff(7, 8),
            "d": _dsp48e2([5], [6], [7])}
    absorbed = absorb_dsp48e2_registers(regs)
    assert set(absorbed) == {"d"}
    assert {k: absorbed["d"][k] for k in ("AREG", "BREG", "PREG")} == \
        {"AREG": "1", "BREG": "1", "PREG": "1"}
    fast = analyse(_net(regs, ports), "top", "xcup")
    # a LUT between the A register and the DSP, and a LUT after P: nothing to absorb at A or P
    mixed = {"ra": _ff(20, 5), "l": _lut(1, [5], 9), "rb": _ff(21, 6), "lp": _lut(1, [7], 10),
             "rp": _ff(10, 8), "d": _dsp48e2([9], [6], [7])}
    part = absorb_dsp48e2_registers(mixed)
    assert part["d"]["BREG"] == "1"
    assert part["d"]["AREG"].strip("0") == "" and part["d"]["PREG"].strip("0") == ""
    slow = analyse(_net(mixed, ports), "top", "xcup")
    assert fast["fmax_mhz"] > 500 and slow["fmax_mhz"] < 400, (fast, slow)
    # xc7 netlists are left alone (Yosys packs DSP48E1 registers itself)
    e1 = dict(regs, d=dict(_dsp48e2([5], [6], [7]), type="DSP48E1"))
    assert absorb_dsp48e2_registers(e1) == {}


def test_calibration_rule_of_thumb():
    """UG949 rule of thumb: 5-6 LUT levels at 200 MHz on 7-series -1, 3-4 at 300 MHz on
    UltraScale+ -2 (LUT4 chains entered on I1, every net with fanout 2)."""
    def chain(n):
        ports = {"clk": {"direction": "input", "bits": [2]}}
        cells = {"r0": _ff(900, 100), "side0": _ff(100, 800)}
        for k in range(n):
            cells[f"l{k}"] = _lut(4, ["0", 100 + k, "0", "0"], 101 + k)
            cells[f"side{k + 1}"] = _ff(101 + k, 801 + k)
        return _net(cells, ports)
    f7 = lambda n: analyse(chain(n), "top", "xc7")["fmax_mhz"]     # noqa: E731
    fu = lambda n: analyse(chain(n), "top", "xcup")["fmax_mhz"]    # noqa: E731
    assert f7(5) >= 200 > f7(7)
    assert fu(3) >= 300 > fu(5)
    assert analyse(chain(6), "top", "xc7")["worst"]["levels"] == 6


def test_speed_synthetic_netlist():
    """~40k cells (ripple chains of LUTs and FFs) analyse in a few seconds."""
    import time
    ports = {"clk": {"direction": "input", "bits": [2]}}
    cells = {}
    bit = 10
    for c in range(2000):
        src = bit
        cells[f"f{c}"] = _ff(src + 9, src)
        for k in range(9):
            cells[f"l{c}_{k}"] = _lut(3, [src + k, src + 10 + (k + 3) % 9,
                                          src + 10 + (k + 5) % 9], src + k + 1)
            cells[f"g{c}_{k}"] = _ff(src + k + 1, src + 10 + k)
        bit += 20
    t = time.time()
    r = analyse(_net(cells, ports), "top", "xc7")
    assert time.time() - t < 10
    assert r["endpoints"] == 20000 and r["worst"]["levels"] == 9


# ------------------------------------------------------------------ Yosys runs

ADD4 = """
module add4(input clk, input [7:0] a, b, c, d, output reg [9:0] s);
  reg [7:0] ra, rb, rc, rd;
  always @(posedge clk) begin ra <= a; rb <= b; rc <= c; rd <= d; s <= ra + rb + rc + rd; end
endmodule
"""
MAC36 = """
module mac36(input clk, input [36*8-1:0] a, b, output reg [23:0] y);
  reg [36*8-1:0] ra, rb; reg [23:0] sum; integer i;
  always @* begin
    sum = 0;
    for (i = 0; i < 36; i = i + 1) sum = sum + $signed(ra[i*8 +: 8]) * $signed(rb[i*8 +: 8]);
  end
  always @(posedge clk) begin ra <= a; rb <= b; y <= sum; end
endmodule
"""
DSPFULL = """
module dspfull(input clk, input [29:0] a, input [17:0] b, output reg [47:0] y);
  reg [29:0] ra; reg [17:0] rb; wire [47:0] p;
  always @(posedge clk) begin ra <= a; rb <= b; y <= p; end
  DSP48E2 #(.AREG(1), .BREG(1), .ACASCREG(1), .BCASCREG(1), .MREG(1), .PREG(1), .CREG(1),
            .DREG(1), .ADREG(1)) u_dsp (
    .CLK(clk), .A(ra), .B(rb), .C(48'd0), .D(27'd0), .PCIN(48'd0), .ACIN(30'd0), .BCIN(18'd0),
    .CARRYIN(1'b0), .CARRYCASCIN(1'b0), .MULTSIGNIN(1'b0), .OPMODE(9'b000000101),
    .ALUMODE(4'd0), .INMODE(5'd0), .CARRYINSEL(3'd0),
    .CEA1(1'b1), .CEA2(1'b1), .CEB1(1'b1), .CEB2(1'b1), .CEC(1'b1), .CED(1'b1), .CEAD(1'b1),
    .CEM(1'b1), .CEP(1'b1), .CEALUMODE(1'b1), .CECTRL(1'b1), .CEINMODE(1'b1),
    .CECARRYIN(1'b1), .RSTA(1'b0), .RSTB(1'b0), .RSTC(1'b0), .RSTD(1'b0), .RSTM(1'b0),
    .RSTP(1'b0), .RSTALLCARRYIN(1'b0), .RSTALUMODE(1'b0), .RSTCTRL(1'b0), .RSTINMODE(1'b0),
    .P(p));
endmodule
"""

_JOBS = {  # name: (source, top, family, extra commands)
    "add4_xc7": (ADD4, "add4", "xc7", "write_verilog -noattr add4_xc7.v"),
    "add4_xcup": (ADD4, "add4", "xcup", ""),
    "mac36_xc7": (MAC36, "mac36", "xc7", ""),
    "dspfull_xcup": (DSPFULL, "dspfull", "xcup", ""),
}


@pytest.fixture(scope="module")
def yosys_runs(tmp_path_factory):
    from fpga.errors import ToolMissingError
    from fpga.synth import find_yosys
    try:
        yosys = find_yosys()
    except ToolMissingError:
        pytest.skip("Yosys not installed")
    work = tmp_path_factory.mktemp("sta")

    def run(name):
        src, top, fam, extra = _JOBS[name]
        (work / f"{name}.v").write_text(src)
        script = (f"read_verilog -sv {name}.v; hierarchy -top {top}; "
                  f"synth_xilinx -family {fam} -flatten -noiopad -noclkbuf; "
                  f"write_json {name}.json; {extra}")
        subprocess.run(yosys + ["-q", "-p", script], cwd=work, check=True,
                       capture_output=True, timeout=300)
        return name, json.loads((work / f"{name}.json").read_text())

    with ThreadPoolExecutor(max_workers=2) as ex:
        nets = dict(ex.map(run, _JOBS))
    # Yosys's own STA over the X-Ray specify arcs, on the xc7 adder tree
    out = subprocess.run(yosys + ["-p", "read_verilog -lib -specify +/xilinx/cells_sim.v; "
                                  "read_verilog add4_xc7.v; hierarchy -top add4; sta"],
                         cwd=work, check=True, capture_output=True, text=True, timeout=300)
    m = re.search(r"Latest arrival time in '\w+' is (\d+)", out.stdout)
    return {"nets": nets, "yosys_sta_ps": int(m.group(1)) if m else None}


def test_adder_tree_meets_targets(yosys_runs):
    up = analyse(yosys_runs["nets"]["add4_xcup"], "add4", "xcup")
    x7 = analyse(yosys_runs["nets"]["add4_xc7"], "add4", "xc7")
    assert up["fmax_mhz"] >= 300 and x7["fmax_mhz"] >= 200
    assert 2 <= x7["worst"]["levels"] <= 5 and x7["worst"]["end"] != x7["worst"]["start"]
    assert up["ns"] < x7["ns"]
    assert x7["endpoints"] > 40 and x7["loops"] == 0


def test_combinational_36_product_sum_is_slow(yosys_runs):
    r = analyse(yosys_runs["nets"]["mac36_xc7"], "mac36", "xc7")
    # Yosys sta (X-Ray arcs) reports 46.9 ns for this DSP cascade; we must see the same
    assert r["logic_ns"] == pytest.approx(46.9, rel=0.1)
    assert r["fmax_mhz"] < 50            # far below 200 MHz
    types = {p["type"] for p in r["worst"]["path"]}
    assert types == {"DSP48E1"} and len(r["worst"]["path"]) > 30


def test_logic_delay_agrees_with_yosys_sta(yosys_runs):
    ps = yosys_runs["yosys_sta_ps"]
    assert ps, "could not parse Yosys sta output"
    r = analyse(yosys_runs["nets"]["add4_xc7"], "add4", "xc7")
    assert r["logic_ns"] == pytest.approx(ps / 1000.0, rel=0.3)


def test_fully_pipelined_dsp48e2_is_capped(yosys_runs):
    r = analyse(yosys_runs["nets"]["dspfull_xcup"], "dspfull", "xcup")
    assert r["cap"] == {"mhz": 775.0, "cell": "DSP48E2"}
    assert r["fmax_mhz"] == 775.0 and 1000.0 / r["ns"] > 775.0
