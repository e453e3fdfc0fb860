"""Per-block Yosys synthesis of a generated design, cached by content, run in parallel.

The generated top (``PROJECT/rtl/<top>.v``) only instantiates and wires the parameterised
blocks of ``fpga/rtl/verilog``. So instead of one huge ``synth_xilinx`` run (SqueezeNet v1.1
224x224 did not finish in 70 minutes), every *distinct block configuration* is synthesised on
its own: the block's module with the instance's parameters (``chparam``), flattened,
``synth_xilinx -family xc7|xcup [-uram]``. Instances whose module, parameters, library
sources and ROM contents are all equal share one run (the window blocks, forks, joins and
FIFOs of repeated Fire modules). Results are kept in a content-addressed cache:

    $FPGA_CACHE_DIR (default ~/.cache/fpga)/blocks/<key>.json      resources + cell counts
                                                 /<key>.net.json.gz mapped netlist (timing)
                                                 /<key>.log         the Yosys log
                                                 /<key>.sta-*.json  its timing (fpga/timing.py)

``key`` = SHA-256 of the module name, its parameters, the family and -uram, the library
``.v`` files of the project's rtl/ that the module needs (its own and those it instantiates,
transitively: module_closure; Yosys reads only these), the ``.mem`` files the instance's string
parameters name (MAC weight ROMs), the Yosys executable name and ``SCRIPT_VERSION``. Jobs run
``jobs`` at a time (default: all cores), with a progress bar on stderr.

Who uses it: ``fpga synth`` (resources = the sum over instances; the top holds only wires and
one reset flop) and ``fpga timing`` (static timing of each block's netlist, fpga/sta.py).
Cross-block optimisation is lost (Yosys cannot merge logic across block boundaries), which is
what a hierarchical Vivado flow with ``-flatten_hierarchy rebuilt`` keeps, too.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import write_text_atomic
from .errors import FpgaError

SCRIPT_VERSION = 2      # bump when the per-block script or what is stored changes


# ----------------------------------------------------------------------------- the top's netlist
@dataclass
class Instance:
    name: str                      # instance name in the top (u_conv1)
    module: str                    # block module (mac)
    params: dict                   # parameter -> int or str
    ports: dict = field(default_factory=dict)   # port -> connected expression
    key: str = ""                  # its configuration (plan_jobs)


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def _balanced_skip(text: str, i: int) -> int:
    """Index just past the ')' matching the '(' at text[i] (strings skipped)."""
    depth, j, n = 0, i, len(text)
    while j < n:
        c = text[j]
        if c == '"':
            j = text.index('"', j + 1)
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise FpgaError("unbalanced parentheses in the top module")


_NAMED = re.compile(r"\.(\w+)\s*\(")


def _named_list(body: str) -> dict:
    """'.A(1), .B("x"), .c(w[3:0])' -> {A: '1', B: '"x"', c: 'w[3:0]'}."""
    out, i = {}, 0
    while True:
        m = _NAMED.search(body, i)
        if not m:
            return out
        end = _balanced_skip(body, m.end() - 1)
        out[m.group(1)] = body[m.end():end - 1].strip()
        i = end


def _value(text: str):
    text = text.strip()
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    m = re.fullmatch(r"(\d+)?'([sS]?)([dhbo])([0-9a-fA-F_xz]+)", text)
    if m:
        return int(m.group(4).replace("_", ""), {"d": 10, "h": 16, "b": 2, "o": 8}[m.group(3)])
    try:
        return int(text.replace("_", ""))
    except ValueError:
        raise FpgaError(f"block parameter value {text!r} is not a literal") from None


def top_instances(top_text: str, modules: set) -> list:
    """Instances of library ``modules`` in the top module's Verilog, in source order."""
    text = _strip_comments(top_text)
    out = []
    pat = re.compile(r"\b(" + "|".join(sorted(map(re.escape, modules), key=len, reverse=True))
                     + r")\s*(#\s*\()?", re.M) if modules else None
    i = 0
    while pat is not None:
        m = pat.search(text, i)
        if not m:
            break
        j = m.end()
        params = {}
        if m.group(2):
            end = _balanced_skip(text, j - 1)
            params = {k: _value(v) for k, v in _named_list(text[j:end - 1]).items()}
            j = end
        m2 = re.compile(r"\s*(\w+)\s*\(").match(text, j)
        if not m2:
            i = m.end()
            continue
        end = _balanced_skip(text, m2.end() - 1)
        ports = _named_list(text[m2.end():end - 1])
        out.append(Instance(m2.group(1), m.group(1), params, ports))
        i = end
    return out


