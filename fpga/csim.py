"""hls4ml's C simulation (g++, no vendor tool) of a written project, through ctypes.

The project's own ``build_lib.sh`` builds ``firmware/<top>-<stamp>.so``; we rebuild only when
the sources changed (hash kept in ``.fpga_csim_hash``). Each frame goes in as doubles equal to
raw * 2**-frac (exact), and each score comes back as a double, exact for <= 52-bit formats.

``quick=True`` (the fuzzer's many small nets) compiles the same two sources as one translation
unit at -O0 instead: measured ~10 s against ~20 s for build_lib.sh's two -O3 units on a small
net here; the library is the same code, only slower per frame.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import re
import subprocess
import time
from pathlib import Path

import numpy as np

from .errors import FpgaError
from .graph import Graph


def _source_hash(hls_dir: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(hls_dir.glob("firmware/**/*")):
        if p.is_file() and p.suffix in (".h", ".cpp", ".txt"):
            h.update(p.relative_to(hls_dir).as_posix().encode())
            h.update(p.read_bytes())
    for p in sorted(hls_dir.glob("*_bridge.cpp")):
        h.update(p.read_bytes())
    return h.hexdigest()


def _quick_command(hls_dir: Path) -> list[str]:
    """One g++ -O0 call on firmware/<p>.cpp and <p>_bridge.cpp together, with build_lib.sh's
    project name, library stamp, weights folder and include path."""
    script = (hls_dir / "build_lib.sh").read_text()
    name, stamp = (re.search(rf"^{k}=(\S+)$", script, re.M) for k in ("PROJECT", "LIB_STAMP"))
    if not name or not stamp:
        raise FpgaError(f"{hls_dir}/build_lib.sh: no PROJECT= / LIB_STAMP= line (hls4ml changed?)")
    name, stamp = name.group(1), stamp.group(1)
    (hls_dir / "csim_quick.cpp").write_text(
        f'#include "firmware/{name}.cpp"\n#include "{name}_bridge.cpp"\n')
    weights = (hls_dir / "firmware" / "weights").resolve()
    return ["g++", "-O0", "-fPIC", "-std=c++17", "-fno-gnu-unique", "-w", "-Ifirmware/ap_types/",
            f'-DWEIGHTS_DIR="{weights}"', "-shared", "csim_quick.cpp",
            "-o", f"firmware/{name}-{stamp}.so"]


def build(project: Path, progress=print, quick: bool = False) -> tuple[Path, float]:
    """Compile the C-sim library if needed. Returns (library path, compile seconds or 0)."""
    manifest = json.loads((project / "manifest.json").read_text())
    hls_dir = project / manifest.get("hls_dir", "hls")
    digest = _source_hash(hls_dir) + (" quick" if quick else "")
    stamp_file = hls_dir / ".fpga_csim_hash"
    libs = sorted(hls_dir.glob(f"firmware/{manifest['hls_top']}-*.so"))
    if libs and stamp_file.exists() and stamp_file.read_text() == digest:
        return libs[-1], 0.0
    for lib in libs:
        lib.unlink()
    progress(f"compiling hls4ml C simulation with g++ (once per project) ...")
    t0 = time.time()
    cmd = _quick_command(hls_dir) if quick else ["bash", "build_lib.sh"]
    res = subprocess.run(cmd, cwd=hls_dir, capture_output=True, text=True)
    if res.returncode != 0:
        lines = (res.stderr + res.stdout).strip().splitlines()
        errors = [l for l in lines if "error" in l.lower()] or lines[-1:] or ["no output"]
        (hls_dir / "csim_build.log").write_text(res.stdout + res.stderr)
        raise FpgaError(f"C-sim compile failed ({hls_dir}/csim_build.log): {errors[0][:200]}")
    libs = sorted(hls_dir.glob(f"firmware/{manifest['hls_top']}-*.so"))
    if not libs:
        raise FpgaError(f"C-sim compile produced no library in {hls_dir}/firmware")
    stamp_file.write_text(digest)
    return libs[-1], time.time() - t0


class CSim:
    def __init__(self, project, progress=print, quick: bool = False):
        self.project = Path(project)
        self.graph = Graph.load(self.project)
        manifest = json.loads((self.project / "manifest.json").read_text())
        self.lib_path, self.compile_seconds = build(self.project, progress, quick)
        lib = ctypes.cdll.LoadLibrary(str(self.lib_path))
        self._fn = getattr(lib, f"{manifest['hls_top']}_double")
        self.n_in = int(np.prod(self.graph.input.out_shape))
        self.n_out = int(np.prod(self.graph.output.out_shape))
        ptr = np.ctypeslib.ndpointer(ctypes.c_double, flags="C_CONTIGUOUS")
        self._fn.argtypes = [ptr, ptr]
        self._fn.restype = None

    def run(self, x_raw) -> np.ndarray:
        """(N, H, W, C) raw input integers -> (N, classes) raw output integers."""
        in_fmt, out_fmt = self.graph.input.out_fmt, self.graph.output.out_fmt
        outs = np.zeros((len(x_raw), self.n_out), dtype=np.int64)
        for i, frame in enumerate(x_raw):
            x = np.ascontiguousarray(np.asarray(frame, dtype=np.float64).reshape(-1)
                                     * 2.0 ** -in_fmt.frac)
            y = np.zeros(self.n_out, dtype=np.float64)
            self._fn(x, y)
            outs[i] = np.round(y * 2.0 ** out_fmt.frac).astype(np.int64)
        return outs
