"""Small helpers shared by the sub-commands."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import FpgaError


def say(msg: str) -> None:
    """Progress and notes go to stderr so that --json output on stdout stays clean."""
    print(msg, file=sys.stderr, flush=True)


def print_json(obj) -> None:
    print(json.dumps(obj, indent=1, sort_keys=False))


def project_dir(path) -> Path:
    path = Path(path)
    if not (path / "manifest.json").exists() or not (path / "ir.json").exists():
        raise FpgaError(f"{path} is not a converted project (no manifest.json/ir.json); "
                        "run 'fpga convert MODEL -o DIR' first")
    return path
