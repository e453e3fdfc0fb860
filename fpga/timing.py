"""Open timing estimate of a generated design: per-block Yosys synthesis + static timing.

``timing_report(project, board, clock_mhz)``:
  1. every distinct block configuration of PROJECT/rtl is synthesised on its own with Yosys
     ``synth_xilinx`` for the board's family (fpga/blocksynth.py: cached by content, in
     parallel on all cores);
  2. each block's mapped netlist goes through fpga/sta.py: cell delays of the family (a table
     from the vendor's switching characteristics) plus a routing allowance per net that grows
     with fanout, block Fmax limits of DSP48 / RAMB / URAM. A block's ports are assumed to be
     driven and captured by flip-flops in the neighbouring blocks;
  3. the paths *between* blocks are then composed from the top module's wiring: the arrival
     at every block output port (from a register of that block), plus one net, plus the delay
     from the input port of the block it feeds to that block's registers, through any block
     that passes a signal on combinationally (in -> out). So a ready chain across several
     blocks shows up as one long path;
  4. Fmax = the smallest of the blocks' and the between-block figures; the clock a frame rate
     uses is min(target, Fmax).

It is an estimate, not a sign-off: no placement, no real routing, no clock skew or jitter
beyond a fixed uncertainty. Vivado's report after route is the truth (the build script fails
on negative WNS or WHS).
"""
from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

from .errors import FpgaError

METHOD = ("per-block Yosys synth_xilinx (-flatten, one run per distinct block configuration) + "
          "static timing over the mapped cells (fpga/sta.py: family cell-delay table, routing "
          "allowance per net by fanout, DSP/BRAM/URAM block Fmax caps) + between-block paths "
          "composed from the top's wiring; no placement or routing: an estimate, not a sign-off")


def _base(expr: str) -> str:
    """'fire2__fork_tready[1]' -> 'fire2__fork_tready'; constants -> ''."""
    expr = expr.strip()
    m = re.match(r"^([A-Za-z_]\w*)", expr)
    return m.group(1) if m else ""


def top_aliases(top_text: str) -> dict:
    """Union of the top's ``assign a = b;`` nets (bit selects ignored): name -> group root."""
    parent: dict = {}

    def find(x):
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for lhs, rhs in re.findall(r"assign\s+([^=;]+?)\s*=\s*([^;]+);", top_text):
        a, b = _base(lhs), _base(rhs)
        if a and b:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
    return {k: find(k) for k in list(parent)}


def compose(insts: list, block_timing: dict, top_text: str, family: str,
            top_inputs: set) -> dict:
    """Worst between-block path: {"ns", "from", "to", "through", "levels"}.

    ``block_timing``: instance name -> sta result (its "ports" in/out/through).
    ``top_inputs``: nets driven from outside or by the top's own flip-flops (registered)."""
    from . import sta
    alias = top_aliases(top_text)

    def net(expr):
        b = _base(expr)
        return alias.get(b, b)

    drivers, loads = defaultdict(list), defaultdict(list)
    for inst in insts:
        ports = block_timing[inst.name]["ports"]
        for port, expr in inst.ports.items():
            n = net(expr)
            if not n:
                continue
            if port in ports.get("out", {}) or _through_out(ports, port):
                drivers[n].append((inst, port))
            if port in ports.get("in", {}) or _through_in(ports, port):
                loads[n].append((inst, port))
    memo: dict = {}

    def arrival(n, stack=()):
        """(ns, description) of the latest signal on net n, at the driver's pin."""
        if n in memo:
            return memo[n]
        if n in stack:
            return (0.0, [f"loop at {n}"])
        best = (sta.launch_ns(family) if n in top_inputs or not drivers[n] else 0.0, ["(reg)"])
        for inst, port in drivers[n]:
            ports = block_timing[inst.name]["ports"]
            if port in ports.get("out", {}):
                t = ports["out"][port]
                if t > best[0]:
                    best = (t, [f"{inst.name}.{port}"])
            for pair, t in ports.get("through", {}).items():
                p_in, p_out = pair.split("->")
                if p_out != port or p_in not in inst.ports:
                    continue
                n_in = net(inst.ports[p_in])
                up, path = arrival(n_in, stack + (n,))
                fan = max(1, len(loads[n_in]))
                total = up + sta.net_ns(family, fan) + t
                if total > best[0]:
                    best = (total, path + [f"{inst.name}.{p_in}->{port}"])
        memo[n] = best
        return best

    worst = {"ns": 0.0, "from": "", "to": "", "through": [], "fanout": 0}
    for n, ls in loads.items():
        t0, path = arrival(n)
        fan = max(1, len(ls))
        for inst, port in ls:
            d = block_timing[inst.name]["ports"].get("in", {}).get(port)
            if d is None:
                continue
            total = t0 + sta.net_ns(family, fan) + d
            if total > worst["ns"]:
                worst = {"ns": round(total, 3), "from": path[0], "to": f"{inst.name}.{port}",
                         "through": path[1:], "fanout": fan}
    return worst


