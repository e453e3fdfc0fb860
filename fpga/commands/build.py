"""fpga build: write the Vitis HLS / Vivado scripts for a board, and run them if Vivado is here."""
from __future__ import annotations

import os
import shlex
from pathlib import Path

from ..boards import add_boards_file_argument, get_board
from ..driver.meta import accel_meta, meta_json
from ..errors import FpgaError
from ..vendor import runner
from ..vendor.config import SOURCES, from_project, load_graph
from ..vendor.ip import VIVADO_VERSION
from ..vendor.layout import Layout
from ..vendor.scripts import generate, write_build_dir

HELP = "write (and run, if Vivado is installed) the Vivado build scripts for a board"
DESCRIPTION = f"""Write the vendor build scripts for BOARD into PROJECT/build/BOARD/:
  hls.tcl         Vitis HLS: synthesise the hls4ml project behind the beat-format wrapper
                  <top>_axis.cpp/.h (also written here), export it as IP (--from hls)
  vivado.tcl      Vivado: PS + AXI DMA + accelerator block design, bitstream, and
                  out/NAME.bit, out/NAME.hwh, out/NAME.xsa (--from rtl packages rtl/*.v as IP)
  flash_jtag.tcl  Vivado hardware manager: program the bitstream over JTAG
  build.json, accel.json  what the scripts were made from; stream format for the driver
Scripts follow Vivado/Vitis HLS {VIVADO_VERSION}. If vivado (and vitis_hls for --from hls) are on
PATH they are run with a progress display; otherwise the commands to run are printed.

exit status: 0 built (or --scripts-only); 2 bad input (unknown board, missing project files,
build folder exists without --force); 3 scripts written but vivado/vitis_hls not on PATH."""


def add_arguments(p):
    p.add_argument("project", help="project folder (with ir.json, hls/ and/or rtl/)")
    p.add_argument("--board", required=True, help="target board (see 'fpga boards')")
    p.add_argument("--from", dest="source", choices=SOURCES, default="rtl",
                   help="accelerator source: our open RTL (default; follows the AXI beat "
                        "format with tlast, needs no HLS tool) or the hls4ml HLS project "
                        "behind a generated wrapper top <top>_axis that speaks the same beat "
                        "format (needs Vitis HLS)")
    p.add_argument("--top", help="HLS top function / RTL top module (default: manifest.json "
                                 "'hls_top'/'rtl_top', else found in hls/firmware or rtl/)")
    p.add_argument("--clock", "--clock-mhz", dest="clock_mhz", type=float, metavar="MHZ",
                   help="target fabric clock (default: the board's target, 'fpga boards'); the "
                        "script makes it (PS clock or a clocking wizard) and fails on negative "
                        "WNS/WHS after route")
    p.add_argument("--jobs", type=int, default=min(8, os.cpu_count() or 1),
                   help="parallel Vivado run jobs (default: %(default)s)")
    p.add_argument("--scripts-only", action="store_true",
                   help="only write the scripts, do not run the vendor tools")
    p.add_argument("--force", action="store_true",
                   help="overwrite the scripts of an existing build folder")
    add_boards_file_argument(p)


def _commands(cfg) -> list:
    cmds = []
    if cfg.source == "hls":
        cmds.append(("vitis_hls", "hls.tcl"))
    cmds.append(("vivado", "vivado.tcl"))
    return cmds


def run(args) -> int:
    board = get_board(args.board, args.boards_file)
    project = Path(args.project).resolve()
    if not project.is_dir():
        raise FpgaError(f"project folder {args.project} does not exist")
    if args.clock_mhz is not None and not 1 <= args.clock_mhz <= 1000:
        raise FpgaError(f"--clock must be in 1..1000 MHz, got {args.clock_mhz:g}")
    if args.jobs < 1:
        raise FpgaError("--jobs must be at least 1")
    graph = load_graph(project)
    cfg = from_project(project, board, args.source, graph=graph, top=args.top,
                       clock_mhz=args.clock_mhz, jobs=args.jobs)
    layout = Layout(project, board.name)
    files = generate(cfg, meta_json(accel_meta(graph, cfg.name, cfg.in_tdata_bits, cfg.build_id,
                                             cfg.weight_load)))
    write_build_dir(layout.build_dir, files, force=args.force)

    cmds = _commands(cfg)
    print(f"wrote {layout.build_dir}: {', '.join(files)}")
    print(f"board {board.name} ({board.part}, {cfg.clock_mhz:g} MHz), accelerator from "
          f"{cfg.source}: {cfg.accel_vlnv}, streams {cfg.in_tdata_bits}/{cfg.out_tdata_bits} bits")
    print("build commands:")
    print(f"  cd {shlex.quote(str(layout.build_dir))}")
    for tool, script in cmds:
        print(f"  {shlex.join(runner.command(tool, layout.script(script)))}")
    if args.scripts_only:
        return 0

    runner.require([t for t, _ in cmds], f"--from {cfg.source}",
                   f"scripts written to {layout.build_dir}; run the commands above where "
                   f"Vivado {VIVADO_VERSION} is installed")
    for tool, script in cmds:
        log = runner.run_tool(tool, layout.script(script))
        print(f"{tool} done; log {log}")
    for p in (layout.bit, layout.hwh, layout.xsa):
        if not p.is_file():
            raise FpgaError(f"vivado finished but {p} is missing; see {layout.build_dir}")
    print("results:")
    for p in (layout.bit, layout.hwh, layout.xsa):
        print(f"  {p}")
    reps = runner.reports(layout.build_dir, cfg.top)
    if reps:
        print("reports:")
        for p in reps:
            print(f"  {p}")
    return 0
