"""fpga fit: will the model fit the board? (analytic, from the IR and the folding)."""
from __future__ import annotations

from ..boards import add_boards_file_argument
from ._common import print_json, project_dir

HELP = "check that the model fits a board: BRAM/URAM, DSP, LUT/FF estimate, verdict and advice"
DESCRIPTION = """Estimate the on-chip resources of the streaming RTL for a board and say whether it
fits -- no tools needed, a second or two.

Counted from the IR and the folding (rtl/rtl.json's PE x SIMD when 'fpga rtl' was run for this
board, else the default folding for the board's DSPs): weight ROM banks (one per PE, mapped to
the cheapest BRAM36/BRAM18 aspect ratio, or LUTs when small), bias ROMs, line buffers of the
window generators and max-pools (Kh+Sh rows), FIFOs (rtl.json, else an estimate of the join skew
FIFOs), one DSP48 per MAC lane, and a LUT/FF estimate calibrated against Yosys. Memories move to
URAM when block RAM runs out on boards that have it: buffers always, weights only with the
weight-load port ('fpga rtl --weights load': UltraRAM cannot be filled by the bitstream). The
JSON says how the weights are filled ("weight_init": "bitstream" or "load-port"). Without an
RTL for the board, --weights picks the mode to check; by default the bitstream is tried first
and, on a board with UltraRAM, the load port when that does not fit. Details: fpga/fit.py.

Exit status: 0 fits, 1 does not fit (the message says what is short and what to change, e.g.
a smaller width multiplier, fewer bits, more folding or a bigger board), 2 bad input.
For figures from real synthesis of the generated RTL use 'fpga synth'."""


def add_arguments(p):
    p.add_argument("project", help="converted project folder (fpga convert ... -o DIR)")
    p.add_argument("--board", default=None,
                   help="target board (see 'fpga boards'); default: the project's board")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.add_argument("--clock", type=float, metavar="MHZ",
                   help="target clock for frames/s (default: the board's target)")
    p.add_argument("--weights", choices=("bitstream", "load"),
                   help="weights mode to check when there is no RTL for the board (default: "
                        "bitstream, then the load port if that does not fit)")
    p.add_argument("--per-layer", action="store_true",
                   help="also print the per-layer table (always in --json)")
    add_boards_file_argument(p)


def _mem(n):
    return f"{n:g}"


def print_report(rep: dict, per_layer: bool = False) -> None:
    def line(name, need, have, unit=""):
        pct = f"{100.0 * need / have:5.1f}%" if have else ("    -" if not need else " over")
        print(f"  {name:8} {need:>12,} / {have:<10,} {pct}{unit}")

    print(f"{rep['board']} ({rep['part']}): {rep['mac_lanes']} MAC lanes, II "
          f"{rep['model_ii_cycles']:,} cycles = {rep['fps_at_clock']:g} frames/s at "
          f"{rep['clock_source']} (folding from {rep['folding']}; weights: "
          f"{rep['weight_init']})")
    line("BRAM36", rep["bram36"], rep["bram36_available"])
    line("URAM", rep["uram"], rep["uram_available"])
    line("DSP", rep["dsp"], rep["dsp_available"])
    line("LUT", rep["lut"], rep["lut_available"], "  (estimate)")
    line("FF", rep["ff"], rep["ff_available"], "  (estimate)")
    m = rep["memory"]
    print(f"  weights {rep['weights_bits']:,} bits: {_mem(m['weights_bram36'])} BRAM36"
          + (f" + {m['weights_uram']} URAM" if m["weights_uram"] else "")
          + f" + {m['weights_lut']:,} LUTs; line buffers {_mem(m['linebuf_bram36'])} BRAM36"
          + (f" + {m['linebuf_uram']} URAM" if m["linebuf_uram"] else "")
          + f"; FIFOs ({rep['fifos_from']}) {_mem(m['fifo_bram36'])} BRAM36")
    if per_layer:
        print(f"  {'layer':22} {'kind':8} {'PE':>4} {'SIMD':>4} {'BRAM36':>7} {'URAM':>5} "
              f"{'DSP':>5} {'LUT':>8} {'FF':>8}")
        for l in rep["per_layer"]:
            print(f"  {l['name']:22} {l['kind']:8} {l.get('pe', ''):>4} {l.get('simd', ''):>4} "
                  f"{_mem(l['bram36']):>7} {l['uram']:>5} {l['dsp']:>5} {l['lut']:>8,} "
                  f"{l['ff']:>8,}")
    print(("OK: " if rep["fits"] else "NO: ") + rep["verdict"])
    for a in rep["advice"]:
        print(f"  - {a}")


def run(args) -> int:
    from ..fit import fit_report
    project = project_dir(args.project)
    rep = fit_report(project, args.board, boards_file=args.boards_file, clock_mhz=args.clock,
                     weights=args.weights)
    if args.json:
        print_json(rep)
    else:
        print_report(rep, per_layer=args.per_layer)
    return 0 if rep["fits"] else 1