def _through_in(ports, port):
    return any(k.split("->")[0] == port for k in ports.get("through", {}))


def _through_out(ports, port):
    return any(k.split("->")[1] == port for k in ports.get("through", {}))


def speed_factor(board) -> float:
    """Delay derating of the part's speed grade relative to the table's grade (xc7: -1,
    xcup: -2). UltraScale+ -1 parts are about 12% slower than -2 (DS925's block Fmax
    tables: e.g. DSP48E2 891 vs 775 MHz); 7-series -2 about 12% faster than -1 (DS187)."""
    m = re.search(r"-(\d)", board.part.lower())
    grade = int(m.group(1)) if m else None
    if board.family == "xcup":
        return {1: 1.12, 2: 1.0, 3: 0.9}.get(grade, 1.0)
    return {1: 1.0, 2: 0.88, 3: 0.8}.get(grade, 1.0)


def _layer_of(inst_name: str, meta: dict) -> str:
    names = {}
    for lname, l in (meta.get("layers") or {}).items():
        if isinstance(l, dict) and isinstance(l.get("instance"), str):
            names[l["instance"]] = lname
    if inst_name in names:
        return names[inst_name]
    for i in sorted(names, key=len, reverse=True):
        if inst_name.startswith(i + "_"):
            return names[i]
    return "(io)"


