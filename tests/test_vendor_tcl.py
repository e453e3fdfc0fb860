"""The generated Vitis HLS / Vivado scripts, run under tclsh with a vendor-command stub.

This is a check of the scripts, not a build: tests/tcl_stub/stub.tcl stands in for every
Vivado / Vitis HLS command the scripts use (options checked against the vendor references,
calls logged), and the tests assert the essential sequence for every board and both sources.
"""
from __future__ import annotations

import importlib.util
import json
import os
import textwrap
from pathlib import Path

import pytest

from fpga.boards import get_board, load_boards
from fpga.cli import main
from fpga.vendor.ip import VLNV
from fpga.vendor.jtag_tcl import device_prefix

_spec = importlib.util.spec_from_file_location(
    "tcl_stub_helpers", Path(__file__).parent / "tcl_stub" / "helpers.py")
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

pytestmark = pytest.mark.skipif(not os.path.exists(helpers.TCLSH), reason="tclsh not installed")

BOARDS = sorted(load_boards())
PS_VLNV = {"ps7": VLNV["processing_system7"], "ps8": VLNV["zynq_ultra_ps_e"]}
PS_PORTS = {  # (control master, memory slave, fabric clock)
    "ps7": ("/ps/M_AXI_GP0", "/ps/S_AXI_HP0", "/ps/FCLK_CLK0"),
    "ps8": ("/ps/M_AXI_HPM0_FPD", "/ps/S_AXI_HP0_FPD", "/ps/pl_clk0"),
}


def _stderr_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err and len(err.splitlines()) == 1, f"expected one line on stderr, got: {err!r}"
    return err


def _build(project, board, source, *extra):
    rc = main(["build", str(project), "--board", board, "--from", source, "--scripts-only",
               *extra])
    assert rc == 0
    return project / "build" / board


def _calls(calls, cmd):
    return [c for c in calls if c["cmd"] == cmd]


def _index(calls, cmd, pred=lambda c: True) -> int:
    for i, c in enumerate(calls):
        if c["cmd"] == cmd and pred(c):
            return i
    raise AssertionError(f"no {cmd} call matching")


def _dict_props(calls, cell) -> dict:
    """All properties set on a block-design cell (set_property -dict [list k v ...] /cell)."""
    props = {}
    for c in _calls(calls, "set_property"):
        a = c["args"]
        if a[0] == "-dict" and a[-1] == cell:
            items = a[1].split()
            props.update(zip(items[::2], items[1::2]))
    return props


def _cell_vlnv(calls, name) -> str:
    for c in _calls(calls, "create_bd_cell"):
        if c["args"][-1] == name:
            return c["args"][c["args"].index("-vlnv") + 1]
    raise AssertionError(f"no cell {name}")