# ----------------------------------------------------------------------------- cache and keys
def cache_dir() -> Path:
    root = os.environ.get("FPGA_CACHE_DIR")
    base = Path(root) if root else Path.home() / ".cache" / "fpga"
    d = base / "blocks"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def library_files(rtl: Path, top: str) -> list:
    """Block sources in rtl/: every .v/.sv except the top's own file."""
    return sorted(p for p in list(rtl.glob("*.v")) + list(rtl.glob("*.sv"))
                  if p.stem != top)


def module_closure(lib: list) -> dict:
    """{module: [library files it needs]}: each file's module with every library module it
    instantiates, transitively (one module per file, named as the file). The cache key and
    the Yosys sources of a block are its closure, so editing one block's source re-runs
    only the blocks built from it."""
    names = {p.stem: p for p in lib}
    uses = {}
    for p in lib:
        text = _strip_comments(p.read_text())
        uses[p.stem] = {m for m in names if m != p.stem
                        and re.search(r"(?<![\w$.`])" + re.escape(m) + r"(?![\w$])\s*(#|[A-Za-z_])",
                                      text)}
    out = {}
    for m in names:
        seen, todo = {m}, [m]
        while todo:
            for u in uses[todo.pop()]:
                if u not in seen:
                    seen.add(u)
                    todo.append(u)
        out[m] = sorted(names[x] for x in seen)
    return out


def _mem_files(rtl: Path, inst: Instance) -> list:
    files = []
    for v in inst.params.values():
        if isinstance(v, str) and v:
            stem = Path(v)
            base = stem if stem.is_absolute() else rtl / stem
            files += sorted(base.parent.glob(base.name + "_*.mem")) if base.parent.is_dir() else []
    return sorted(set(files))


def _rel_param(rtl: Path, v):
    """String parameters that are paths into rtl/ become relative (Yosys runs in rtl/)."""
    if isinstance(v, str) and v.startswith("/"):
        for root in {str(rtl.resolve()), str(rtl.absolute())}:
            if v.startswith(root + "/"):
                return v[len(root) + 1:]
    return v


@dataclass
class Job:
    key: str
    module: str
    params: dict
    instances: list                # instance names sharing this configuration
    mems: list
    sources: list                  # library files of the module and what it instantiates


def plan_jobs(rtl: Path, top: str, family: str, uram: bool, tool: str) -> tuple:
    """(instances, {key: Job}) of the design in ``rtl`` for ``family``."""
    top_file = rtl / f"{top}.v"
    if not top_file.is_file():
        raise FpgaError(f"no top module file {top_file}; run 'fpga rtl' again")
    lib = library_files(rtl, top)
    modules = {p.stem for p in lib}
    insts = top_instances(top_file.read_text(), modules)
    if not insts:
        raise FpgaError(f"{top_file} instantiates no block of {rtl}")
    closure = module_closure(lib)
    lib_hash = {m: _sha(b"".join(p.name.encode() + b"\0" + p.read_bytes() for p in files))
                for m, files in closure.items()}
    jobs: dict = {}
    for inst in insts:
        params = {k: _rel_param(rtl, v) for k, v in inst.params.items()}
        mems = _mem_files(rtl, Instance(inst.name, inst.module, params))
        h = hashlib.sha256(json.dumps([SCRIPT_VERSION, inst.module, sorted(params.items()),
                                       family, uram, lib_hash[inst.module], tool]).encode())
        for m in mems:
            h.update(m.name.encode() + b"\0" + hashlib.sha256(m.read_bytes()).digest())
        key = h.hexdigest()[:32]
        if key in jobs:
            jobs[key].instances.append(inst.name)
        else:
            jobs[key] = Job(key, inst.module, params, [inst.name], mems,
                            [p.name for p in closure[inst.module]])
        inst.key = key
    return insts, jobs


