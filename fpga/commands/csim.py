"""fpga csim: hls4ml's g++ C simulation against the bit-exact reference."""
from __future__ import annotations

import time

import numpy as np

from ..errors import MismatchError
from ._common import print_json, project_dir, say

HELP = "run hls4ml's C simulation and compare every output with the reference, bit for bit"
DESCRIPTION = """Compile the project's hls4ml C simulation (g++, no vendor tool; cached), run N frames
through it and through the numpy reference (fpga/reference.py), and compare every output as
integers of the output format. Inputs: --inputs X.npy (raw integers, (N,H,W,C)); else the model's
dataset test split; else seeded random in-range frames. Also reports how the QKeras model agrees.
Exit 0 only when there are no mismatches (1 otherwise)."""


def add_arguments(p):
    p.add_argument("project", help="converted project folder")
    p.add_argument("--frames", type=int, default=100, help="frames to compare (default 100)")
    p.add_argument("--inputs", help=".npy of raw input integers, (N,H,W,C)")
    p.add_argument("--save-outputs", help="write the C-sim outputs (raw integers) to this .npy")
    p.add_argument("--seed", type=int, default=0, help="seed for random inputs")
    p.add_argument("--no-qkeras", action="store_true", help="skip the QKeras comparison")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def qkeras_agreement(project, graph, x, ref) -> dict:
    """QKeras computes in float: exact on fixed-point values except the average's division."""
    from ..modelio import load_model
    model = load_model(project / "model.h5")
    q = model.predict(x.astype(np.float64) * 2.0 ** -graph.input.out_fmt.frac, verbose=0)
    step = 2.0 ** -graph.output.out_fmt.frac
    diff = np.abs(q.reshape(ref.shape) - ref * step)
    h, w, _ = graph.in_shape(graph.output)
    return {"qkeras_max_abs_diff": float(diff.max()), "qkeras_exact": bool(diff.max() == 0),
            "qkeras_diff_explained": bool(diff.max() < step) and graph.output.kind == "gap",
            "qkeras_note": ("identical" if diff.max() == 0 else
                            f"the global average divides by {h * w}; hls4ml truncates the mean to "
                            f"{graph.output.out_fmt.frac} fractional bits (step {step:g}), QKeras "
                            "keeps it in float"),
            "argmax_agreement": float((q.reshape(ref.shape).argmax(1) == ref.argmax(1)).mean())}


def run(args) -> int:
    from ..csim import CSim
    from ..graph import Graph
    from ..inputs import frames_for
    from ..reference import run as reference_run
    project = project_dir(args.project)
    graph = Graph.load(project)
    x, source, labels = frames_for(project, graph, args.frames, args.inputs, args.seed)
    say(f"inputs: {source}")
    sim = CSim(project, progress=say)
    t0 = time.time()
    ref = reference_run(graph, x)
    ref_s = (time.time() - t0) / len(x)
    t0 = time.time()
    got = _with_progress(sim, x)
    csim_s = (time.time() - t0) / len(x)
    if args.save_outputs:
        np.save(args.save_outputs, got)
    mism = int((got != ref).sum())
    result = {"frames": int(len(x)), "outputs_compared": int(ref.size), "mismatches": mism,
              "max_abs_diff": int(np.abs(got - ref).max(initial=0)),
              "nonzero_outputs": round(float((ref != 0).mean()), 4),
              "inputs": source, "csim_compile_s": round(sim.compile_seconds, 1),
              "csim_s_per_frame": round(csim_s, 4), "reference_s_per_frame": round(ref_s, 4)}
    if labels is not None:  # what the hardware's integers score on the test split
        result["hardware_accuracy"] = round(float((ref.argmax(1) == labels).mean()), 4)
    if not args.no_qkeras:
        result.update(qkeras_agreement(project, graph, x, ref))
    if args.json:
        print_json(result)
    else:
        verdict = "BIT-EXACT" if mism == 0 else f"{mism} MISMATCHES"
        say(f"C-sim vs reference: {verdict} over {result['frames']} frames "
            f"({result['outputs_compared']} outputs, max |diff| {result['max_abs_diff']})")
        say(f"reference {ref_s * 1e3:.1f} ms/frame, C-sim {csim_s * 1e3:.1f} ms/frame, "
            f"compile {sim.compile_seconds:.1f} s")
        if "hardware_accuracy" in result:
            say(f"accuracy of the bit-exact integers on those frames: "
                f"{result['hardware_accuracy'] * 100:.2f}%")
        if "qkeras_max_abs_diff" in result:
            say(f"QKeras vs reference: max |diff| {result['qkeras_max_abs_diff']:g} "
                f"({result['qkeras_note']}); same top class on "
                f"{result['argmax_agreement'] * 100:.1f}% of frames")
    if mism:
        raise MismatchError(f"{mism} of {ref.size} outputs differ from the reference")
    return 0


def _with_progress(sim, x):
    from tqdm import tqdm
    outs = [sim.run(x[i:i + 1]) for i in tqdm(range(len(x)), desc="C-sim", unit="frame",
                                              leave=False, disable=len(x) < 20)]
    return np.concatenate(outs)