def timing_report(project, board, clock_mhz: float | None = None, jobs: int | None = None,
                  force: bool = False, progress: bool = False, yosys: str | None = None,
                  timeout: float | None = None) -> dict:
    """The timing estimate of PROJECT/rtl on ``board`` (a Board) at ``clock_mhz`` (default:
    the board's target clock)."""
    from .blocksynth import synth_blocks
    from .synth import rtl_info
    rtl, meta = rtl_info(project)
    top = meta["top"]
    target = float(clock_mhz or board.clock_mhz)
    uram = board.family == "xcup" and board.uram > 0
    t0 = time.monotonic()
    insts, results, n_run = synth_blocks(rtl, top, board.family, uram, yosys=yosys, jobs=jobs,
                                         force=force, progress=progress, timeout=timeout)
    factor = speed_factor(board)
    per_key = {}
    for key, res in results.items():
        per_key[key] = _derate(block_sta(key, res["netlist_top"], board.family, force), factor)
    by_inst = {i.name: per_key[i.key] for i in insts}
    top_text = (rtl / f"{top}.v").read_text()
    top_inputs = {"rst", "ap_rst_n", "ap_clk"} | {
        n for n in re.findall(r"input\s+wire\s+(?:\[[^\]]+\]\s*)?(\w+)", top_text)}
    between = compose(insts, by_inst, top_text, board.family, top_inputs)
    blocks, hist = [], Counter()
    for key, rep in per_key.items():
        names = [i.name for i in insts if i.key == key]
        res = results[key]
        for lv, n in rep.get("levels_histogram", {}).items():
            hist[int(lv)] += n * len(names)
        w = rep["worst"]
        blocks.append({
            "module": res["module"], "instances": names,
            "layers": sorted({_layer_of(n, meta) for n in names}),
            "params": res["params"], "fmax_mhz": round(rep["fmax_mhz"], 1),
            "ns": round(rep["ns"], 3), "logic_ns": round(rep.get("logic_ns", 0.0), 3),
            "levels": w.get("levels"), "cap": rep.get("cap"),
            "worst": {"start": w.get("start"), "end": w.get("end"), "levels": w.get("levels"),
                      "ns": round(w.get("ns", rep["ns"]), 3)},
            "meets": rep["fmax_mhz"] >= target})
    blocks.sort(key=lambda b: (b["fmax_mhz"], b["module"]))
    worst_block = blocks[0] if blocks else None
    fmax_blocks = worst_block["fmax_mhz"] if worst_block else float("inf")
    fmax_between = 1000.0 / between["ns"] if between["ns"] > 0 else float("inf")
    if fmax_between < fmax_blocks:
        worst = {"block": "(between blocks)", "start": between["from"], "end": between["to"],
                 "levels": None, "ns": between["ns"], "through": between["through"]}
        fmax = fmax_between
    else:
        wb = worst_block
        worst = {"block": ", ".join(wb["instances"][:3]) + (" ..." if len(wb["instances"]) > 3
                                                           else ""),
                 "module": wb["module"], "layers": wb["layers"], **wb["worst"]}
        fmax = fmax_blocks
    fmax = round(min(fmax, 10000.0), 1)
    clock_used = min(target, fmax)
    ii = meta.get("model_ii_cycles")
    rep = {"board": board.name, "part": board.part, "family": board.family,
           "target_mhz": target, "fmax_mhz": fmax, "meets": fmax >= target,
           "clock_used_mhz": round(clock_used, 1),
           "clock_source": "min(target, estimated Fmax)",
           "fps": round(clock_used * 1e6 / ii, 1) if ii else None,
           "model_ii_cycles": ii,
           "worst": worst, "between_blocks": between,
           "levels_histogram": {str(k): hist[k] for k in sorted(hist)},
           "blocks": blocks, "method": METHOD + f"; speed-grade derating x{factor:g}",
           "sta_method": next(iter(per_key.values()))["method"] if per_key else "",
           "yosys_runs": n_run, "distinct_blocks": len(results), "instances": len(insts),
           "seconds": round(time.monotonic() - t0, 1)}
    _save_estimate(rtl, board.name, rep)
    return rep


@lru_cache(maxsize=1)
def _sta_version() -> str:
    """Digest of fpga/sta.py, the timing model a cached block result was computed with."""
    import hashlib
    from . import sta
    return hashlib.sha256(Path(sta.__file__).read_bytes()).hexdigest()[:16]


def block_sta(key: str, top: str, family: str, force: bool = False) -> dict:
    """fpga/sta.py's analysis of one block's cached netlist (blocksynth ``key``), kept beside it
    in the block cache (``<key>.sta-<family>-<sta.py digest>.json``: a change to the timing
    model is a new file), as JSON either way so a cached and a fresh result are the same
    values. Loading and analysing the netlists took 14 s of each 'fpga timing' of the default
    model here; the cached results take well under a second."""
    from . import sta
    from .atomic import write_text_atomic
    from .blocksynth import cache_dir, load_netlist
    path = cache_dir() / f"{key}.sta-{family}-{_sta_version()}.json"
    if path.is_file() and not force:
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            pass
    text = json.dumps(sta.analyse(load_netlist(key), top, family), sort_keys=True)
    write_text_atomic(path, text + "\n")
    return json.loads(text)


def _estimate_path(rtl: Path, board_name: str) -> Path:
    return rtl / f"timing_{board_name}.json"