def _param_text(v) -> str:
    return json.dumps(v) if isinstance(v, str) else str(int(v))


def abc9_wire_ps(family: str) -> int:
    """Wire delay (ps) ABC9 maps with: the net delay fpga/sta.py charges for a net of fanout 2,
    in the units of the cell delays ABC9 is given (Yosys's xilinx/cells_sim.v, 7-series ps;
    fpga/sta.py scales logic by ``scale`` for UltraScale+). synth_xilinx's own figure is 300 ps
    for every family, so on UltraScale+ ABC9 sees routing as cheap next to LUTs and builds
    chains of LUT2s (measured: the v1.1 conv1 mac's ROM decode, 5 LUT2 levels, 219 MHz; with
    the wire delay the estimator uses, LUT6+MUXF7 as in isolation, 275 MHz and 3% fewer LUTs)."""
    from .sta import FAMILIES, net_ns
    return int(round(1000.0 * net_ns(family, 2) / FAMILIES[family]["scale"]))


# synth_xilinx's map_luts step (Yosys 0.70, no -nowidelut/-dff), run by hand to give abc9 -W
_MAP_LUTS = ["opt_expr -mux_undef -noclkinv",
             "abc9 -luts 2:2,3,6:5,10,20 -W {w}",
             "clean",
             "xilinx_srl -fixed -minlen 3",
             "techmap -map +/xilinx/lut_map.v -map +/xilinx/cells_map.v -D LUT_WIDTH=6",
             "xilinx_dffopt",
             "opt_lut_ins -tech xilinx"]


def synth_commands(opts: str, family: str) -> list:
    """``synth_xilinx OPTS`` with LUT mapping at the estimator's wire delay (abc9_wire_ps)."""
    w = abc9_wire_ps(family)
    return ([f"synth_xilinx {opts} -run :map_luts"] + [c.format(w=w) for c in _MAP_LUTS]
            + [f"synth_xilinx {opts} -run finalize:"])


def block_script(job: Job, sources: list, family: str, uram: bool, work: str) -> str:
    lines = [f"read_verilog -sv -defer {s}" for s in sources]
    if job.params:
        sets = " ".join(f"-set {k} {_param_text(v)}" for k, v in sorted(job.params.items()))
        lines.append(f"chparam {sets} {job.module}")
    opts = f"-family {family} -top {job.module} -flatten -noiopad -noclkbuf"
    if uram:
        opts += " -uram"
    lines += [f"hierarchy -check -top {job.module}",
              *synth_commands(opts, family),
              f"tee -q -o {work}/stat.json stat -json",
              f"write_json {work}/net.json"]
    return "\n".join(lines) + "\n"


