"""The fast engine: the generated RTL in Verilator driven by a C++ main (fast_harness.cpp), with
no Python per cycle. Same stimulus and results as the cocotb engine (runner.py), which stays
the one for waveforms.

Python packs the frames (fpga.beats: the one definition of the beat format) into a file of
bytes; the harness only moves those bytes onto s_axis, and writes the m_axis beats and the
cycle at which each frame came out back to a file.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from ..beats import (CTRL_REGS, OUT_TDATA_BITS, in_tdata_bits, pack_frame_bytes,
                     unpack_scores_bytes)
from ..errors import FpgaError
from ..graph import Graph
from .runner import content_digest, rtl_manifest, stall_budget, weight_image
from .tools import setup_verilator_path

HARNESS = Path(__file__).with_name("fast_harness.cpp")
EXE = "fast_sim"
# Verilator's slow optimisations and g++ -O2 on the per-cycle code: measured faster than -O1
# by ~15 % for a build that stays well under a minute on the default model.
# CFG_CXXFLAGS_PCH_I: the PyPI wheel's verilated.mk leaves it empty (see tools.py).
VERILATOR_ARGS = ["-O3", "-Wno-fatal", "--x-assign", "0", "--x-initial", "0",
                  "-MAKEFLAGS", "OPT_FAST=-O2", "-MAKEFLAGS", "OPT_SLOW=-O1",
                  "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include"]
# quick=True, for many small nets (the fuzzer), where the build dominates: one C++ file at -O0,
# and Verilator's runtime (verilated.o, verilated_threads.o: the same for every design) compiled
# once into the cache and copied in. Measured on a 20x20 four-fire net: 6.8 s of g++ against
# 33 s for the -O2 build above; the simulation runs ~3x slower, which small nets do not feel.
# Both quick compiles (the model and the harness) also take verilated.h from a precompiled
# header made once into the cache (PCH_HEADER, built with the make file's own flags): parsing
# verilated.h was about half of the harness's compile and a third of the model's.
QUICK_ARGS = ["-O3", "--output-split", "0", "-Wno-fatal", "--x-assign", "0", "--x-initial", "0"]
QUICK_MAKE = ["OPT_FAST=-O0", "OPT_SLOW=-O0", "OPT_GLOBAL=-O0", "CFG_CXXFLAGS_PCH_I=-include"]
RUNTIME_OBJS = ("verilated", "verilated_threads")
PCH_HEADER = ('#include "verilated.h"\n#include <map>\n#include <memory>\n#include <string>\n'
              '#include <vector>\n')


def _runtime_cache(verilator: str) -> Path:
    """Folder of the quick profile's prebuilt Verilator runtime objects, per Verilator version
    and flags (under $FPGA_CACHE_DIR, default ~/.cache/fpga)."""
    version = subprocess.run([verilator, "--version"], capture_output=True, text=True).stdout
    key = content_digest([], {"verilator": version.strip(), "make": QUICK_MAKE})[:16]
    root = os.environ.get("FPGA_CACHE_DIR")
    return (Path(root) if root else Path.home() / ".cache" / "fpga") / "verilator-runtime" / key


def _make_quick(verilator: str, build_dir: Path, out) -> int:
    """make of a quick build, with the runtime objects taken from (or first put in) the cache."""
    cache = _runtime_cache(verilator)
    files = [f"{o}{ext}" for o in RUNTIME_OBJS for ext in (".o", ".d")]
    make = ["make", "-s", "-C", str(build_dir), "-f", "Vtop.mk", *QUICK_MAKE]
    if all((cache / f).exists() for f in files):
        for f in files:
            shutil.copy2(cache / f, build_dir / f)   # keeps the mtime: make sees them up to date
    else:
        res = subprocess.run([*make, "-j", "2", *[f"{o}.o" for o in RUNTIME_OBJS]],
                             stdout=out, stderr=subprocess.STDOUT)
        if res.returncode:
            return res.returncode
        _fill_cache(cache, lambda tmp: [shutil.copy2(build_dir / f, tmp / f) for f in files])
    pch = _quick_pch(make, cache, out)
    opt = [] if pch is None else [f"{v}=-O0 -include {pch}" for v in ("OPT_FAST", "OPT_SLOW")]
    return subprocess.run([*make, *opt, "-j", "2"], stdout=out,
                          stderr=subprocess.STDOUT).returncode


def _quick_pch(make: list, cache: Path, out) -> Path | None:
    """The cached precompiled verilated.h for the compile flags of this build (the harness's
    compile command as make prints it, less its file names), built on first use; None when it
    cannot be made (the build then parses the headers itself). g++ uses header.gch only when
    the flags agree and otherwise reads the header: a stale one costs time, never correctness."""
    dry = subprocess.run([*make, "-n", "-B", f"{HARNESS.stem}.o"], capture_output=True,
                         text=True)
    line = next((l for l in dry.stdout.splitlines() if " -c " in f" {l} " and HARNESS.name in l),
                None)
    if dry.returncode or line is None:
        return None
    words = line.split()
    flags, skip = [], False
    for w in words:
        if skip:
            skip = False
        elif w == "-o":
            skip = True
        elif w not in ("-c", "-MMD", "-MP") and not w.endswith(HARNESS.name):
            flags.append(w)
    folder = cache / f"pch-{content_digest([], {'flags': flags, 'header': PCH_HEADER})[:16]}"
    header = folder / "fpga_verilated.h"
    if (folder / "fpga_verilated.h.gch").exists():
        return header

    def fill(tmp: Path) -> bool:
        (tmp / header.name).write_text(PCH_HEADER)
        return not subprocess.run([*flags, "-x", "c++-header", str(tmp / header.name),
                                   "-o", str(tmp / f"{header.name}.gch")], stdout=out,
                                  stderr=subprocess.STDOUT).returncode

    return header if _fill_cache(folder, fill) else None


def _fill_cache(folder: Path, fill) -> bool:
    """Fill a cache folder atomically: ``fill(tmp)`` writes a temporary sibling folder, which
    is then renamed to ``folder`` (if another process got there first, its copy is kept).
    Returns False, leaving nothing behind, when ``fill`` returns False."""
    tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    if fill(tmp) is False:
        shutil.rmtree(tmp, ignore_errors=True)
        return False
    try:
        tmp.rename(folder)
    except OSError:   # another process filled it first
        shutil.rmtree(tmp, ignore_errors=True)
    return True


def build_fast(project, progress=print, quick: bool = False) -> tuple[Path, float]:
    """Verilate and compile the RTL with the harness once per change of either (and of the
    profile: ``quick`` builds fast and simulates slower, see QUICK_ARGS).
    Returns (executable, seconds); 0 seconds when the cached build was reused."""
    project = Path(project).resolve()   # Verilator runs in rtl/: absolute paths
    meta = rtl_manifest(project)
    rtl = project / "rtl"
    sources = sorted(rtl.glob("*.v"))
    build_dir = rtl / ("fast_build_quick" if quick else "fast_build")   # objects never mix
    exe = build_dir / EXE
    args = QUICK_ARGS if quick else VERILATOR_ARGS
    if (meta.get("weight_load") or {}).get("mode") == "load":
        args = [*args, "-CFLAGS", "-DFPGA_WLOAD"]      # the harness's s_axi_ctrl load code
    digest = content_digest([*sources, HARNESS], {"top": meta["top"], "args": args,
                                           **({"make": QUICK_MAKE} if quick else {})})
    stamp = build_dir / ".fpga_digest"
    if exe.exists() and stamp.exists() and stamp.read_text() == digest:
        return exe, 0.0
    progress(f"building the fast simulator: {len(sources)} files (top {meta['top']}) ...")
    t0 = time.time()
    stamp.unlink(missing_ok=True)
    # --prefix Vtop: the harness includes "Vtop.h" whatever the top module is called
    verilator = setup_verilator_path()
    cmd = [verilator, "--cc", "--exe", *([] if quick else ["--build", "-j", "2"]),
           "--top-module", meta["top"], "--prefix", "Vtop", "--Mdir", str(build_dir), "-o", EXE,
           *args, str(HARNESS), *[s.name for s in sources]]
    log = rtl / "fast_build.log"
    with open(log, "w") as out:
        code = subprocess.run(cmd, cwd=rtl, stdout=out, stderr=subprocess.STDOUT).returncode
        if quick and not code:
            code = _make_quick(verilator, build_dir, out)
    if code or not exe.exists():
        lines = log.read_text(errors="replace").splitlines()
        why = ([l.strip() for l in lines if "error:" in l or "%Error" in l]
               or [f"exit status {code}"])
        raise FpgaError(f"fast simulator build failed ({log}): {why[0][-250:]}")
    stamp.write_text(digest)
    return exe, time.time() - t0


def simulate_fast(project, frames, backpressure: float = 0.0, seed: int = 1, progress=print,
                  packed_bytes=None, reset_after: int = 0, quick: bool = False,
                  reset_at=(), tlast=None, out_frames: int | None = None,
                  weights_file=None) -> dict:
    """Run raw-integer frames through the RTL; the arguments and the result are those of
    runner.cosimulate (without waves), plus "beats_in", "beats_out", "tlast_err" and
    "tlast_errs" (the design's sticky flag and error count at the end of the run), "resets",
    "discarded_in" and "discarded_out" (fast_harness.cpp). ``quick``: see build_fast.

    ``reset_at``: cycles at which to reset the design wherever the stream is; streaming then
    restarts with the first frame whose output was not complete (the outputs are still one
    row per frame). ``tlast``: free framing, to send malformed frames: ``frames`` is then
    (beats, C) raw pixels sent back to back, ``tlast`` one 0/1 per beat, and ``out_frames``
    the number of output frames to wait for. An RTL with the weight-load port is loaded through
    it first (runner.weight_image: ``weights_file`` or the project's weights.npz); the result
    then has "weights_status" (STATUS after the load) and "wload_cycles"."""
    project = Path(project).resolve()
    graph = Graph.load(project)
    meta = rtl_manifest(project)
    image = weight_image(project, meta, weights_file)
    if not 0 <= backpressure < 1:
        raise FpgaError(f"backpressure must be in [0, 1), not {backpressure}")
    h, w, c = graph.input.out_shape
    in_fmt, out_fmt = graph.input.out_fmt, graph.output.out_fmt
    bits = in_tdata_bits(c, in_fmt.width)
    if meta["in_tdata_bits"] != bits or meta["out_tdata_bits"] != OUT_TDATA_BITS:
        raise FpgaError(f"{project}/rtl does not match the project's beat format; "
                        f"regenerate it with 'fpga rtl {project} --force'")
    beat_bytes, classes = bits // 8, int(np.prod(graph.output.out_shape))
    extra = {}
    if tlast is not None:
        pixels, marks = np.asarray(frames), np.asarray(tlast, dtype=np.uint8)
        if pixels.ndim != 2 or pixels.shape[1] != c or marks.shape != (len(pixels),) or not out_frames:
            raise FpgaError(f"free framing needs (beats, {c}) pixels, one tlast per beat and out_frames")
        payload, n = pack_frame_bytes(pixels[None], in_fmt.width, c), int(out_frames)
        extra["tlast"] = marks.tobytes()
    elif packed_bytes is None:
        payload = b"".join(pack_frame_bytes(f, in_fmt.width, c) for f in np.asarray(frames))
        n = len(frames)
    else:
        packed = np.asarray(packed_bytes, dtype=np.uint8)
        if packed.ndim != 2 or packed.shape[1] != h * w * beat_bytes:
            raise FpgaError(f"packed bytes must be (frames, {h * w * beat_bytes}), not {packed.shape}")
        payload, n = packed.tobytes(), len(packed)
    if not n:
        raise FpgaError("no frames to simulate")
    exe, build_s = build_fast(project, progress, quick)
    with tempfile.TemporaryDirectory(prefix="fpga-fast-") as tmp:
        tmp = Path(tmp)
        (tmp / "in.bin").write_bytes(payload)
        cmd = [str(exe), f"in={tmp / 'in.bin'}", f"out={tmp / 'out.bin'}", f"beats={h * w}",
               f"bytes={beat_bytes}", f"out_beats={classes}", f"frames={n}",
               f"backpressure={float(backpressure)!r}", f"seed={int(seed)}",
               f"reset_after={int(reset_after)}", f"max_cycles={stall_budget(meta)}"]
        if len(reset_at):
            cmd.append("reset_at=" + ",".join(str(int(r)) for r in reset_at))
        if "tlast" in extra:
            (tmp / "tlast.bin").write_bytes(extra["tlast"])
            cmd.append(f"tlast={tmp / 'tlast.bin'}")
        if image is not None:
            (tmp / "weights.bin").write_bytes(image.astype("<u4").tobytes())
            cmd += [f"weights={tmp / 'weights.bin'}", f"wload_data={CTRL_REGS['wload_data']}",
                    f"status={CTRL_REGS['status']}", f"control={CTRL_REGS['control']}"]
        t0 = time.time()
        summary = _run(cmd, project / "rtl", n)  # in rtl/: the ROMs' $readmemh paths are relative
        wall = time.time() - t0
        raw = (tmp / "out.bin").read_bytes()
    scores = raw[:n * classes * 4]
    done_at = np.frombuffer(raw[len(scores):], dtype="<i8").astype(np.int64)
    gaps = np.diff(done_at)
    return {"outputs": unpack_scores_bytes(scores, out_fmt.width, out_fmt.signed).reshape(n, classes),
            "out_bytes": np.frombuffer(scores, dtype=np.uint8).reshape(n, classes * 4).copy(),
            "latency_cycles": int(done_at[0]),
            "ii_cycles": int(np.median(gaps)) if len(gaps) else None,
            "total_cycles": int(done_at[-1]), "sim_wall_s": wall, "build_s": build_s,
            "sim_cycles_per_s": summary["cycles"] / wall if wall else None,
            "waves": None, "results_xml": None, "engine": "fast",
            **({"weights_status": summary["weights_status"],
                "wload_cycles": summary["wload_edges"]} if image is not None else {}),
            **{k: summary[k] for k in ("beats_in", "beats_out", "tlast_err", "tlast_errs",
                                       "resets", "discarded_in", "discarded_out")}}


def _run(cmd: list, cwd: Path, frames: int) -> dict:
    """Run the harness with a progress bar of the frames it reports done; returns its summary
    line's numbers. Its output besides that protocol (e.g. the design's $display) and its
    errors go to rtl/fast_sim.log."""
    from tqdm import tqdm
    summary, other = None, []
    with tempfile.TemporaryFile("w+") as err, \
            subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=err, text=True) as proc, \
            tqdm(total=frames, desc="RTL sim (fast)", unit="frame", leave=False) as bar:
        for line in proc.stdout:
            if line.startswith("frame "):
                bar.update(1)
            elif line.startswith("summary "):
                summary = {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
            else:
                other.append(line)
        code = proc.wait()
        err.seek(0)
        errors = err.read()
    log = cwd / "fast_sim.log"
    log.write_text("".join(other) + errors)
    if code or summary is None:
        lines = [l.strip() for l in errors.splitlines() if l.strip()]
        why = ([l for l in lines if l.startswith(("fast_sim:", "%Error"))] or lines
               or [f"exit status {code}"])
        raise FpgaError(f"fast RTL simulation failed ({log}): {why[0][-250:]}")
    return summary
