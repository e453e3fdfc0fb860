"""What goes to a PYNQ board and where: the .bit/.hwh pair, accel.json, the driver, beats.py,
and the project's weights.npz when the RTL loads its weights through the weight-load port."""
from __future__ import annotations

from pathlib import Path

from .. import beats
from ..errors import FpgaError
from .ssh import Remote

DRIVER = Path(__file__).with_name("pynq_driver.py")
BEATS = Path(beats.__file__)


def default_remote_dir(layout) -> str:
    return f"fpga/{layout.name}"


def deploy_files(layout) -> list:
    files = [layout.bit, layout.hwh, layout.build_dir / "accel.json", DRIVER, BEATS]
    for f in files[:3]:
        if not f.is_file():
            raise FpgaError(f"missing {f}; run 'fpga build {layout.project} --board "
                            f"{layout.board}' with Vivado first")
    import json
    if json.loads(files[2].read_text()).get("weights") == "load":
        weights = Path(layout.project) / "weights.npz"
        if not weights.is_file():
            raise FpgaError(f"missing {weights}: the RTL loads its weights from it")
        files.append(weights)
    return files


def deploy(layout, remote: Remote, remote_dir: str) -> list:
    """Copy everything the board needs; returns the files copied."""
    files = deploy_files(layout)
    remote.check(remote_dir)
    remote.put(files, remote_dir)
    return files
