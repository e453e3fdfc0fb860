"""Shared by tests/test_vendor_tcl.py and tests/test_flash.py: a tiny fake project folder and
a runner for generated Tcl under the vendor-command stub (a check of the script, not a build)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from fpga.fixed import Fmt
from fpga.graph import Graph, Layer

STUB_DIR = Path(__file__).resolve().parent
TCLSH = shutil.which("tclsh") or "/usr/bin/tclsh"
# The command options and IP user parameters the stub accepts, with their AMD sources; stub.tcl
# reads it itself (STUB_REFERENCE=FILE points it at another copy).
REFERENCE = STUB_DIR / "amd_reference.json"


def load_reference(path: Path = REFERENCE) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))

IN_SHAPE = (4, 5, 3)
IN_FMT = Fmt(8, 0, signed=False)
CLASSES = 6
OUT_FMT = Fmt(12, 6, signed=True)


def make_graph(in_shape=IN_SHAPE, in_fmt=IN_FMT, classes=CLASSES, out_fmt=OUT_FMT) -> Graph:
    return Graph("fake", [
        Layer("input_1", "input", [], tuple(in_shape), in_fmt),
        Layer("gap", "gap", ["input_1"], (1, 1, classes), out_fmt),
    ])


def make_project(root: Path, name="fakenet", hls=True, rtl=True, manifest=True,
                 **graph_kw) -> Path:
    """A project folder as fpga convert/rtl would leave it, with just what the build reads."""
    p = Path(root) / name
    p.mkdir(parents=True)
    make_graph(**graph_kw).save(p)
    if hls:
        fw = p / "hls" / "firmware"
        fw.mkdir(parents=True)
        # an hls4ml io_stream top, shaped like the real one (one weight array as an argument)
        (fw / "myproject.h").write_text(
            '#include "hls_stream.h"\n#include "defines.h"\n'
            "void myproject(\n    hls::stream<input_t> &input_1,\n"
            "    hls::stream<result_t> &layer2_out,\n    weight2_t w2[9] // conv\n);\n")
        (fw / "myproject.cpp").write_text(
            '#include "myproject.h"\nvoid myproject(hls::stream<input_t> &input_1, '
            "hls::stream<result_t> &layer2_out, weight2_t w2[9]) {}\n")
        (fw / "weights").mkdir()
        (fw / "weights" / "w2.h").write_text("weight2_t w2[9];\n")
    if rtl:
        r = p / "rtl"
        r.mkdir()
        (r / "accel_top.v").write_text(
            "// top\nmodule accel_top(input ap_clk, input ap_rst_n);\n"
            "  conv_block #(.W(8)) u0 (.clk(ap_clk));\nendmodule\n")
        (r / "conv_block.v").write_text(
            "module conv_block #(parameter W = 8) (input clk);\n"
            "  initial $readmemh(\"conv1_w.mem\", rom);\nendmodule\n")
        (r / "conv1_w.mem").write_text("00\n01\n")
    if manifest:
        (p / "manifest.json").write_text(json.dumps({"hls_top": "myproject"}))
    return p


def run_stub(tool: str, script: Path, log: Path, *tclargs, check=True, reference=None):
    """Source ``script`` under tclsh with the stub for ``tool``; returns (calls, proc).
    ``reference``: another amd_reference.json for the stub to read (default: the one beside it)."""
    env = None
    if reference is not None:
        env = dict(os.environ, STUB_REFERENCE=str(reference))
    proc = subprocess.run([TCLSH, str(STUB_DIR / "run.tcl"), tool, str(log), str(script),
                           *map(str, tclargs)], capture_output=True, text=True, timeout=60,
                          env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"{script.name} failed under the stub:\n{proc.stdout}\n"
                             f"{proc.stderr}")
    calls = [json.loads(line) for line in Path(log).read_text().splitlines() if line.strip()]
    return calls, proc
