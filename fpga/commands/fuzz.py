"""fpga fuzz: differential fuzzing over random SqueezeNet-like QKeras networks."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ..errors import FpgaError, MismatchError
from ._common import print_json, say

HELP = "fuzz the flow: random QKeras nets through QKeras, reference, C-sim and RTL, bit for bit"
DESCRIPTION = """Draw N random SqueezeNet-like QKeras networks from a seed (input size, channels,
stem kernel/stride/padding, 0-3 Fire modules, pools, bypasses, dropout, weight and activation
bit widths, classes, RTL folding), convert each with hls4ml and compare every output, as
integers, with the numpy reference three ways: the QKeras model itself, hls4ml's C-sim, and
the generated RTL in Verilator under random backpressure. The same seed gives the same nets.
A failing net is shrunk (simpler nets, fewer frames that still fail the same way) and saved
as a case folder (spec.json, model.h5, inputs.npy, result.json, README.txt) in --keep DIR or
./fuzz-failures; 'fpga fuzz --replay CASE' re-runs one. Nets run in --jobs worker processes.
Exit 0 only when every net passed (1 otherwise)."""

DEFAULT_CASES = "fuzz-failures"


def add_arguments(p):
    p.add_argument("--nets", type=int, default=20, help="random nets to run (default 20)")
    p.add_argument("--frames", type=int, default=10, help="random frames per net (default 10)")
    p.add_argument("--seed", type=int, default=1, help="seed of the nets and frames (default 1)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--keep", metavar="DIR",
                   help="keep every net's work folder in DIR (and write failure cases there); "
                        f"default: work in a temporary folder, cases in ./{DEFAULT_CASES}")
    p.add_argument("--replay", metavar="CASE_DIR",
                   help="rebuild a saved failure case and re-run its comparisons on its inputs")
    p.add_argument("--journal", metavar="FILE",
                   help="record each finished net in FILE (JSON lines); run again with the same "
                        "FILE to go on where a stopped run left off: nets already in it are not "
                        "re-run and the summary covers all of them. Refused when the seed, "
                        "frames or the tool's sources differ from the run that started it")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def _check(args):
    if args.replay:
        case = Path(args.replay)
        if not (case / "spec.json").exists() or not (case / "inputs.npy").exists():
            raise FpgaError(f"{case} is not a fuzz case (no spec.json/inputs.npy)")
        return
    if args.nets < 1:
        raise FpgaError("--nets must be >= 1")
    if args.frames < 1:
        raise FpgaError("--frames must be >= 1")
    if args.jobs < 1:
        raise FpgaError("--jobs must be >= 1")


def _prepare_in_process(log: Path):
    """Import TF and hls4ml once with their chatter going to the log."""
    from ..fuzz import captured
    with captured(log):
        import hls4ml  # noqa: F401
        import qkeras  # noqa: F401
        import tensorflow as tf
        tf.get_logger().setLevel("ERROR")
        try:   # as in the workers; too late if this process already ran TF
            tf.config.threading.set_intra_op_parallelism_threads(1)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:
            pass


def run(args) -> int:
    _check(args)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if args.replay:
        return _replay(args)
    from tqdm import tqdm
    from .. import fuzz

    t0 = time.time()
    if args.keep:
        work_root = Path(args.keep).resolve()
        work_root.mkdir(parents=True, exist_ok=True)
        case_root = work_root
    else:
        work_root = Path(tempfile.mkdtemp(prefix="fpga-fuzz-"))
        case_root = Path(DEFAULT_CASES).resolve()
    specs = [fuzz.draw_spec(args.seed, i) for i in range(args.nets)]
    journal = fuzz.Journal(args.journal, args.seed, args.frames) if args.journal else None
    done = journal.results(args.nets) if journal else {}
    tasks = [{"index": i, "seed": args.seed, "frames": args.frames, "work_root": str(work_root),
              "case_root": str(case_root), "keep": bool(args.keep), "quick": True}
             for i in range(args.nets) if i not in done]
    jobs = max(1, min(args.jobs, len(tasks)))
    if jobs == 1:
        _prepare_in_process(work_root / "fuzz.log")
    import threading
    tqdm.set_lock(threading.RLock())   # no multiprocessing lock: nothing for spawn to leak
    bar = tqdm(total=args.nets, initial=len(done), desc="fuzz", unit="net", file=sys.stderr,
               dynamic_ncols=True)
    failed = [n for n, r in done.items() if r.get("failure")]

    def on_result(r):
        if journal:
            journal.add(r)
        if r.get("failure"):
            failed.append(r["net"])
        bar.update(1)
        bar.set_postfix(failed=len(failed), refresh=True)

    try:
        results = fuzz.run_many(tasks, jobs, work_root, on_result) if tasks else []
    finally:
        bar.close()
    wall = time.time() - t0
    if journal:
        journal.add_run(len(tasks), wall, args.jobs)
    results = sorted([*done.values(), *results], key=lambda r: r["net"])
    result = _summary(args, specs, results, wall)
    if journal:
        runs = journal.runs()
        result["journal"] = {"file": str(journal.path), "resumed_nets": len(done), "runs": runs,
                             "wall_s_all_runs": round(sum(r["wall_s"] for r in runs), 1)}
    if not args.keep:
        if result["failures"]:   # the logs of a failing run go with its cases
            logs = case_root / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            for f in work_root.glob("*.log"):
                shutil.copy2(f, logs / f.name)
        shutil.rmtree(work_root, ignore_errors=True)
    if args.json:
        print_json(result)
    else:
        _print_human(result)
    if result["failures"]:
        raise MismatchError(f"{len(result['failures'])} of {args.nets} nets failed "
                            f"({result['mismatches']} mismatching outputs); cases in {case_root}")
    return 0


def _summary(args, specs, results, wall) -> dict:
    from .. import fuzz
    stages = {s: {"compared": 0, "mismatches": 0, "errors": 0} for s in fuzz.STAGES}
    failures, seconds, cpu, nonzero = [], [], [], []
    for r in results:
        o = r.get("outcome") or {}
        for s, st in (o.get("stages") or {}).items():
            stages[s]["compared"] += st.get("compared", 0)
            stages[s]["mismatches"] += st.get("mismatches", 0)
            stages[s]["errors"] += bool(st.get("error"))
        if r.get("failure"):
            f = r["failure"]
            failures.append({"case": f.get("case"), "stage": f["stage"], "kind": f["kind"],
                             "net": f["net"], "spec": f.get("spec"),
                             "reduced_spec": f.get("reduced_spec"),
                             "reduced_frames": f.get("reduced_frames"), "error": f.get("error")})
        seconds.append(r.get("seconds", 0.0))
        cpu.append(r.get("cpu_s", 0.0))
        if o.get("nonzero_outputs") is not None:
            nonzero.append(o["nonzero_outputs"])
    stage_s = {}
    for s in ("convert", *fuzz.STAGES):
        vals = [(r.get("outcome") or {}).get("seconds", {}).get(s) for r in results]
        vals = [v for v in vals if v is not None]
        stage_s[s] = round(sum(vals) / len(vals), 2) if vals else None
    return {
        "nets": args.nets, "frames": args.frames, "seed": args.seed, "jobs": args.jobs,
        "outputs_compared": sum(v["compared"] for v in stages.values()),
        "expected_outputs": fuzz.expected_outputs(specs, args.frames),
        "mismatches": sum(v["mismatches"] for v in stages.values()),
        "stages": stages, "failures": failures,
        "wall_s": round(wall, 1), "net_s_mean": round(sum(seconds) / len(seconds), 2),
        "wall_s_per_net": round(wall / args.nets, 2), "cpu_s_per_net": round(sum(cpu) / len(cpu), 2),
        "stage_s_mean": stage_s,
        "nonzero_outputs_mean": round(sum(nonzero) / len(nonzero), 3) if nonzero else None,
        "case_mix": fuzz.case_mix(specs),
        "nets_detail": [{"net": r["net"], "spec": r.get("summary"), "seconds": r.get("seconds"),
                         "cpu_s": r.get("cpu_s"), "ok": not r.get("failure")} for r in results],
    }


def _fmt_hist(h: dict) -> str:
    return " ".join(f"{k}:{v}" for k, v in h.items())


def _print_human(r: dict) -> None:
    ok = not r["failures"]
    verdict = "BIT-EXACT" if ok else f"{len(r['failures'])} FAILED NETS, {r['mismatches']} mismatches"
    say(f"fuzz: {r['nets']} nets x {r['frames']} frames (seed {r['seed']}), "
        f"{r['outputs_compared']:,} outputs compared (QKeras, C-sim, RTL vs reference): {verdict}; "
        f"{r['wall_s']:.0f} s ({r['wall_s_per_net']:.1f} s/net with {r['jobs']} jobs)")
    m = r["case_mix"]
    say(f"case mix: input {m['input_size']['min']}..{m['input_size']['max']} px "
        f"(odd {m['input_size']['odd']}, even {m['input_size']['even']}); channels "
        f"{_fmt_hist(m['channels'])}; input bits {_fmt_hist(m['input_bits'])}")
    say(f"  stem kernel {_fmt_hist(m['stem_kernel'])}; stride {_fmt_hist(m['stem_stride'])}; "
        f"padding {_fmt_hist(m['stem_padding'])}; fires/net {_fmt_hist(m['fires_per_net'])}")
    say(f"  pools {_fmt_hist(m['pools'])}; bypass {m['bypass']} ({m['bypass_unquantised']} "
        f"without re-quantisation); dropout {m['dropout']}; classes "
        f"{m['classes']['min']}..{m['classes']['max']}; RTL lanes {_fmt_hist(m['rtl_lanes'])}")
    say(f"  w_bits {_fmt_hist(m['w_bits'])}; a_bits {_fmt_hist(m['a_bits'])}; per-layer "
        f"formats in {m['per_layer_quant']} nets")
    for f in r["failures"]:
        say(f"FAILED net {f['net']} ({f['stage']} {f['kind']}): {f['spec']}")
        if f.get("error"):
            say(f"  {f['error']}")
        if f.get("case"):
            say(f"  reduced to {f.get('reduced_spec')} ({f.get('reduced_frames')} frames): "
                f"fpga fuzz --replay {f['case']}")


def _replay(args) -> int:
    from .. import fuzz
    case = Path(args.replay)
    work_root = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="fpga-fuzz-"))
    try:
        r = fuzz.replay(case, work_root)
    finally:
        if not args.keep:
            shutil.rmtree(work_root, ignore_errors=True)
    stages = r["outcome"]["stages"]
    result = {"case": r["case"], "spec": r["spec"], "frames": r["frames"],
              "outputs_compared": sum(s.get("compared", 0) for s in stages.values()),
              "mismatches": sum(s.get("mismatches", 0) for s in stages.values()),
              "failure": r["failure"],
              "stages": {k: {kk: v.get(kk) for kk in ("compared", "mismatches", "bad_frames", "error")
                             if v.get(kk) is not None} for k, v in stages.items()},
              "error": (r["outcome"].get("error") or {}).get("error")}
    if args.json:
        print_json(result)
    else:
        say(f"replay {case}: {r['spec']}, {r['frames']} frames")
        for k, v in result["stages"].items():
            what = v.get("error") or (f"{v['mismatches']} of {v['compared']} outputs differ"
                                      if v.get("mismatches") else f"bit-exact ({v['compared']} outputs)")
            say(f"  {k}: {what}")
        if result["error"]:
            say(f"  error: {result['error']}")
    if r["failure"]:
        raise MismatchError(f"the case still fails ({' '.join(r['failure'][:2])})")
    return 0
