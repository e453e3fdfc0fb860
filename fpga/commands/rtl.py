"""fpga rtl: generate the open streaming Verilog for a converted project."""
from __future__ import annotations

from ._common import print_json, project_dir, say

HELP = "generate open, synthesizable streaming Verilog (PROJECT/rtl) from the IR"
DESCRIPTION = """Write PROJECT/rtl/: a top module with AXI4-Stream ports (beat format in fpga/beats.py),
the parameterised blocks it uses (copied from the package), one .mem file per weight ROM bank,
and rtl.json (folding, analytic II, FIFO depths and why). Folding (PE x SIMD per conv) is
balanced for the board's DSPs (the project's board; when the estimate says that design does
not fit, for the largest lane budget that does) unless --lanes sets the MAC-lane budget,
or --target-fps N asks for the cheapest folding that reaches N frames/s at the clock (--clock,
default the board's target): fewest MAC lanes (one DSP each) per conv, then fewest block RAM
for its weights, within the board by 'fpga fit's estimate; when N cannot be met it stops and
says why and what the best reachable rate is.
--weights load replaces the weight ROMs by RAMs filled through the weight-load port (AXI4-Lite
WLOAD_DATA, image format in fpga/beats.py): no .mem files, weights may then sit in UltraRAM,
and a new weight set of the same shapes and formats loads without re-synthesis; the design
refuses input until a complete image has been loaded (the board driver loads weights.npz at
start-up, 'fpga cosim' loads it through the port first)."""


def add_arguments(p):
    p.add_argument("project", help="converted project folder")
    p.add_argument("--lanes", type=int, help="MAC-lane budget for folding (default: board DSPs)")
    p.add_argument("--target-fps", type=float, metavar="N",
                   help="cheapest folding that reaches N frames/s at the clock (not with --lanes)")
    p.add_argument("--clock", type=float, metavar="MHZ",
                   help="target clock (default: the board's target, 'fpga boards')")
    p.add_argument("--weights", choices=("bitstream", "load"), default="bitstream",
                   help="how the weights are filled: 'bitstream' ROMs (default) or 'load', "
                        "through the weight-load port")
    p.add_argument("--force", action="store_true", help="replace an existing rtl/ folder")
    p.add_argument("--json", action="store_true", help="print rtl.json's summary as JSON")


def run(args) -> int:
    from ..rtl.generate import write_rtl
    project = project_dir(args.project)
    from ..errors import FpgaError
    if args.clock is not None and not 1 <= args.clock <= 1000:
        raise FpgaError(f"--clock must be in 1..1000 MHz, got {args.clock:g}")
    meta = write_rtl(project, force=args.force, lane_budget=args.lanes, clock_mhz=args.clock,
                     weights=args.weights, target_fps=args.target_fps)
    summary = {k: meta[k] for k in ("top", "board", "lane_budget", "model_ii_cycles", "mac_lanes",
                                    "dsp", "mac_utilisation", "clock_mhz", "weights")}
    summary["fps_at_clock"] = round(meta["clock_mhz"] * 1e6 / meta["model_ii_cycles"], 1)
    summary["clock_source"] = "target clock, not yet estimated (fpga timing)"
    if "target_fps" in meta:
        summary["target_fps"] = meta["target_fps"]["target_fps"]
    if args.json:
        print_json(summary)
    else:
        wl = meta["weight_load"]
        say(f"wrote {project}/rtl: top {meta['top']}, {len(meta['files'])} Verilog files, "
            + (f"weights through the load port ({wl['image_words']:,}-word image)"
               if meta["weights"] == "load" else f"{len(meta['mem_files'])} ROM files"))
        auto = meta.get("folding") or {}
        if auto.get("over_at_board_dsp"):
            say(f"at {meta['board']}'s DSPs the estimate needs more "
                f"{', '.join(auto['over_at_board_dsp'])} than it has: "
                + (f"folded to <= {meta['lane_budget']} MAC lanes, the most that fit ('fpga fit')"
                   if auto["fits"] else "no lane budget fits ('fpga fit' says what would)"))
        say(f"{meta['mac_lanes']} MAC lanes (budget {meta['lane_budget']}), analytic II "
            f"{meta['model_ii_cycles']:,} cycles = {summary['fps_at_clock']:,} frames/s at the "
            f"{meta['clock_mhz']:g} MHz target clock (not yet timed: 'fpga timing {project}'), "
            f"MAC utilisation {meta['mac_utilisation'] * 100:.1f}%"
            + (f", the cheapest folding for >= {meta['target_fps']['target_fps']:g} frames/s"
               if "target_fps" in meta else ""))
    return 0