@pytest.mark.parametrize("source", ["hls", "rtl"])
@pytest.mark.parametrize("board_name", BOARDS)
def test_scripts_under_stub(tmp_path, board_name, source):
    board = load_boards()[board_name]
    project = helpers.make_project(tmp_path)
    bdir = _build(project, board_name, source)
    cfg = json.loads((bdir / "build.json").read_text())

    if source == "hls":
        hcalls, proc = helpers.run_stub("vitis_hls", bdir / "hls.tcl", tmp_path / "hls.jsonl")
        assert _calls(hcalls, "set_part")[0]["args"] == [board.part]
        # the top is the beat-format wrapper written into the build folder, around hls4ml's top
        assert _calls(hcalls, "set_top")[0]["args"] == ["myproject_axis"]
        adds = [c["args"] for c in _calls(hcalls, "add_files")]
        assert [a[0] for a in adds] == [str(bdir / "myproject_axis.cpp"),
                                        str(project / "hls/firmware/myproject.cpp")]
        for add in adds:
            assert add[1] == "-cflags"
            assert add[2].startswith("-std=c++14") and f"-I{project}/hls/firmware" in add[2]
        assert (bdir / "myproject_axis.h").is_file()
        wrapper = (bdir / "myproject_axis.cpp").read_text()
        assert "void myproject_axis(hls::stream<axis_beat_in> &s_axis, " in wrapper
        assert "myproject(image, scores, w2);" in wrapper
        assert '#include "weights/w2.h"' in wrapper
        assert cfg["top"] == "myproject_axis" and cfg["hls_model_top"] == "myproject"
        period = float(_calls(hcalls, "create_clock")[0]["args"][1])
        assert period == pytest.approx(1000.0 / board.clock_mhz, abs=1e-3)
        order = [c["cmd"] for c in hcalls]
        assert order.index("csynth_design") < order.index("export_design")
        exp = _calls(hcalls, "export_design")[0]["args"]
        exported = ":".join(exp[exp.index(k) + 1]
                            for k in ("-vendor", "-library", "-ipname", "-version"))
        assert exp[exp.index("-format") + 1] == "ip_catalog"
        assert exported == "fpga.local:hls4ml:myproject_axis:1.0"
        assert "FPGA-STEP: 3/3" in proc.stdout
    else:
        assert not (bdir / "hls.tcl").exists()

    calls, proc = helpers.run_stub("vivado", bdir / "vivado.tcl", tmp_path / "vivado.jsonl")
    assert "UNKNOWN" not in [c["cmd"] for c in calls]
    # the project: part, board files
    main_prj = [c for c in _calls(calls, "create_project") if c["args"][0] == "fakenet"][0]
    assert main_prj["args"][main_prj["args"].index("-part") + 1] == board.part
    assert ["board_part", board.board_part, "project"] in [c["args"] for c in
                                                         _calls(calls, "set_property")]
    # the accelerator IP: HLS export, or our RTL packaged with ipx
    accel_vlnv = _cell_vlnv(calls, "accel")
    if source == "hls":
        assert accel_vlnv == exported
        repo = [c["args"][1] for c in _calls(calls, "set_property")
                if c["args"][0] == "ip_repo_paths"][0]
        assert repo == str(bdir / "hls_prj/solution1/impl/ip")
    else:
        assert not list(bdir.glob("*_axis.*"))
        assert accel_vlnv == "fpga.local:rtl:accel_top:1.0"
        pkg = _calls(calls, "ipx::package_project")[0]["args"]
        assert pkg[pkg.index("-vendor") + 1] == "fpga.local"
        added = _calls(calls, "add_files")[0]["args"][-1].split()
        assert sorted(Path(f).name for f in added) == ["accel_top.v", "conv1_w.mem",
                                                        "conv_block.v"]
        assert ["top", "accel_top", "sources_1"] in [c["args"] for c in
                                                     _calls(calls, "set_property")]
        assert _index(calls, "ipx::save_core") < _index(calls, "update_ip_catalog")
    # both accelerators are free-running (the HLS wrapper is ap_ctrl_none): nothing tied off
    assert [c["args"][-1] for c in _calls(calls, "create_bd_cell")] == [
        "ps", "axi_dma", "accel", "ctrl_ic", "mem_ic", "rst_ps", "irq_concat"]
    # the PS: IP, automation, ports and clock
    assert _cell_vlnv(calls, "ps") == PS_VLNV[board.ps]
    rule = _calls(calls, "apply_bd_automation")[0]["args"]
    assert rule[1] == f"xilinx.com:bd_rule:{board.ps_ip}"
    assert "apply_board_preset 1" in rule[3]
    ps_props = _dict_props(calls, "/ps")
    if board.ps == "ps7":
        assert ps_props["CONFIG.PCW_USE_S_AXI_HP0"] == "1"
        assert float(ps_props["CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ"]) == board.clock_mhz
    else:
        assert ps_props["CONFIG.PSU__USE__S_AXI_GP2"] == "1"
        assert ps_props["CONFIG.PSU__USE__M_AXI_GP0"] == "1"
        assert float(ps_props["CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ"]) == board.clock_mhz
    # the DMA: simple mode, both channels, stream widths from the IR
    assert _cell_vlnv(calls, "axi_dma") == VLNV["axi_dma"]
    dma = _dict_props(calls, "/axi_dma")
    assert dma["CONFIG.c_include_sg"] == "0"
    assert dma["CONFIG.c_include_mm2s"] == "1" and dma["CONFIG.c_include_s2mm"] == "1"
    assert dma["CONFIG.c_m_axis_mm2s_tdata_width"] == "32"      # 3 ch x 8 bits -> 32
    assert dma["CONFIG.c_s_axis_s2mm_tdata_width"] == "32"
    assert _cell_vlnv(calls, "ctrl_ic") == VLNV["smartconnect"]
    assert _cell_vlnv(calls, "rst_ps") == VLNV["proc_sys_reset"]
    # the control SmartConnect: the DMA's registers, and the open RTL's control/status port
    assert _dict_props(calls, "/ctrl_ic")["CONFIG.NUM_MI"] == ("2" if source == "rtl" else "1")
    if source == "rtl":
        assert ["/ctrl_ic/M01_AXI", "/accel/s_axi_ctrl"] in [
            c["args"] for c in _calls(calls, "connect_bd_intf_net")]
        assert ["-busif", "s_axi_ctrl", "-clock", "ap_clk", "core:" + str(bdir / "ip_repo/accel_top")] in [
            c["args"] for c in _calls(calls, "ipx::associate_bus_interfaces")]
    # the DMA interrupts reach the PS
    irq_pin = "/ps/IRQ_F2P" if board.ps == "ps7" else "/ps/pl_ps_irq0"
    conn = [c["args"] for c in _calls(calls, "connect_bd_net")]
    assert ["/axi_dma/mm2s_introut", "/irq_concat/In0"] in conn
    assert ["/axi_dma/s2mm_introut", "/irq_concat/In1"] in conn
    assert ["/irq_concat/dout", irq_pin] in conn
    # the key connections
    ctrl, mem, clk = PS_PORTS[board.ps]
    intf = [c["args"] for c in _calls(calls, "connect_bd_intf_net")]
    for pair in ([ctrl, "/ctrl_ic/S00_AXI"], ["/ctrl_ic/M00_AXI", "/axi_dma/S_AXI_LITE"],
                 ["/axi_dma/M_AXI_MM2S", "/mem_ic/S00_AXI"],
                 ["/axi_dma/M_AXI_S2MM", "/mem_ic/S01_AXI"], ["/mem_ic/M00_AXI", mem],
                 ["/axi_dma/M_AXIS_MM2S", "/accel/s_axis"],
                 ["/accel/m_axis", "/axi_dma/S_AXIS_S2MM"]):
        assert pair in intf, f"missing connection {pair}"
    nets = [c["args"] for c in _calls(calls, "connect_bd_net")]
    clock_net = [n for n in nets if n[0] == clk][0]
    assert {"/accel/ap_clk", "/axi_dma/m_axi_mm2s_aclk", "/rst_ps/slowest_sync_clk"} <= set(
        clock_net)
    assert any(n[0] == "/rst_ps/peripheral_aresetn" and "/accel/ap_rst_n" in n for n in nets)
    # the flow, in order
    i_valid = _index(calls, "validate_bd_design")
    i_wrap = _index(calls, "make_wrapper")
    i_synth = _index(calls, "launch_runs", lambda c: c["args"][0] == "synth_1")
    i_wsynth = _index(calls, "wait_on_runs", lambda c: c["args"] == ["synth_1"])
    i_impl = _index(calls, "launch_runs", lambda c: c["args"][0] == "impl_1")
    i_wimpl = _index(calls, "wait_on_runs", lambda c: c["args"] == ["impl_1"])
    i_xsa = _index(calls, "write_hw_platform")
    assert _index(calls, "assign_bd_address") < i_valid < i_wrap < i_synth < i_wsynth
    assert i_wsynth < i_impl < i_wimpl < i_xsa
    impl = calls[i_impl]["args"]
    assert impl[impl.index("-to_step") + 1] == "write_bitstream"
    xsa = calls[i_xsa]["args"]
    assert "-fixed" in xsa and "-include_bit" in xsa
    assert xsa[xsa.index("-file") + 1] == str(bdir / "out/fakenet.xsa")
    for ext in ("bit", "hwh", "xsa"):
        assert (bdir / "out" / f"fakenet.{ext}").is_file()
    # timing after route is checked before anything is exported: WNS and WHS both read
    i_wns = _index(calls, "get_property", lambda c: c["args"][0] == "STATS.WNS")
    i_whs = _index(calls, "get_property", lambda c: c["args"][0] == "STATS.WHS")
    i_bit = _index(calls, "write_hw_platform")
    assert i_wimpl < _index(calls, "report_timing_summary") < i_wns < i_bit and i_whs < i_bit
    assert f"FPGA-TIMING: target {board.clock_mhz:g} MHz, WNS 0.250 ns, WHS 0.031 ns" in proc.stdout
    timing = json.loads((bdir / "out" / "timing.json").read_text())
    assert timing["target_mhz"] == board.clock_mhz and timing["wns_ns"] == 0.25
    assert timing["achieved_mhz"] == pytest.approx(1000.0 / (1000.0 / board.clock_mhz - 0.25), abs=0.1)
    # the PS makes the target clock itself (200 MHz from 1000 MHz, 300 MHz from 1500 MHz)
    assert not [c for c in _calls(calls, "create_bd_cell") if c["args"][-1] == "clk_wiz"]
    assert f"fabric clock from the PS: {board.clock_mhz:.6f} MHz" in proc.stdout
    steps = [l for l in proc.stdout.splitlines() if l.startswith("FPGA-STEP:")]
    n = len(steps)
    assert steps[-1].startswith(f"FPGA-STEP: {n}/{n} ")

    # JTAG flashing of that bitstream
    jcalls, _ = helpers.run_stub("vivado", bdir / "flash_jtag.tcl", tmp_path / "jtag.jsonl")
    names = [c["cmd"] for c in jcalls]
    assert names[:3] == ["open_hw_manager", "connect_hw_server", "open_hw_target"]
    dev = _calls(jcalls, "current_hw_device")[0]["args"][0]
    assert dev.startswith(device_prefix(board.part))
    assert ["PROGRAM.FILE", str(bdir / "out/fakenet.bit"), dev] in [
        c["args"] for c in _calls(jcalls, "set_property")]
    assert names.index("set_property") < names.index("program_hw_devices")


