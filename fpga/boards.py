"""Board registry: the Zynq boards we build for, their parts and fabric capacities.

Built-ins live in ``fpga/boards.json``. Users add or change boards with a JSON file of the same
shape (``{"boards": {"name": {...}}}``), looked up in this order, later ones winning:

  1. ``$XDG_CONFIG_HOME/fpga/boards.json`` (default ``~/.config/fpga/boards.json``)
  2. the file named by the environment variable ``FPGA_BOARDS``
  3. ``--boards-file FILE`` on the command line

An entry whose name is already known is merged field by field over it (so ``{"zcu104":
{"clock_mhz": 200}}`` is enough to change one field); a new name must give every required field.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .errors import FpgaError

BUILTIN = Path(__file__).with_name("boards.json")
FAMILIES = ("xc7", "xcup")          # Yosys synth_xilinx -family
PS_TYPES = ("ps7", "ps8")           # processing_system7 / zynq_ultra_ps_e
PS_OF_FAMILY = {"xc7": "ps7", "xcup": "ps8"}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_PART_RE = re.compile(r"^xc[a-z0-9]+(-[a-z0-9]+)*$", re.IGNORECASE)


@dataclass(frozen=True)
class Board:
    name: str
    part: str
    family: str
    ps: str
    clock_mhz: float
    lut: int
    ff: int
    dsp: int
    bram36: int
    uram: int
    board_part: str = ""
    description: str = ""
    source: str = "built-in"

    @property
    def clock_period_ns(self) -> float:
        return 1000.0 / self.clock_mhz

    @property
    def ps_ip(self) -> str:
        return "processing_system7" if self.ps == "ps7" else "zynq_ultra_ps_e"

    @property
    def capacity(self) -> dict:
        return {"lut": self.lut, "ff": self.ff, "dsp": self.dsp, "bram36": self.bram36,
                "uram": self.uram}

    def to_dict(self) -> dict:
        return asdict(self)


_FIELDS = {f.name: f for f in fields(Board)}
_REQUIRED = ("part", "family", "ps", "clock_mhz", "lut", "ff", "dsp", "bram36", "uram")
_INT_FIELDS = ("lut", "ff", "dsp", "bram36", "uram")
_STR_FIELDS = ("part", "family", "ps", "board_part", "description")


def _read(path: Path, what: str) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FpgaError(f"{what} {path} does not exist") from None
    except json.JSONDecodeError as e:
        raise FpgaError(f"{what} {path} is not valid JSON: {e.msg} (line {e.lineno})") from None
    except OSError as e:
        raise FpgaError(f"cannot read {what} {path}: {e.strerror}") from None
    if not isinstance(data, dict) or not isinstance(data.get("boards"), dict):
        raise FpgaError(f"{what} {path} must be a JSON object with a \"boards\" object "
                        f"(name -> fields)")
    return data["boards"]


def _check(name: str, entry: dict, where: str) -> Board:
    def bad(msg):
        return FpgaError(f"board '{name}' in {where}: {msg}")

    missing = [k for k in _REQUIRED if k not in entry]
    if missing:
        raise bad(f"missing field(s) {', '.join(missing)}")
    for k in _INT_FIELDS:
        v = entry[k]
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise bad(f"'{k}' must be a non-negative integer, got {v!r}")
    for k in _STR_FIELDS:
        if k in entry and not isinstance(entry[k], str):
            raise bad(f"'{k}' must be a string, got {entry[k]!r}")
    if entry["family"] not in FAMILIES:
        raise bad(f"'family' must be one of {', '.join(FAMILIES)}, got {entry['family']!r}")
    if entry["ps"] not in PS_TYPES:
        raise bad(f"'ps' must be one of {', '.join(PS_TYPES)}, got {entry['ps']!r}")
    if PS_OF_FAMILY[entry["family"]] != entry["ps"]:
        raise bad(f"family {entry['family']} goes with ps {PS_OF_FAMILY[entry['family']]}, "
                  f"not {entry['ps']}")
    if not _PART_RE.match(entry["part"]):
        raise bad(f"'part' {entry['part']!r} does not look like a Xilinx part (e.g. "
                  f"xc7z020clg400-1)")
    clk = entry["clock_mhz"]
    if isinstance(clk, bool) or not isinstance(clk, (int, float)) or not 1 <= clk <= 1000:
        raise bad(f"'clock_mhz' must be a number in 1..1000, got {clk!r}")
    bp = entry.get("board_part", "")
    if bp and len(bp.split(":")) != 4:
        raise bad(f"'board_part' must be vendor:board:part0:revision, got {bp!r}")
    return Board(name=name, source=where, **{k: entry[k] for k in entry
                                             if k in _FIELDS and k not in ("name", "source")})


def user_files(boards_file=None) -> list:
    """The user board files that exist or were asked for, lowest priority first."""
    files = []
    cfg = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "fpga/boards.json"
    if cfg.is_file():
        files.append((cfg, "board file"))
    env = os.environ.get("FPGA_BOARDS")
    if env:
        files.append((Path(env), "board file (FPGA_BOARDS)"))
    if boards_file:
        files.append((Path(boards_file), "board file (--boards-file)"))
    return files


def load_boards(boards_file=None) -> dict:
    """All boards, name -> Board: built-ins, then user files merged over them."""
    raw = {name: dict(v, _where="built-in") for name, v in _read(BUILTIN, "built-in").items()}
    for path, what in user_files(boards_file):
        for name, entry in _read(path, what).items():
            if not isinstance(name, str) or not _NAME_RE.match(name):
                raise FpgaError(f"{what} {path}: board name {name!r} must be lower-case "
                                f"letters, digits, '-', '_' or '.'")
            if not isinstance(entry, dict):
                raise FpgaError(f"{what} {path}: board '{name}' must be an object of fields")
            unknown = sorted(k for k in entry if k not in _FIELDS or k in ("name", "source"))
            unknown = [k for k in unknown if not k.startswith("_")]
            if unknown:
                raise FpgaError(f"board '{name}' in {path}: unknown field(s) "
                                f"{', '.join(unknown)}; known: "
                                f"{', '.join(k for k in _FIELDS if k not in ('name', 'source'))}")
            raw[name] = {**raw.get(name, {}), **entry, "_where": str(path)}
    boards = {}
    for name, entry in raw.items():
        where = entry.pop("_where")
        entry = {k: v for k, v in entry.items() if not k.startswith("_")}
        boards[name] = _check(name, entry, where)
    return boards


def get_board(name: str, boards_file=None) -> Board:
    boards = load_boards(boards_file)
    if name not in boards:
        raise FpgaError(f"unknown board '{name}'; known: {', '.join(sorted(boards))}")
    return boards[name]


def add_boards_file_argument(parser) -> None:
    parser.add_argument("--boards-file", metavar="FILE",
                        help="extra board definitions (JSON, same shape as fpga/boards.json), "
                             "merged over the built-ins, ~/.config/fpga/boards.json and "
                             "$FPGA_BOARDS")
