"""Determinism: the same model and options give byte-identical RTL, .mem, Tcl and JSON, in two
project folders at different paths (so no absolute path or time stamp may leak into them)."""
import hashlib
import json
from pathlib import Path

from fpga.cli import main

from .conftest import DEFAULT_MODEL

# What the flow writes for a project (hls/ is hls4ml's own tree: its C-sim library stamp is
# random by design and not ours to fix; the files we write into it are covered by test_csim).
PATTERNS = ["*.json", "rtl/*.v", "rtl/*.mem", "rtl/*.json", "build/*/*.tcl", "build/*/*.json",
            "build/*/*.cpp", "build/*/*.h", "build/*/*.v"]


def digests(project: Path) -> dict:
    files = sorted({f for pat in PATTERNS for f in project.glob(pat) if f.is_file()})
    return {f.relative_to(project).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def flow(root: Path, capsys) -> tuple[dict, str]:
    project = root / "proj"
    assert main(["convert", str(DEFAULT_MODEL), "-o", str(project), "--board", "pynq-z2"]) == 0
    err = capsys.readouterr().err      # quiet: Keras's and hls4ml's warnings go to the log
    log = (project / "logs" / "convert.log").read_text()
    assert "Warning" not in err and "warning(s) from Keras/hls4ml" in err
    assert "hls4ml" in log and "UserWarning" in log
    assert main(["rtl", str(project)]) == 0
    assert main(["build", str(project), "--board", "pynq-z2", "--scripts-only"]) == 0
    capsys.readouterr()
    assert main(["fit", str(project), "--board", "pynq-z2", "--json"]) == 0
    return digests(project), capsys.readouterr().out


def test_same_model_same_bytes(tmp_path, capsys):
    a, fit_a = flow(tmp_path / "a", capsys)
    b, fit_b = flow(tmp_path / "b", capsys)
    kinds = {Path(k).suffix for k in a}
    assert {".v", ".mem", ".tcl", ".json"} <= kinds, kinds
    assert len(a) > 20
    assert a == b, sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    assert json.loads(fit_a) == json.loads(fit_b) and fit_a == fit_b