@pytest.mark.parametrize("part,prefix", [("xc7z020clg400-1", "xc7z020"),
                                         ("xczu7ev-ffvc1156-2-e", "xczu7"),
                                         ("xck26-sfvc784-2LV-c", "xck26"),
                                         ("xczu3eg-sbva484-1-i", "xczu3"),
                                         ("xczu9eg-ffvb1156-2-e", "xczu9")])
def test_jtag_device_prefix(part, prefix):
    assert device_prefix(part) == prefix


def test_wide_input_and_clock_override(tmp_path):
    """5 channels x 8 bits = 40 -> a 64-bit MM2S stream; --clock-mhz reaches HLS and the PS."""
    project = helpers.make_project(tmp_path, in_shape=(4, 5, 5))
    bdir = _build(project, "zcu104", "hls", "--clock-mhz", "200")
    hcalls, _ = helpers.run_stub("vitis_hls", bdir / "hls.tcl", tmp_path / "h.jsonl")
    assert _calls(hcalls, "create_clock")[0]["args"][1] == "5.000"
    calls, _ = helpers.run_stub("vivado", bdir / "vivado.tcl", tmp_path / "v.jsonl")
    dma = _dict_props(calls, "/axi_dma")
    assert dma["CONFIG.c_m_axis_mm2s_tdata_width"] == "64"
    assert dma["CONFIG.c_m_axi_mm2s_data_width"] == "64"
    assert dma["CONFIG.c_s_axis_s2mm_tdata_width"] == "32"
    assert _dict_props(calls, "/ps")["CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ"] == "200"
    meta = json.loads((bdir / "accel.json").read_text())
    assert meta["in_tdata_bits"] == 64 and meta["channels"] == 5 and meta["classes"] == 6


