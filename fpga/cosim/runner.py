"""The cocotb engine: build (cached) and run the network testbench for a project's generated RTL
(fast.py is the engine without Python per cycle)."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from ..errors import FpgaError
from ..graph import Graph
from .tools import verilator_runner

BUILD_ARGS = ["-Wno-fatal", "--x-assign", "0", "--x-initial", "0", "-CFLAGS", "-O1"]


def rtl_manifest(project: Path) -> dict:
    path = project / "rtl" / "rtl.json"
    if not path.exists():
        raise FpgaError(f"{project} has no generated RTL; run 'fpga rtl {project}' first")
    return json.loads(path.read_text())


def weight_image(project: Path, meta: dict, weights_file=None):
    """The weight-load port's image (uint32 words, fpga/beats.py weight_image) for an RTL made
    with --weights load, from ``weights_file`` (a weights.npz: "<layer>/w", "<layer>/b" raw
    integers; default the project's own); None when the RTL's weights are in the bitstream."""
    wl = meta.get("weight_load") or {}
    if wl.get("mode") != "load":
        if weights_file is not None:
            raise FpgaError(f"{project}/rtl has its weights in the bitstream; regenerate it with "
                            f"'fpga rtl --weights load' to load other weights")
        return None
    from ..beats import weight_image as build
    path = Path(weights_file) if weights_file is not None else Path(project) / "weights.npz"
    try:
        with np.load(path) as z:
            arrays = {k: z[k] for k in z.files}
        return build(wl["layers"], arrays, meta["build_id"])
    except (OSError, KeyError, ValueError) as e:
        raise FpgaError(f"weights {path}: {e}") from None


def stall_budget(meta: dict) -> int:
    """Stall detector of both engines: no frame may take more cycles than this after the
    previous one (or after a reset)."""
    return int(meta["model_ii_cycles"] * 4 + 100000)


def content_digest(files, extra) -> str:
    """SHA-256 (hex) of ``extra`` (JSON) and the bytes of ``files`` (sorted): a build stamp."""
    h = hashlib.sha256(json.dumps(extra, sort_keys=True).encode())
    for f in sorted(files):
        h.update(Path(f).read_bytes())
    return h.hexdigest()


def build(project: Path, waves: bool = False, progress=print) -> tuple[Path, float]:
    """Verilate the project's RTL once per source change. Returns (build dir, seconds)."""
    meta = rtl_manifest(project)
    rtl = project / "rtl"
    sources = sorted(rtl.glob("*.v"))
    build_dir = rtl / ("sim_build_waves" if waves else "sim_build")
    digest = content_digest(sources, {"top": meta["top"], "waves": waves, "args": BUILD_ARGS})
    stamp = build_dir / ".fpga_digest"
    if stamp.exists() and stamp.read_text() == digest:
        return build_dir, 0.0
    progress(f"verilating {len(sources)} files (top {meta['top']}) ...")
    t0 = time.time()
    runner = verilator_runner(public_module=meta["top"])
    args = BUILD_ARGS + (["--trace-fst", "--trace-structs"] if waves else [])
    log = rtl / "verilator_build.log"
    try:
        runner.build(sources=sources, hdl_toplevel=meta["top"], build_dir=build_dir,
                     build_args=args, always=True, waves=waves, log_file=log,
                     timescale=("1ns", "1ps"))
    except Exception as e:
        raise FpgaError(f"Verilator build failed: {e}; see {log}") from None
    stamp.write_text(digest)
    return build_dir, time.time() - t0


def cosimulate(project, frames, backpressure: float = 0.0, seed: int = 1, waves: bool = False,
               progress=print, packed_bytes=None, reset_after: int = 0,
               weights_file=None) -> dict:
    """Run raw-integer frames through the RTL. Returns outputs and cycle measurements.
    ``packed_bytes`` ((N, frame bytes) uint8) replaces our own packing of ``frames``: the
    board driver's bytes go through the RTL exactly as a DMA would send them.
    ``reset_after``: reset the design after that many frames, then stream the rest.
    An RTL with the weight-load port gets its weights through the port first (runner.weight_image:
    ``weights_file`` or the project's weights.npz)."""
    project = Path(project)
    graph = Graph.load(project)
    meta = rtl_manifest(project)
    image = weight_image(project, meta, weights_file)
    build_dir, build_s = build(project, waves, progress)
    in_fmt, out_fmt = graph.input.out_fmt, graph.output.out_fmt
    cfg = {"backpressure": backpressure, "seed": seed, "reset_after": reset_after, "in_width": in_fmt.width,
           "channels": graph.input.out_shape[2], "out_width": out_fmt.width,
           "out_signed": out_fmt.signed, "max_cycles_per_frame": stall_budget(meta)}
    with tempfile.TemporaryDirectory(prefix="fpga-cosim-") as tmp:
        tmp = Path(tmp)
        np.save(tmp / "in.npy", np.asarray(frames, dtype=np.int64))
        env = {"FPGA_COSIM_IN": str(tmp / "in.npy"), "FPGA_COSIM_OUT": str(tmp / "out.npz"),
               "FPGA_COSIM_CFG": json.dumps(cfg)}
        if packed_bytes is not None:
            np.save(tmp / "bytes.npy", np.asarray(packed_bytes, dtype=np.uint8))
            env["FPGA_COSIM_BYTES"] = str(tmp / "bytes.npy")
        env["FPGA_COSIM_PROGRESS"] = str(tmp / "progress.txt")
        if image is not None:
            np.save(tmp / "weights.npy", image)
            env["FPGA_COSIM_WEIGHTS"] = str(tmp / "weights.npy")
        t0 = time.time()
        runner = verilator_runner()
        # run in rtl/: the ROMs' $readmemh paths are relative to it
        results = _with_progress(len(frames), tmp / "progress.txt", lambda: runner.test(
            test_module="fpga.cosim.tb_network", hdl_toplevel=meta["top"],
            hdl_toplevel_lang="verilog", build_dir=build_dir, test_dir=project / "rtl",
            extra_env=env, waves=waves, results_xml=str(tmp / "results.xml"),
            log_file=project / "rtl" / "cosim.log"))
        wall = time.time() - t0
        if not (tmp / "out.npz").exists():
            log = project / "rtl" / "cosim.log"
            lines = log.read_text().splitlines() if log.exists() else []
            why = [l.strip() for l in lines if "Error" in l or "error:" in l] or ["no output"]
            raise FpgaError(f"RTL simulation failed ({log}): {why[0][-250:]}")
        with np.load(tmp / "out.npz") as z:
            outputs, done_at, out_bytes = z["outputs"], z["done_at"], z["out_bytes"]
        wave_file = None
        if waves:
            found = sorted(Path(build_dir).glob("*.fst")) + sorted((project / "rtl").glob("dump.fst"))
            if found:
                wave_file = project / "rtl" / "cosim.fst"
                os.replace(found[0], wave_file)
    gaps = np.diff(done_at)
    return {"outputs": outputs, "out_bytes": out_bytes, "latency_cycles": int(done_at[0]),
            "ii_cycles": int(np.median(gaps)) if len(gaps) else None,
            "total_cycles": int(done_at[-1]), "sim_wall_s": wall, "build_s": build_s,
            "sim_cycles_per_s": float(done_at[-1] / wall) if wall else None,
            "waves": str(wave_file) if wave_file else None, "results_xml": str(results),
            "engine": "cocotb"}


def _with_progress(frames: int, progress_file: Path, run):
    """Run the simulation in a thread and show a progress bar of the frames it has finished."""
    import threading
    from tqdm import tqdm
    result = {}

    def target():
        try:
            result["value"] = run()
        except BaseException as e:  # re-raised in the caller's thread
            result["error"] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    with tqdm(total=frames, desc="RTL co-sim", unit="frame", leave=False) as bar:
        while thread.is_alive():
            thread.join(0.5)
            done = len(progress_file.read_text().split()) if progress_file.exists() else 0
            bar.update(done - bar.n)
    if "error" in result:
        raise result["error"]
    return result["value"]


def run_testbench(project, test_module: str, cfg: dict, frames, progress=print) -> dict:
    """Run another cocotb test module (e.g. fpga.cosim.tb_ctrl) on the project's RTL with the
    same cached build: it reads ``cfg`` ($FPGA_COSIM_CFG) and ``frames`` ($FPGA_COSIM_IN, raw
    ints) and writes a JSON result ($FPGA_COSIM_OUT), which is returned."""
    project = Path(project)
    meta = rtl_manifest(project)
    build_dir, _ = build(project, False, progress)
    with tempfile.TemporaryDirectory(prefix="fpga-tb-") as tmp:
        tmp = Path(tmp)
        np.save(tmp / "in.npy", np.asarray(frames, dtype=np.int64))
        env = {"FPGA_COSIM_IN": str(tmp / "in.npy"), "FPGA_COSIM_OUT": str(tmp / "out.json"),
               "FPGA_COSIM_CFG": json.dumps({**cfg, "max_cycles_per_frame": stall_budget(meta)})}
        log = project / "rtl" / f"{test_module.rsplit('.', 1)[-1]}.log"
        verilator_runner().test(test_module=test_module, hdl_toplevel=meta["top"],
                                hdl_toplevel_lang="verilog", build_dir=build_dir,
                                test_dir=project / "rtl", extra_env=env,
                                results_xml=str(tmp / "results.xml"), log_file=log)
        if not (tmp / "out.json").exists():
            lines = log.read_text().splitlines() if log.exists() else []
            why = [l.strip() for l in lines if "Error" in l or "FAIL" in l] or ["no output"]
            raise FpgaError(f"{test_module} failed ({log}): {why[0][-250:]}")
        return json.loads((tmp / "out.json").read_text())