def _save_estimate(rtl: Path, board_name: str, rep: dict) -> None:
    from .synth import rtl_hash
    _estimate_path(rtl, board_name).write_text(json.dumps(
        {"rtl_hash": rtl_hash(rtl), "fmax_mhz": rep["fmax_mhz"], "target_mhz": rep["target_mhz"],
         "worst": rep["worst"], "method": rep["method"]}, indent=1) + "\n")


def clock_for_fps(project, board, target_mhz: float | None = None) -> tuple:
    """(MHz, how it was obtained) for a frames/s figure of PROJECT on ``board``:
    min(target, estimated Fmax) when 'fpga timing' has estimated this very RTL, else the target
    clock, said to be untimed."""
    from .synth import rtl_hash
    target = float(target_mhz or board.clock_mhz)
    rtl = Path(project) / "rtl"
    p = _estimate_path(rtl, board.name)
    if p.is_file():
        try:
            est = json.loads(p.read_text())
            if est.get("rtl_hash") == rtl_hash(rtl):
                fmax = float(est["fmax_mhz"])
                if fmax < target:
                    return fmax, f"estimated Fmax {fmax:g} MHz (below the {target:g} MHz target)"
                return target, f"{target:g} MHz target (estimated Fmax {fmax:g} MHz)"
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return target, f"{target:g} MHz target, not yet estimated ('fpga timing')"


def _derate(rep: dict, factor: float) -> dict:
    if factor == 1.0:
        return rep
    rep = dict(rep)
    rep["ns"] = rep["ns"] * factor
    fm = 1000.0 / rep["ns"] if rep["ns"] > 0 else float("inf")
    cap = rep.get("cap")
    if cap and cap.get("mhz"):
        cap = dict(cap, mhz=cap["mhz"] / factor)
        rep["cap"] = cap
        fm = min(fm, cap["mhz"])
    rep["fmax_mhz"] = fm
    rep["ports"] = {k: ({p: t * factor for p, t in v.items()} if isinstance(v, dict) else v)
                    for k, v in rep.get("ports", {}).items()}
    return rep


def print_report(rep: dict, top_n: int = 8) -> None:
    verdict = "meets" if rep["meets"] else "MISSES"
    print(f"{rep['board']} ({rep['part']}): estimated Fmax {rep['fmax_mhz']:g} MHz, target "
          f"{rep['target_mhz']:g} MHz: {verdict}")
    w = rep["worst"]
    lv = f", {w['levels']} logic levels" if w.get("levels") is not None else ""
    print(f"  worst path: {w['block']}: {w['start']} -> {w['end']}, {w['ns']:.2f} ns{lv}")
    b = rep["between_blocks"]
    if b["ns"]:
        print(f"  worst between blocks: {b['from']} -> {b['to']}, {b['ns']:.2f} ns"
              + (f" (through {', '.join(b['through'])})" if b["through"] else ""))
    print(f"  {'block':14} {'layers':30} {'Fmax MHz':>9} {'levels':>6}  worst path")
    for blk in rep["blocks"][:top_n]:
        layers = ",".join(blk["layers"])[:30]
        print(f"  {blk['module']:14} {layers:30} {blk['fmax_mhz']:>9g} "
              f"{blk['levels'] if blk['levels'] is not None else '-':>6}  "
              f"{blk['worst']['start']} -> {blk['worst']['end']}")
    if len(rep["blocks"]) > top_n:
        print(f"  ... {len(rep['blocks']) - top_n} more block configurations")
    hist = " ".join(f"{k}:{v}" for k, v in rep["levels_histogram"].items())
    print(f"  logic levels (endpoints): {hist}")
    if rep.get("fps"):
        print(f"  {rep['fps']:,.0f} frames/s at {rep['clock_used_mhz']:g} MHz "
              f"(min(target, estimated Fmax)), II {rep['model_ii_cycles']:,} cycles")
    print("  (an estimate from open tools, not a sign-off: Vivado's post-route timing decides)")