def test_board_target_clocks():
    assert get_board("pynq-z2").clock_mhz == 200
    assert {get_board(b).clock_mhz for b in ("zcu104", "kv260", "zcu102", "ultra96v2")} == {300}


@pytest.mark.parametrize("wns,whs", [("-0.120", "0.031"), ("0.250", "-0.015")])
def test_negative_slack_fails_the_build(tmp_path, monkeypatch, wns, whs):
    """Negative setup or hold slack after route: a one-line error, a non-zero exit, no .bit."""
    project = helpers.make_project(tmp_path)
    bdir = _build(project, "zcu104", "rtl")
    monkeypatch.setenv("STUB_WNS", wns)
    monkeypatch.setenv("STUB_WHS", whs)
    calls, proc = helpers.run_stub("vivado", bdir / "vivado.tcl", tmp_path / "v.jsonl",
                                   check=False)
    assert proc.returncode != 0
    assert (f"fpga: timing not met at 300 MHz after route (WNS {wns} ns, WHS {whs} ns"
            in proc.stdout + proc.stderr)
    assert not _calls(calls, "write_hw_platform")
    assert not (bdir / "out" / "fakenet.bit").exists()


def test_clocking_wizard_when_the_ps_cannot_make_the_clock(tmp_path):
    """215 MHz: the PS's IO PLL (1000 MHz) and dividers give 200 or 250 MHz, more than 0.5% off,
    so a clocking wizard makes 215 MHz from the PS's 200."""
    project = helpers.make_project(tmp_path)
    bdir = _build(project, "pynq-z2", "rtl", "--clock-mhz", "215")
    calls, proc = helpers.run_stub("vivado", bdir / "vivado.tcl", tmp_path / "v.jsonl")
    assert "the PS makes 200.000000 MHz for 215 MHz; adding a clocking wizard" in proc.stdout
    assert _cell_vlnv(calls, "clk_wiz") == VLNV["clk_wiz"]
    wiz = _dict_props(calls, "/clk_wiz")
    assert wiz["CONFIG.PRIM_IN_FREQ"] == "200.000000"
    assert wiz["CONFIG.CLKOUT1_REQUESTED_OUT_FREQ"] == "215"
    nets = [c["args"] for c in _calls(calls, "connect_bd_net")]
    assert ["/ps/FCLK_CLK0", "/clk_wiz/clk_in1"] in nets
    clock_net = [n for n in nets if n[0] == "/clk_wiz/clk_out1"][0]
    assert "/accel/ap_clk" in clock_net and "/ps/M_AXI_GP0_ACLK" in clock_net
    assert ["/clk_wiz/locked", "/rst_ps/dcm_locked"] in nets