def _run_one(argv: list, rtl: Path, top: str, job: Job, family: str, uram: bool,
             timeout: float | None) -> dict:
    from .synth import module_totals, resources
    out_dir = cache_dir()
    work = Path(tempfile.mkdtemp(prefix=".blk_", dir=rtl))
    log_path = out_dir / f"{job.key}.log"
    t0 = time.monotonic()
    try:
        (work / "block.ys").write_text(block_script(job, job.sources, family, uram, work.name))
        with open(log_path, "w") as log:
            try:
                proc = subprocess.run(argv + ["-q", "-l", f"{work.name}/yosys.log", "-s",
                                              f"{work.name}/block.ys"],
                                      cwd=rtl, stdout=log, stderr=subprocess.STDOUT,
                                      timeout=timeout)
            except subprocess.TimeoutExpired:
                raise FpgaError(f"yosys on {job.module} ({job.instances[0]}) did not finish "
                                f"within {timeout:g} s") from None
        if (work / "yosys.log").is_file():
            shutil.copyfile(work / "yosys.log", log_path)
        if proc.returncode != 0 or not (work / "stat.json").is_file():
            err = [ln for ln in log_path.read_text(errors="replace").splitlines()
                   if "ERROR" in ln]
            raise FpgaError(f"yosys failed on {job.module} ({job.instances[0]}): "
                            f"{err[-1].strip() if err else 'exit ' + str(proc.returncode)} "
                            f"(log: {log_path})")
        stats = json.loads((work / "stat.json").read_text())
        net = (work / "net.json").read_bytes()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    totals = module_totals(stats)
    top_mod = _top_module(json.loads(net))
    cells = totals.get(top_mod) or next(iter(totals.values()))
    res = {"key": job.key, "module": job.module, "params": job.params, "netlist_top": top_mod,
           "family": family, "uram_inference": uram,
           "tool_version": stats.get("creator", ""), "seconds": round(time.monotonic() - t0, 1),
           "resources": resources(cells), "cells": dict(sorted(cells.items()))}
    with gzip.open(out_dir / f"{job.key}.net.json.gz", "wb", compresslevel=6) as f:
        f.write(net)
    write_text_atomic(out_dir / f"{job.key}.json", json.dumps(res, indent=1) + "\n")
    return res


def _top_module(net: dict) -> str:
    mods = net.get("modules", {})
    for name, m in mods.items():
        if str(m.get("attributes", {}).get("top", "0")).strip("0"):
            return name
    return next(iter(mods))


def load_cached(key: str) -> dict | None:
    p = cache_dir() / f"{key}.json"
    if p.is_file() and (cache_dir() / f"{key}.net.json.gz").is_file():
        try:
            return json.loads(p.read_text())
        except json.JSONDecodeError:
            return None
    return None


def load_netlist(key: str) -> dict:
    with gzip.open(cache_dir() / f"{key}.net.json.gz", "rb") as f:
        return json.loads(f.read())


def synth_blocks(rtl: Path, top: str, family: str, uram: bool, yosys: str | None = None,
                 jobs: int | None = None, force: bool = False, progress: bool = False,
                 timeout: float | None = None) -> tuple:
    """Synthesise every distinct block configuration of ``rtl`` (cached). Returns
    (instances, {key: result}, n_run) where n_run counts the Yosys runs made now."""
    from .synth import find_yosys
    argv = find_yosys(yosys)
    tool = Path(argv[0]).name
    insts, todo = plan_jobs(rtl, top, family, uram, tool)
    results, missing = {}, []
    for key, job in todo.items():
        hit = None if force else load_cached(key)
        if hit is not None:
            results[key] = hit
        else:
            missing.append(job)
    # largest first: they dominate the wall time (a mac with many lanes)
    missing.sort(key=lambda j: -_weight(j))
    n = max(1, jobs or os.cpu_count() or 1)
    if n > 1 and len(missing) > 1 and "yowasp" in tool:
        # YoWASP compiles its WebAssembly on first use (about 70 CPU-s here) and caches it;
        # parallel first runs would each compile it: one empty run first (0.3 s once cached)
        subprocess.run(argv + ["-q", "-p", ""], cwd=rtl, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    bar = None
    if progress and missing:
        from tqdm import tqdm
        bar = tqdm(total=len(missing), unit="block", desc=f"yosys {family} blocks",
                   dynamic_ncols=True, leave=False)
    try:
        with ThreadPoolExecutor(max_workers=n) as pool:
            futs = {pool.submit(_run_one, argv, rtl, top, j, family, uram, timeout): j
                    for j in missing}
            for fut in as_completed(futs):
                results[futs[fut].key] = fut.result()
                if bar is not None:
                    bar.set_postfix_str(futs[fut].module)
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return insts, results, len(missing)


def _weight(job: Job) -> int:
    p = job.params
    return int(p.get("PE", 1)) * int(p.get("SIMD", 1)) * 100 + int(p.get("C", 1))
