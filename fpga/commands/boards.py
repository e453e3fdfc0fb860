"""fpga boards: list the known boards (built-in and user-defined)."""
from __future__ import annotations

import json

from ..boards import add_boards_file_argument, load_boards

HELP = "list the target boards: part, PS, clock and fabric capacity"
DESCRIPTION = """List the target boards: part, Yosys family, PS type, fabric clock, capacities.

Add your own boards with a JSON file shaped like fpga/boards.json ({"boards": {name: fields}}):
~/.config/fpga/boards.json, the file named by $FPGA_BOARDS, or --boards-file (later wins).
An entry for a known board is merged over it field by field."""

_COLUMNS = [("board", "name"), ("part", "part"), ("family", "family"), ("ps", "ps"),
            ("MHz", "clock_mhz"), ("LUT", "lut"), ("FF", "ff"), ("DSP", "dsp"),
            ("BRAM36", "bram36"), ("URAM", "uram"), ("source", "source")]


def add_arguments(p):
    p.add_argument("--json", action="store_true", help="print the boards as JSON")
    add_boards_file_argument(p)


def _fmt(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def run(args) -> int:
    boards = load_boards(args.boards_file)
    if args.json:
        print(json.dumps({n: b.to_dict() for n, b in boards.items()}, indent=1))
        return 0
    rows = [[h for h, _ in _COLUMNS]]
    rows += [[_fmt(getattr(b, k)) for _, k in _COLUMNS] for b in boards.values()]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
    numeric = {"MHz", "LUT", "FF", "DSP", "BRAM36", "URAM"}
    for r in rows:
        cells = [c.rjust(w) if h in numeric else c.ljust(w)
                 for c, w, (h, _) in zip(r, widths, _COLUMNS)]
        print("  ".join(cells).rstrip())
    return 0