def test_without_board_files_uses_bare_part(tmp_path, monkeypatch):
    project = helpers.make_project(tmp_path)
    bdir = _build(project, "pynq-z2", "rtl")
    monkeypatch.setenv("STUB_NO_BOARD_FILES", "1")
    calls, proc = helpers.run_stub("vivado", bdir / "vivado.tcl", tmp_path / "v.jsonl")
    assert not [c for c in _calls(calls, "set_property") if c["args"][0] == "board_part"]
    assert "apply_board_preset 0" in _calls(calls, "apply_bd_automation")[0]["args"][3]
    assert "board files for tul.com.tw:pynq-z2:part0:1.0 not installed" in proc.stdout


def test_other_vivado_release_falls_back_to_its_ip_versions(tmp_path, monkeypatch):
    project = helpers.make_project(tmp_path)
    bdir = _build(project, "kv260", "rtl")
    older = [v for k, v in VLNV.items() if k != "zynq_ultra_ps_e"]
    monkeypatch.setenv("STUB_CATALOG", " ".join(older + ["xilinx.com:ip:zynq_ultra_ps_e:3.4"]))
    calls, proc = helpers.run_stub("vivado", bdir / "vivado.tcl", tmp_path / "v.jsonl")
    assert _cell_vlnv(calls, "ps") == "xilinx.com:ip:zynq_ultra_ps_e:3.4"
    assert "zynq_ultra_ps_e:3.5 not in this Vivado's catalog; using" in proc.stdout


# ---- the stub itself catches mistakes (else the checks above would prove little) -------------

@pytest.mark.parametrize("body,msg", [
    ("create_project p d -part xc7z020clg400-1 -forse", "unknown option '-forse'"),
    ("create_projekt p d", "not a vivado command known to the stub"),
    ("create_project p d -part x\ncreate_bd_design s\n"
     "create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma:9.9 d", "not in the catalog"),
    ("create_project p d -part x\ncreate_bd_design s\n"
     "create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma:7.1 d\n"
     "connect_bd_intf_net [get_bd_intf_pins d/M_AXIS_MM2S] [get_bd_intf_pins d/M_AXIS_XX]",
     "is not a pin"),
    ("create_project p d -part x\nadd_files /no/such/file.v", "no such file"),
    ("create_project p d -part x\nlaunch_runs impl_1", "impl_1 before synth_1"),
])
def test_stub_rejects(tmp_path, body, msg):
    script = tmp_path / "bad.tcl"
    script.write_text(f"cd {tmp_path}\n{body}\n")
    _, proc = helpers.run_stub("vivado", script, tmp_path / "bad.jsonl", check=False)
    assert proc.returncode == 1
    assert msg in proc.stderr


# ---- fpga build: bad input and the run path -------------------------------------------------

def test_build_unknown_board(tmp_path, capsys):
    project = helpers.make_project(tmp_path)
    assert main(["build", str(project), "--board", "zedboard", "--scripts-only"]) == 2
    err = _stderr_line(capsys)
    assert "unknown board 'zedboard'; known: " in err and "pynq-z2" in err
    assert not (project / "build").exists()


