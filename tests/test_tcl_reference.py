"""tests/tcl_stub/amd_reference.json: the AMD-sourced list of Tcl command options and IP user
parameters (CONFIG.*) that the tclsh stub checks the generated scripts against.

- the file's schema: every command, option and CONFIG name has a source, and every source it
  names is in its "sources" list;
- every command, option and CONFIG name the generated scripts use (every board, both sources,
  plus the clocking-wizard path) is in the list;
- the stub really reads the list: a misspelt option, a misspelt CONFIG name, or an option
  taken out of a copy of the list makes it fail with a one-line message.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

import pytest

from fpga.boards import load_boards
from fpga.cli import main
from fpga.vendor.ip import VLNV

_spec = importlib.util.spec_from_file_location(
    "tcl_stub_helpers", Path(__file__).parent / "tcl_stub" / "helpers.py")
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

pytestmark = pytest.mark.skipif(not os.path.exists(helpers.TCLSH), reason="tclsh not installed")

REF = helpers.load_reference()
BOARDS = sorted(load_boards())
TOOLS = ("vivado", "vitis_hls")
_OPTION = re.compile(r"^-[A-Za-z_]")


# ---- schema ---------------------------------------------------------------------------------

def _source_ids():
    return {s["id"] for s in REF["sources"]}


def _check_source(src, where):
    """A source is a document page (dict), 'corroborated by OWNER/NAME PATH', or 'unsourced'."""
    ids = _source_ids()
    if isinstance(src, dict):
        for key in ("doc", "release", "page", "url"):
            assert src.get(key), f"{where}: source has no {key}: {src}"
        assert src["doc"] in ids, f"{where}: document {src['doc']} is not in 'sources'"
        assert re.fullmatch(re.escape(src["doc"]) + r" \(v[0-9][0-9.]*\)", src["release"]), where
        assert src["url"].startswith("https://"), where
        return "sourced"
    assert isinstance(src, str), f"{where}: bad source {src!r}"
    if src == "unsourced":
        return "unsourced"
    m = re.fullmatch(r"corroborated by ([\w.-]+/[\w.-]+) (\S+)", src)
    assert m, f"{where}: source must be a document, 'corroborated by REPO PATH' or 'unsourced': {src!r}"
    assert m.group(1) in ids, f"{where}: repository {m.group(1)} is not in 'sources'"
    return "corroborated"


def test_reference_schema():
    assert REF["format"] == "amd_reference" and REF["format_version"] == 1
    assert REF["data_version"] and REF["how_made"]
    ids = [s["id"] for s in REF["sources"]]
    assert len(ids) == len(set(ids)), "duplicate source ids"
    for s in REF["sources"]:
        assert s["url"].startswith("https://"), s
        if s.get("kind") != "repository":
            assert s["title"] and s["version"], s
            if s["id"].startswith("UG"):
                assert s["url"].startswith("https://docs.amd.com/"), s
    assert set(REF["commands"]) == set(TOOLS)
    for tool in TOOLS:
        assert REF["commands"][tool], tool
        for name, cmd in REF["commands"][tool].items():
            where = f"{tool} {name}"
            _check_source(cmd["source"], where)
            for opt, n in cmd["options"].items():
                assert _OPTION.match(opt) and n in (0, 1), f"{where} {opt}={n}"
            for opt, extra in cmd.get("extra_options", {}).items():
                assert _OPTION.match(opt) and extra["values"] in (0, 1), f"{where} {opt}"
                assert opt not in cmd["options"], f"{where} {opt} is listed twice"
                _check_source(extra["source"], f"{where} {opt}")
    for vlnv, ip in REF["ips"].items():
        assert re.fullmatch(r"[\w.]+:[\w]+:[\w]+:[0-9.]+", vlnv), vlnv
        assert ip["name"] and "product_guide" in ip, vlnv
        _check_source(ip["source"], vlnv)
        for name, entry in ip["config"].items():
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name), f"{vlnv} {name}"
            _check_source(entry["source"], f"{vlnv} CONFIG.{name}")


# how many names had no documentary source when the list was made (2026-12-03); a change that
# adds unsourced names must say so here
UNSOURCED_AT_MOST = {"command": 1, "extra option": 4, "ip": 0, "CONFIG": 3}


def test_unsourced_names_do_not_grow():
    """Every source is a page, a corroborating script or 'unsourced', and the unsourced names
    stay at the counts recorded when the list was made."""
    tally = {}
    for tool in TOOLS:
        for cmd in REF["commands"][tool].values():
            k = _check_source(cmd["source"], "")
            tally[("command", k)] = tally.get(("command", k), 0) + 1
            for extra in cmd.get("extra_options", {}).values():
                k = _check_source(extra["source"], "")
                tally[("extra option", k)] = tally.get(("extra option", k), 0) + 1
    for ip in REF["ips"].values():
        k = _check_source(ip["source"], "")
        tally[("ip", k)] = tally.get(("ip", k), 0) + 1
        for entry in ip["config"].values():
            k = _check_source(entry["source"], "")
            tally[("CONFIG", k)] = tally.get(("CONFIG", k), 0) + 1
    assert {k for _, k in tally} <= {"sourced", "corroborated", "unsourced"}
    for kind, limit in UNSOURCED_AT_MOST.items():
        assert tally.get((kind, "unsourced"), 0) <= limit, (kind, tally)
    assert tally[("command", "sourced")] >= 46


def test_stub_defines_only_listed_commands_and_catalog_is_the_ips():
    text = (helpers.STUB_DIR / "stub.tcl").read_text()
    defs = re.findall(r"^::stub::def\s+(\{[^}]*\}|\S+)\s+(\S+)", text, re.M)
    assert len(defs) > 50
    for tools, name in defs:
        for tool in tools.strip("{}").split():
            assert name in REF["commands"][tool], f"stub defines {tool} {name}, not in the reference"
    # the IPs the scripts instantiate are all described
    for vlnv in VLNV.values():
        assert vlnv in REF["ips"], vlnv


# ---- everything the generated scripts use is in the list ------------------------------------

def _spec(tool, cmd):
    entry = REF["commands"][tool][cmd]
    spec = dict(entry["options"])
    spec.update({o: e["values"] for o, e in entry.get("extra_options", {}).items()})
    return spec


def _used(tool, calls, problems, cells):
    """Check each logged call against the reference; collect CONFIG names per cell."""
    for c in calls:
        cmd, args = c["cmd"], c["args"]
        if cmd not in REF["commands"][tool]:
            problems.append(f"{tool}: command {cmd} not in the reference")
            continue
        spec = _spec(tool, cmd)
        i = 0
        while i < len(args):
            a = args[i]
            if a in spec:
                i += 1 + spec[a]
                continue
            if _OPTION.match(a):
                problems.append(f"{tool} {cmd}: option {a} not in the reference")
            i += 1
        if cmd == "create_bd_cell" and "-vlnv" in args:
            cells["/" + args[-1].lstrip("/")] = args[args.index("-vlnv") + 1]
        if cmd in ("set_property", "get_property"):
            if args[0] == "-dict":
                names, obj = args[1].split()[::2], args[-1]
            else:
                names, obj = [args[0]], (args[-1] if cmd == "set_property" else args[1])
            for n in names:
                if n.startswith("CONFIG."):
                    yield obj, n


def _check_config(cells, used, problems):
    ips = REF["ips"]
    for obj, name in used:
        vlnv = cells.get(obj)
        if vlnv is None or vlnv not in ips:
            continue  # our accelerator IP: not an AMD IP
        if name[len("CONFIG."):] not in ips[vlnv]["config"]:
            problems.append(f"{vlnv} ({obj}): {name} not in the reference")


def _build(project, board, source, *extra):
    rc = main(["build", str(project), "--board", board, "--from", source, "--scripts-only",
               *extra])
    assert rc == 0
    return project / "build" / board


@pytest.mark.parametrize("source", ["hls", "rtl"])
@pytest.mark.parametrize("board", BOARDS)
def test_generated_scripts_use_only_listed_names(tmp_path, board, source):
    project = helpers.make_project(tmp_path)
    bdir = _build(project, board, source)
    problems, cells, used = [], {}, []
    runs = [("vivado", bdir / "vivado.tcl"), ("vivado", bdir / "flash_jtag.tcl")]
    if source == "hls":
        runs.insert(0, ("vitis_hls", bdir / "hls.tcl"))
    for tool, script in runs:
        calls, _ = helpers.run_stub(tool, script, tmp_path / f"{script.stem}.jsonl")
        assert calls
        used += list(_used(tool, calls, problems, cells))
    _check_config(cells, used, problems)
    assert not problems, "\n".join(problems)
    assert any(n.startswith("CONFIG.c_") for _, n in used)      # the DMA was configured


def test_clocking_wizard_path_uses_only_listed_names(tmp_path):
    """215 MHz on pynq-z2: the PS cannot make it, so the script adds (and configures) clk_wiz."""
    project = helpers.make_project(tmp_path)
    bdir = _build(project, "pynq-z2", "rtl", "--clock-mhz", "215")
    calls, _ = helpers.run_stub("vivado", bdir / "vivado.tcl", tmp_path / "v.jsonl")
    problems, cells = [], {}
    used = list(_used("vivado", calls, problems, cells))
    _check_config(cells, used, problems)
    assert not problems, "\n".join(problems)
    assert cells.get("/clk_wiz") == VLNV["clk_wiz"]
    assert ("/clk_wiz", "CONFIG.PRIM_IN_FREQ") in used


# ---- the stub rejects what the list does not have ------------------------------------------

def _error_line(proc):
    lines = [l for l in proc.stderr.splitlines() if l.startswith("SCRIPT ERROR:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


BD = ("create_project p d -part xc7z020clg400-1\ncreate_bd_design s\n"
      "set d [create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma:7.1 axi_dma]\n")


@pytest.mark.parametrize("body,names", [
    # misspelt options
    (BD.replace("-vlnv", "-vlvn"), ["create_bd_cell", "'-vlvn'"]),
    (BD + "launch_runs synth_1 -job 2\n", ["launch_runs", "'-job'"]),
    ("open_hw_manager\nconnect_hw_server -ulr localhost:3121\n", ["connect_hw_server", "'-ulr'"]),
    # options the old, generator-shaped tables accepted but the AMD references do not list
    ("create_project p d -part x\nset_msg_config -id {Synth 8-4445} -ruleid 3 -new_severity ERROR\n",
     ["set_msg_config", "'-ruleid'"]),
    # misspelt CONFIG names, set and read
    (BD + "set_property -dict [list CONFIG.c_include_sgg 0] $d\n",
     ["CONFIG.c_include_sgg", "xilinx.com:ip:axi_dma:7.1"]),
    (BD + "set_property CONFIG.c_mm2s_burst 16 $d\n",
     ["CONFIG.c_mm2s_burst", "xilinx.com:ip:axi_dma:7.1"]),
    ("create_project p d -part x\ncreate_bd_design s\n"
     "set ps [create_bd_cell -type ip -vlnv xilinx.com:ip:processing_system7:5.5 ps]\n"
     "get_property CONFIG.PCW_ACT_FPGA0_PERIPHRAL_FREQMHZ $ps\n",
     ["CONFIG.PCW_ACT_FPGA0_PERIPHRAL_FREQMHZ", "processing_system7"]),
])
def test_stub_rejects_names_not_in_the_list(tmp_path, body, names):
    script = tmp_path / "bad.tcl"
    script.write_text(f"cd {tmp_path}\n{body}")
    _, proc = helpers.run_stub("vivado", script, tmp_path / "bad.jsonl", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = _error_line(proc)
    for n in names:
        assert n in line, line


def test_stub_rejects_misspelt_config_in_a_generated_script(tmp_path):
    project = helpers.make_project(tmp_path)
    bdir = _build(project, "zcu104", "rtl")
    text = (bdir / "vivado.tcl").read_text()
    assert "CONFIG.PSU__USE__IRQ0 1" in text
    bad = bdir / "bad.tcl"            # beside vivado.tcl: it finds its files from there
    bad.write_text(text.replace("CONFIG.PSU__USE__IRQ0 1", "CONFIG.PSU__USE_IRQ0 1"))
    _, proc = helpers.run_stub("vivado", bad, tmp_path / "bad.jsonl", check=False)
    assert proc.returncode == 1
    line = _error_line(proc)
    assert "CONFIG.PSU__USE_IRQ0" in line and "zynq_ultra_ps_e" in line


def test_stub_reads_the_list(tmp_path):
    """Take -norecurse out of add_files in a copy of the list: the generated script now fails;
    take CONFIG.NUM_PORTS out of xlconcat: likewise. The unmodified copy passes."""
    project = helpers.make_project(tmp_path)
    bdir = _build(project, "pynq-z2", "rtl")
    copy = tmp_path / "ref.json"
    copy.write_text(json.dumps(REF))
    helpers.run_stub("vivado", bdir / "vivado.tcl", tmp_path / "ok.jsonl", reference=copy)

    ref = json.loads(json.dumps(REF))
    del ref["commands"]["vivado"]["add_files"]["options"]["-norecurse"]
    copy.write_text(json.dumps(ref))
    _, proc = helpers.run_stub("vivado", bdir / "vivado.tcl", tmp_path / "a.jsonl",
                               check=False, reference=copy)
    assert proc.returncode == 1 and "add_files: unknown option '-norecurse'" in _error_line(proc)

    ref = json.loads(json.dumps(REF))
    del ref["ips"][VLNV["xlconcat"]]["config"]["NUM_PORTS"]
    copy.write_text(json.dumps(ref))
    _, proc = helpers.run_stub("vivado", bdir / "vivado.tcl", tmp_path / "b.jsonl",
                               check=False, reference=copy)
    assert proc.returncode == 1 and "CONFIG.NUM_PORTS" in _error_line(proc)
