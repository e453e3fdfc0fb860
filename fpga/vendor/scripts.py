"""Write the whole script set of one build into ``<project>/build/<board>/``, all or nothing.

All files are first written to a hidden temporary folder beside it. A new build folder is then
renamed into place in one step. An existing one is refused unless ``force``; with ``force`` the
script files are swapped in one by one (``os.replace``, after every one of them was written
successfully) and stale ones (``layout.is_generated``, e.g. an HLS wrapper of a former top)
removed, while vendor work folders and earlier results (``out/``) are kept until the tools
overwrite them.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..errors import FpgaError
from .config import BuildConfig
from .hls_axis import AxisSpec, wrapper_sources
from .hls_tcl import hls_tcl
from .jtag_tcl import flash_jtag_tcl
from .layout import is_generated
from .vivado_tcl import vivado_tcl


def generate(cfg: BuildConfig, accel_json: str) -> dict:
    """File name -> text of everything `fpga build` writes."""
    files = {"build.json": cfg.to_json(), "accel.json": accel_json}
    if cfg.source == "hls":
        files.update(wrapper_sources(AxisSpec.from_dict(cfg.hls_wrapper)))
        files["hls.tcl"] = hls_tcl(cfg)
    files["vivado.tcl"] = vivado_tcl(cfg)
    files["flash_jtag.tcl"] = flash_jtag_tcl(cfg)
    return files


def write_build_dir(build_dir: Path, files: dict, force: bool = False) -> Path:
    build_dir = Path(build_dir)
    if build_dir.exists() and not force:
        raise FpgaError(f"{build_dir} already exists; use --force to overwrite its scripts")
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{build_dir.name}.new-", dir=build_dir.parent))
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)
        for name, text in files.items():
            (tmp / name).write_text(text)
        if not build_dir.exists():
            os.rename(tmp, build_dir)
            return build_dir
        if not build_dir.is_dir():
            raise FpgaError(f"{build_dir} exists and is not a folder")
        for name in files:
            os.replace(tmp / name, build_dir / name)
        for path in sorted(build_dir.iterdir()):
            if path.name not in files and is_generated(path.name) and path.is_file():
                path.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return build_dir