def test_build_refuses_existing_without_force(tmp_path, capsys):
    project = helpers.make_project(tmp_path)
    bdir = _build(project, "kv260", "hls")
    (bdir / "vivado.tcl").write_text("# edited by hand\n")
    (bdir / "out").mkdir()
    (bdir / "out" / "fakenet.bit").write_text("earlier result")
    capsys.readouterr()
    assert main(["build", str(project), "--board", "kv260", "--from", "hls", "--scripts-only"]) == 2
    assert "already exists; use --force" in _stderr_line(capsys)
    assert (bdir / "vivado.tcl").read_text() == "# edited by hand\n"
    # --force rewrites the scripts, drops stale ones, keeps earlier results
    assert main(["build", str(project), "--board", "kv260", "--from", "rtl", "--scripts-only",
                 "--force"]) == 0
    assert (bdir / "vivado.tcl").read_text().startswith("# Vivado 2023.2")
    assert not (bdir / "hls.tcl").exists()
    assert not (bdir / "myproject_axis.cpp").exists() and not (bdir / "myproject_axis.h").exists()
    assert (bdir / "out" / "fakenet.bit").read_text() == "earlier result"
    assert not [p for p in (project / "build").iterdir() if p.name.startswith(".")]


def test_build_without_vivado_writes_scripts_and_exits_3(tmp_path, capsys, monkeypatch):
    project = helpers.make_project(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["build", str(project), "--board", "ultra96v2", "--from", "hls"]) == 3
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "not found on PATH" in err
    assert "vitis_hls -f hls.tcl" in captured.out
    assert "vivado -mode batch" in captured.out and "-source vivado.tcl" in captured.out
    for f in ("hls.tcl", "vivado.tcl", "flash_jtag.tcl", "build.json", "accel.json"):
        assert (project / "build" / "ultra96v2" / f).is_file()


@pytest.mark.parametrize("setup,args,msg", [
    (lambda p: (p / "ir.json").unlink(), [], "missing ir.json"),
    (lambda p: None, ["--from", "hls", "--top", "other"], "has no source"),
    (lambda p: (p / "rtl" / "extra.v").write_text("module lonely(); endmodule\n"),
     ["--from", "rtl"], "cannot tell the RTL top module"),
    (lambda p: [f.unlink() for f in (p / "rtl").iterdir()], ["--from", "rtl"], "no Verilog"),
    (lambda p: None, ["--clock-mhz", "0"], "--clock must be in 1..1000 MHz"),
])
def test_build_bad_project(tmp_path, capsys, setup, args, msg):
    project = helpers.make_project(tmp_path)
    setup(project)
    assert main(["build", str(project), "--board", "zcu102", "--scripts-only", *args]) == 2
    assert msg in _stderr_line(capsys)
    assert not (project / "build").exists()


def test_build_missing_project(tmp_path, capsys):
    assert main(["build", str(tmp_path / "nope"), "--board", "zcu102"]) == 2
    assert "does not exist" in _stderr_line(capsys)


def test_build_hls_top_from_firmware_without_manifest(tmp_path):
    project = helpers.make_project(tmp_path, manifest=False)
    bdir = _build(project, "pynq-z2", "hls")
    cfg = json.loads((bdir / "build.json").read_text())
    assert cfg["top"] == "myproject_axis" and cfg["hls_model_top"] == "myproject"


