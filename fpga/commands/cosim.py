"""fpga cosim: the generated RTL in Verilator (a C++ testbench, or cocotb) against the reference."""
from __future__ import annotations

import numpy as np

from ..errors import MismatchError
from ._common import print_json, project_dir, say

HELP = "co-simulate the generated RTL (Verilator) and compare with the reference"
DESCRIPTION = """Build the project's RTL with Verilator (cached), stream N frames back to back through
its AXI4-Stream ports (random valid gaps and ready backpressure with probability P), and
compare every output as integers with the numpy reference. Reports the measured initiation
interval (II) and latency in clock cycles next to the analytic II.
Engines: "fast" (default), a C++ testbench compiled with the model; "cocotb", the Python
testbench with cocotbext-axi, much slower, the one that writes waveforms (--waves).
Inputs: --inputs X.npy (raw integers, (N,H,W,C)); else the dataset test split; else random.
An RTL made with 'fpga rtl --weights load' first gets its weights through the weight-load port
(the project's weights.npz, or --weights W.npz: another weight set of the same shapes and
formats, which the reference then uses too).
Exit 0 only when there are no mismatches (1 otherwise)."""


def add_arguments(p):
    p.add_argument("project", help="converted project folder with generated RTL (fpga rtl)")
    p.add_argument("--frames", type=int, default=20, help="frames to stream (default 20)")
    p.add_argument("--inputs", help=".npy of raw input integers, (N,H,W,C)")
    p.add_argument("--save-outputs", help="write the RTL outputs (raw integers) to this .npy")
    p.add_argument("--backpressure", type=float, default=0.0,
                   help="probability of a valid gap / ready drop each cycle (0..0.95)")
    p.add_argument("--seed", type=int, default=0, help="seed for random inputs and stalls")
    p.add_argument("--engine", choices=["fast", "cocotb"],
                   help="simulation engine (default fast; cocotb with --waves)")
    p.add_argument("--waves", action="store_true",
                   help="write an FST waveform (rtl/cosim.fst; cocotb engine)")
    p.add_argument("--weights", metavar="NPZ",
                   help="weight set to load through the weight-load port (RTL made with "
                        "--weights load; '<layer>/w', '<layer>/b' raw integers like the "
                        "project's weights.npz)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def with_weights(graph, path):
    """``graph`` with every conv's weights and bias from the .npz at ``path`` (same shapes)."""
    from ..errors import FpgaError
    try:
        with np.load(path) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise FpgaError(f"--weights {path}: {e}") from None
    for layer in graph.layers:
        if layer.kind == "conv":
            w, b = arrays.get(f"{layer.name}/w"), arrays.get(f"{layer.name}/b")
            if w is None or b is None or w.shape != layer.weights.shape or b.shape != layer.bias.shape:
                raise FpgaError(f"--weights {path}: {layer.name}/w and /b must be "
                                f"{layer.weights.shape} and {layer.bias.shape}")
            layer.weights, layer.bias = w.astype(np.int64), b.astype(np.int64)
    return graph


def run(args) -> int:
    from ..errors import FpgaError
    from ..cosim.fast import simulate_fast
    from ..cosim.runner import cosimulate, rtl_manifest
    from ..graph import Graph
    from ..inputs import frames_for
    from ..reference import run as reference_run
    if not 0 <= args.backpressure <= 0.95:
        raise FpgaError("--backpressure must be between 0 and 0.95")
    engine = args.engine or ("cocotb" if args.waves else "fast")
    if args.waves and engine != "cocotb":
        raise FpgaError("--waves needs the cocotb engine (--engine cocotb)")
    project = project_dir(args.project)
    graph = Graph.load(project)
    meta = rtl_manifest(project)
    x, source, labels = frames_for(project, graph, args.frames, args.inputs, args.seed)
    say(f"inputs: {source}; backpressure {args.backpressure}; {engine} engine")
    if args.weights:
        graph = with_weights(graph, args.weights)
    if engine == "fast":
        r = simulate_fast(project, x, backpressure=args.backpressure, seed=args.seed + 1,
                          progress=say, weights_file=args.weights)
    else:
        r = cosimulate(project, x, backpressure=args.backpressure, seed=args.seed + 1,
                       waves=args.waves, progress=say, weights_file=args.weights)
    got, ref = r["outputs"], reference_run(graph, x)
    if args.save_outputs:
        np.save(args.save_outputs, got)
    mism = int((got != ref).sum()) if got.shape == ref.shape else int(ref.size)
    result = {"frames": int(len(x)), "outputs_compared": int(ref.size), "mismatches": mism,
              "max_abs_diff": int(np.abs(got - ref).max(initial=0)) if got.shape == ref.shape else None,
              "ii_cycles": r["ii_cycles"], "latency_cycles": r["latency_cycles"],
              "sim_cycles_per_s": round(r["sim_cycles_per_s"] or 0),
              "model_ii_cycles": meta["model_ii_cycles"], "mac_lanes": meta["mac_lanes"],
              "backpressure": args.backpressure, "inputs": source, "engine": r["engine"],
              "verilator_build_s": round(r["build_s"], 1),
              "weights": meta.get("weights", "bitstream")}
    if "weights_status" in r:
        result.update(weights_status=r["weights_status"], wload_cycles=r["wload_cycles"],
                      weights_file=args.weights or "weights.npz")
    if r["waves"]:
        result["waves"] = r["waves"]
    if args.json:
        print_json(result)
    else:
        say(f"RTL vs reference: {'BIT-EXACT' if mism == 0 else f'{mism} MISMATCHES'} over "
            f"{result['frames']} frames ({result['outputs_compared']} outputs)")
        say(f"II {result['ii_cycles']} cycles (model {result['model_ii_cycles']}), latency "
            f"{result['latency_cycles']} cycles, {result['sim_cycles_per_s']:,} simulated cycles/s "
            f"({engine} engine)")
        if r["waves"]:
            say(f"waveform: {r['waves']}")
    if mism:
        raise MismatchError(f"{mism} of {ref.size} RTL outputs differ from the reference")
    return 0
