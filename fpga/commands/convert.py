"""fpga convert: QKeras model -> hls4ml streaming project + IR + manifest."""
from __future__ import annotations

from ._common import print_json, say

HELP = "convert a QKeras model into an hls4ml io_stream project (hls_projects/NAME)"
DESCRIPTION = """Convert a QKeras model with hls4ml 1.3 (Vitis backend, io_stream, Resource strategy).

Every layer's precision comes from its QKeras quantizers; accumulators are exact; weights are
block-RAM ROMs (ReuseFactor > 1). Overlapping max pools (3x3/2) use our hls4ml extension.
Writes OUT/hls (the HLS project), OUT/ir.json + weights.npz (the shared IR), OUT/model.h5 and
OUT/manifest.json (hashes, tool versions, per-layer formats, reuse, memory). The folder is
written aside and renamed, so it is never half-written."""


def add_arguments(p):
    p.add_argument("model", help="QKeras model file (.h5)")
    p.add_argument("-o", "--output", required=True, help="project folder, e.g. hls_projects/NAME")
    p.add_argument("--board", default=None, help="target board (see 'fpga boards'); default pynq-z2")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--reuse", help="ReuseFactor: N for every conv, or LAYER=N,LAYER=N "
                                  "(default: balanced for the board's DSPs)")
    g.add_argument("--config", help="JSON file merged into the hls4ml config "
                                   "({'Model': {...}, 'LayerName': {...}})")
    p.add_argument("--input-bits", type=int, default=8,
                   help="input format is ufixed<BITS,0> (pixels / 2**BITS); default 8")
    p.add_argument("--force", action="store_true", help="replace an existing project folder")
    p.add_argument("--json", action="store_true", help="print the manifest summary as JSON")
    p.add_argument("--verbose", action="store_true",
                   help="also show Keras's and hls4ml's warnings (always in PROJECT/logs/convert.log)")


def run(args) -> int:
    from ..hls.convert import convert
    m = convert(args.model, args.output, board=args.board, reuse_text=args.reuse,
                config_file=args.config, force=args.force, input_bits=args.input_bits, progress=say,
                verbose=args.verbose)
    summary = {k: m[k] for k in ("name", "board", "part", "params", "macs", "weight_bytes",
                                 "weights_rom_bram36", "convert_seconds")}
    summary["project"] = str(args.output)
    if args.json:
        print_json(summary)
    else:
        convs = [l for l in m["layers"] if l["kind"] == "conv"]
        say(f"wrote {args.output}: {len(m['layers'])} layers ({len(convs)} convolutions), "
            f"{m['params']:,} params, {m['macs']:,} MACs/frame, {m['weight_bytes']:,} weight bytes, "
            f"reuse {min(l['reuse'] for l in convs)}..{max(l['reuse'] for l in convs)}, "
            f"target {m['board']} ({m['part']})")
    return 0