def test_build_runs_tools_with_progress(tmp_path, capsys, monkeypatch):
    """Fake vitis_hls/vivado on PATH that run the scripts under the stub: the full run path."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("vitis_hls", "vivado"):
        (bindir / tool).write_text(textwrap.dedent(f"""\
            #!/bin/sh
            while [ $# -gt 0 ]; do
                case "$1" in -source|-f) src="$2"; shift;; esac
                shift
            done
            exec {helpers.TCLSH} {helpers.STUB_DIR / 'run.tcl'} {tool} {tmp_path}/{tool}.jsonl "$src"
            """))
        (bindir / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    project = helpers.make_project(tmp_path)
    assert main(["build", str(project), "--board", "zcu104", "--from", "hls"]) == 0
    out = capsys.readouterr().out
    bdir = project / "build" / "zcu104"
    for ext in ("bit", "hwh", "xsa"):
        assert str(bdir / "out" / f"fakenet.{ext}") in out
    assert "myproject_axis_csynth.rpt" in out and "utilization.rpt" in out
    assert "FPGA-STEP" in (bdir / "vivado.out.log").read_text()


def test_build_tool_failure_is_one_line(tmp_path, capsys, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "vivado").write_text("#!/bin/sh\necho 'ERROR: [Common 17-39] boom'\nexit 1\n")
    (bindir / "vivado").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    project = helpers.make_project(tmp_path)
    assert main(["build", str(project), "--board", "kv260", "--from", "rtl"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("fpga build: error: vivado failed (exit 1)")
    assert "boom" in err[-1]


def test_unreadable_readmemh_file_is_an_error_not_a_warning(tmp_path, monkeypatch):
    """Out-of-context synthesis that cannot open a $readmemh file ([Synth 8-4445]) would give
    zero weights with only a critical warning; the script promotes it to an ERROR, so synthesis
    fails and nothing is implemented. Without that rule the stub's run completes (the check is
    what stops it)."""
    project = helpers.make_project(tmp_path)
    bdir = _build(project, "zcu104", "rtl")
    script = bdir / "vivado.tcl"
    text = script.read_text()
    assert "set_msg_config -id {Synth 8-4445} -new_severity ERROR" in text
    monkeypatch.setenv("STUB_MISSING_MEM", "conv1_w.mem")
    calls, proc = helpers.run_stub("vivado", script, tmp_path / "v.jsonl", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "ERROR: [Synth 8-4445] could not open $readmem data file 'conv1_w.mem'" in out
    assert "fpga: synthesis failed" in out
    assert not [c for c in _calls(calls, "launch_runs") if "impl_1" in c["args"]]
    # the same script without the promotion: only a critical warning, and the build goes on
    lax = bdir / "lax.tcl"            # beside vivado.tcl: it finds its files from there
    lax.write_text("\n".join(l for l in text.splitlines() if not l.startswith("set_msg_config")))
    calls, proc = helpers.run_stub("vivado", lax, tmp_path / "lax.jsonl", check=False)
    assert proc.returncode == 0
    assert "CRITICAL WARNING: [Synth 8-4445]" in proc.stdout


def _with_plan(project, bram36, uram):
    (project / "rtl" / "rtl.json").write_text(json.dumps(
        {"top": "accel_top", "memory_plan": {"bram36": bram36, "uram": uram}}))


@pytest.mark.parametrize("env,msg", [
    ({}, None),
    ({"STUB_RAMB36": "16", "STUB_RAMB18": "0"}, "WARNING: fpga: 16.0 BRAM36 in the accelerator against 15.5 planned"),
    ({"STUB_RAMB36": "0", "STUB_RAMB18": "0"}, "ROMs were optimised away"),
    ({"STUB_URAM": "3"}, "synthesis placed 3 URAM in the accelerator, the memory plan 2"),
])
def test_block_ram_and_uram_checked_against_the_plan(tmp_path, monkeypatch, env, msg):
    project = helpers.make_project(tmp_path)
    _with_plan(project, 15.5, 2)
    bdir = _build(project, "zcu104", "rtl")
    assert json.loads((bdir / "build.json").read_text())["plan_bram36"] == 15.5
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    calls, proc = helpers.run_stub("vivado", bdir / "vivado.tcl", tmp_path / "v.jsonl",
                                   check=False)
    out = proc.stdout + proc.stderr
    check = json.loads((bdir / "out" / "memory_check.json").read_text())
    assert check["plan_bram36"] == 15.5 and check["plan_uram"] == 2
    assert check["uram"] == int(env.get("STUB_URAM", 2))
    failing = msg is not None and not msg.startswith("WARNING")
    assert (proc.returncode != 0) == failing, out
    if msg:
        assert msg in out
    if not failing:
        assert check["bram36"] == (16.0 if env else 15.5)
        assert "FPGA-DONE" in proc.stdout


def test_hls_build_and_planless_rtl_skip_the_memory_check(tmp_path):
    project = helpers.make_project(tmp_path)
    bdir = _build(project, "zcu104", "rtl")
    assert json.loads((bdir / "build.json").read_text())["plan_bram36"] is None
    calls, proc = helpers.run_stub("vivado", bdir / "vivado.tcl", tmp_path / "v.jsonl")
    assert not _calls(calls, "get_cells") and not (bdir / "out" / "memory_check.json").exists()
