"""Where the vendor flow reads and writes inside a project folder (one place, no guessing).

  <project>/ir.json, weights.npz        the IR (fpga convert)
  <project>/manifest.json               optional; "hls_top", "rtl_top"
  <project>/hls/firmware/<top>.cpp      the hls4ml project (Vitis HLS sources)
  <project>/rtl/*.v, *.mem              the open RTL (fpga rtl)
  <project>/build/<board>/              everything `fpga build` writes:
      build.json                        the build configuration (what the scripts were made from)
      accel.json                        stream format for the board driver
      hls.tcl, vivado.tcl, flash_jtag.tcl
      <top>_axis.cpp, <top>_axis.h      --from hls: the beat-format HLS top around hls4ml's
                                        <top> (hls_axis.py); hls.tcl synthesises it
      hls_prj/  vivado/  ip_repo/       vendor tool working folders (made when the tools run)
      out/<name>.bit .hwh .xsa          the results, plus utilization/timing reports
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

BUILD_FILES = ("build.json", "accel.json", "hls.tcl", "vivado.tcl", "flash_jtag.tcl")
WRAPPER_ENDINGS = ("_axis.cpp", "_axis.h")   # hls_axis.wrapper_names(<top>)


def is_generated(name: str) -> bool:
    """A file `fpga build` writes into the build folder (so a stale one may be removed)."""
    return name in BUILD_FILES or name.endswith(WRAPPER_ENDINGS)


def out_name(project: Path) -> str:
    """Base name of the .bit/.hwh/.xsa (PYNQ pairs a .bit with the .hwh of the same name)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", Path(project).resolve().name) or "accel"
    return name if name[0].isalpha() else "a_" + name


@dataclass(frozen=True)
class Layout:
    project: Path
    board: str

    @property
    def build_dir(self) -> Path:
        return self.project / "build" / self.board

    @property
    def out_dir(self) -> Path:
        return self.build_dir / "out"

    @property
    def name(self) -> str:
        return out_name(self.project)

    def out(self, ext: str) -> Path:
        return self.out_dir / f"{self.name}.{ext}"

    @property
    def bit(self) -> Path:
        return self.out("bit")

    @property
    def hwh(self) -> Path:
        return self.out("hwh")

    @property
    def xsa(self) -> Path:
        return self.out("xsa")

    def script(self, name: str) -> Path:
        return self.build_dir / name


def built_boards(project: Path) -> list:
    """Boards that have a build folder with scripts in this project."""
    root = Path(project) / "build"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / "build.json").is_file())


def resolve_build(project, board: str | None = None, boards_file=None) -> Layout:
    """The build of PROJECT for BOARD (or its only build when no board is named)."""
    from ..boards import get_board
    from ..errors import FpgaError

    project = Path(project).resolve()
    if not project.is_dir():
        raise FpgaError(f"project folder {project} does not exist")
    if board:
        get_board(board, boards_file)   # unknown board -> clear error
        layout = Layout(project, board)
        if not (layout.build_dir / "build.json").is_file():
            raise FpgaError(f"no build for {board} in {project}; run "
                            f"'fpga build {project} --board {board}' first")
        return layout
    built = built_boards(project)
    if not built:
        raise FpgaError(f"no build in {project / 'build'}; run "
                        f"'fpga build {project} --board BOARD' first")
    if len(built) > 1:
        raise FpgaError(f"{project} has builds for {', '.join(built)}; pick one with --board")
    return Layout(project, built[0])
