"""The fast engine: the generated RTL in Verilator driven by a C++ main (fast_harness.cpp), with
no Python per cycle. Same stimulus and results as the cocotb engine (runner.py), which stays
the one for waveforms.

Python packs the frames (fpga.beats: the one definition of the beat format) into a file of
bytes; the harness only moves those bytes onto s_axis, and writes the m_axis beats and the
cycle at which each frame came out back to a file.
"""
from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from ..beats import OUT_TDATA_BITS, in_tdata_bits, pack_frame_bytes, unpack_scores_bytes
from ..errors import FpgaError
from ..graph import Graph
from .runner import _digest, rtl_manifest, stall_budget
from .tools import setup_verilator_path

HARNESS = Path(__file__).with_name("fast_harness.cpp")
EXE = "fast_sim"
# Verilator's slow optimisations and g++ -O2 on the per-cycle code: measured faster than -O1
# by ~15 % for a build that stays well under a minute on the default model.
# CFG_CXXFLAGS_PCH_I: the PyPI wheel's verilated.mk leaves it empty (see tools.py).
VERILATOR_ARGS = ["-O3", "-Wno-fatal", "--x-assign", "0", "--x-initial", "0",
                  "-MAKEFLAGS", "OPT_FAST=-O2", "-MAKEFLAGS", "OPT_SLOW=-O1",
                  "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include"]


def build_fast(project, progress=print) -> tuple[Path, float]:
    """Verilate and compile the RTL with the harness once per change of either.
    Returns (executable, seconds); 0 seconds when the cached build was reused."""
    project = Path(project).resolve()   # Verilator runs in rtl/: absolute paths
    meta = rtl_manifest(project)
    rtl = project / "rtl"
    sources = sorted(rtl.glob("*.v"))
    build_dir = rtl / "fast_build"
    exe = build_dir / EXE
    digest = _digest([*sources, HARNESS], {"top": meta["top"], "args": VERILATOR_ARGS})
    stamp = build_dir / ".fpga_digest"
    if exe.exists() and stamp.exists() and stamp.read_text() == digest:
        return exe, 0.0
    progress(f"building the fast simulator: {len(sources)} files (top {meta['top']}) ...")
    t0 = time.time()
    stamp.unlink(missing_ok=True)
    # --prefix Vtop: the harness includes "Vtop.h" whatever the top module is called
    cmd = [setup_verilator_path(), "--cc", "--exe", "--build", "-j", "2", "--top-module", meta["top"],
           "--prefix", "Vtop", "--Mdir", str(build_dir), "-o", EXE, *VERILATOR_ARGS, str(HARNESS),
           *[s.name for s in sources]]
    log = rtl / "fast_build.log"
    with open(log, "w") as out:
        res = subprocess.run(cmd, cwd=rtl, stdout=out, stderr=subprocess.STDOUT)
    if res.returncode or not exe.exists():
        lines = log.read_text(errors="replace").splitlines()
        why = ([l.strip() for l in lines if "error:" in l or "%Error" in l]
               or [f"exit status {res.returncode}"])
        raise FpgaError(f"fast simulator build failed ({log}): {why[0][-250:]}")
    stamp.write_text(digest)
    return exe, time.time() - t0


def simulate_fast(project, frames, backpressure: float = 0.0, seed: int = 1, progress=print,
                  packed_bytes=None, reset_after: int = 0) -> dict:
    """Run raw-integer frames through the RTL; the arguments and the result are those of
    runner.cosimulate (without waves), plus "beats_in", "beats_out" and "tlast_err" (the
    design's sticky flag at the end of the run)."""
    project = Path(project).resolve()
    graph = Graph.load(project)
    meta = rtl_manifest(project)
    if not 0 <= backpressure < 1:
        raise FpgaError(f"backpressure must be in [0, 1), not {backpressure}")
    h, w, c = graph.input.out_shape
    in_fmt, out_fmt = graph.input.out_fmt, graph.output.out_fmt
    bits = in_tdata_bits(c, in_fmt.width)
    if meta["in_tdata_bits"] != bits or meta["out_tdata_bits"] != OUT_TDATA_BITS:
        raise FpgaError(f"{project}/rtl does not match the project's beat format; "
                        f"regenerate it with 'fpga rtl {project} --force'")
    beat_bytes, classes = bits // 8, int(np.prod(graph.output.out_shape))
    if packed_bytes is None:
        payload = b"".join(pack_frame_bytes(f, in_fmt.width, c) for f in np.asarray(frames))
        n = len(frames)
    else:
        packed = np.asarray(packed_bytes, dtype=np.uint8)
        if packed.ndim != 2 or packed.shape[1] != h * w * beat_bytes:
            raise FpgaError(f"packed bytes must be (frames, {h * w * beat_bytes}), not {packed.shape}")
        payload, n = packed.tobytes(), len(packed)
    if not n:
        raise FpgaError("no frames to simulate")
    exe, build_s = build_fast(project, progress)
    with tempfile.TemporaryDirectory(prefix="fpga-fast-") as tmp:
        tmp = Path(tmp)
        (tmp / "in.bin").write_bytes(payload)
        cmd = [str(exe), f"in={tmp / 'in.bin'}", f"out={tmp / 'out.bin'}", f"beats={h * w}",
               f"bytes={beat_bytes}", f"out_beats={classes}", f"frames={n}",
               f"backpressure={float(backpressure)!r}", f"seed={int(seed)}",
               f"reset_after={int(reset_after)}", f"max_cycles={stall_budget(meta)}"]
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
            "beats_in": summary["beats_in"], "beats_out": summary["beats_out"],
            "tlast_err": summary["tlast_err"]}


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
