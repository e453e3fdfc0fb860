"""Board registry: built-in data, user board files (merge, precedence, validation), CLI."""
from __future__ import annotations

import json

import pytest

from fpga.boards import get_board, load_boards
from fpga.cli import main
from fpga.errors import FpgaError

# Device data sheets (DS190 Zynq-7000, DS891 Zynq UltraScale+, DS987 K26).
EXPECTED = {
    "pynq-z2": ("xc7z020clg400-1", "xc7", "ps7", 53200, 106400, 220, 140, 0),
    "zcu104": ("xczu7ev-ffvc1156-2-e", "xcup", "ps8", 230400, 460800, 1728, 312, 96),
    "kv260": ("xck26-sfvc784-2LV-c", "xcup", "ps8", 117120, 234240, 1248, 144, 64),
    "ultra96v2": ("xczu3eg-sbva484-1-i", "xcup", "ps8", 70560, 141120, 360, 216, 0),
    "zcu102": ("xczu9eg-ffvb1156-2-e", "xcup", "ps8", 274080, 548160, 2520, 912, 0),
}


@pytest.fixture(autouse=True)
def no_user_boards(monkeypatch, tmp_path):
    """Keep the developer's own board files out of these tests."""
    monkeypatch.delenv("FPGA_BOARDS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def _write(path, boards):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"boards": boards}))
    return path


def _stderr_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err and len(err.splitlines()) == 1, f"expected one line on stderr, got: {err!r}"
    return err


NEW = {"part": "xc7z010clg400-1", "family": "xc7", "ps": "ps7", "clock_mhz": 125,
       "lut": 17600, "ff": 35200, "dsp": 80, "bram36": 60, "uram": 0}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_builtin_boards(name):
    b = get_board(name)
    assert (b.part, b.family, b.ps, b.lut, b.ff, b.dsp, b.bram36, b.uram) == EXPECTED[name]
    assert b.clock_mhz == (200 if b.family == "xc7" else 300)   # the target fabric clock
    assert b.clock_period_ns == pytest.approx(1000.0 / b.clock_mhz)
    assert b.ps_ip == ("processing_system7" if b.ps == "ps7" else "zynq_ultra_ps_e")
    assert b.board_part.count(":") == 3
    assert b.source == "built-in"


def test_exactly_the_builtin_boards():
    assert sorted(load_boards()) == sorted(EXPECTED)


def test_unknown_board_lists_known():
    with pytest.raises(FpgaError, match=r"unknown board 'zedboard'; known: kv260, pynq-z2, "
                                        r"ultra96v2, zcu102, zcu104"):
        get_board("zedboard")


def test_user_file_adds_and_overrides(tmp_path):
    f = _write(tmp_path / "b.json", {"zybo-z7-10": NEW, "zcu104": {"clock_mhz": 200}})
    boards = load_boards(f)
    assert boards["zybo-z7-10"].lut == 17600 and boards["zybo-z7-10"].source == str(f)
    assert boards["zcu104"].clock_mhz == 200
    assert boards["zcu104"].part == "xczu7ev-ffvc1156-2-e"   # merged, not replaced


def test_precedence_config_then_env_then_option(tmp_path, monkeypatch):
    _write(tmp_path / "xdg" / "fpga" / "boards.json", {"kv260": {"clock_mhz": 150}})
    assert get_board("kv260").clock_mhz == 150
    env = _write(tmp_path / "env.json", {"kv260": {"clock_mhz": 175}})
    monkeypatch.setenv("FPGA_BOARDS", str(env))
    assert get_board("kv260").clock_mhz == 175
    opt = _write(tmp_path / "opt.json", {"kv260": {"clock_mhz": 187.5}})
    assert get_board("kv260", opt).clock_mhz == 187.5


@pytest.mark.parametrize("boards,msg", [
    ({"new": {"part": "xc7z010clg400-1"}}, "missing field(s) family, ps, clock_mhz"),
    ({"new": dict(NEW, family="xc6")}, "'family' must be one of xc7, xcup"),
    ({"new": dict(NEW, ps="ps8")}, "family xc7 goes with ps ps7"),
    ({"new": dict(NEW, lut=-1)}, "'lut' must be a non-negative integer"),
    ({"new": dict(NEW, dsp="80")}, "'dsp' must be a non-negative integer"),
    ({"new": dict(NEW, clock_mhz=0)}, "'clock_mhz' must be a number in 1..1000"),
    ({"new": dict(NEW, part="z7010")}, "does not look like a Xilinx part"),
    ({"new": dict(NEW, board_part="digilent:zybo")}, "vendor:board:part0:revision"),
    ({"new": dict(NEW, lutz=1)}, "unknown field(s) lutz"),
    ({"Bad Name": NEW}, "board name 'Bad Name'"),
    ({"new": [1, 2]}, "must be an object of fields"),
    ({"zcu104": {"family": "xc7"}}, "family xc7 goes with ps ps7, not ps8"),
])
def test_user_file_validation(tmp_path, boards, msg):
    f = _write(tmp_path / "b.json", boards)
    with pytest.raises(FpgaError) as e:
        load_boards(f)
    assert msg in str(e.value)


def test_user_file_not_json(tmp_path):
    f = tmp_path / "b.json"
    f.write_text("{ nope")
    with pytest.raises(FpgaError, match="is not valid JSON"):
        load_boards(f)
    f.write_text("[]")
    with pytest.raises(FpgaError, match='must be a JSON object with a "boards" object'):
        load_boards(f)
    with pytest.raises(FpgaError, match="does not exist"):
        load_boards(tmp_path / "missing.json")


def test_cli_boards_table(capsys):
    assert main(["boards"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:5] == ["board", "part", "family", "ps", "MHz"]
    rows = {line.split()[0]: line.split() for line in out[1:]}
    assert set(rows) == set(EXPECTED)
    assert rows["kv260"][1:5] == ["xck26-sfvc784-2LV-c", "xcup", "ps8", "300"]
    assert rows["pynq-z2"][5:10] == ["53200", "106400", "220", "140", "0"]


def test_cli_boards_json_with_file(tmp_path, capsys):
    f = _write(tmp_path / "b.json", {"zybo-z7-10": NEW})
    assert main(["boards", "--json", "--boards-file", str(f)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["zybo-z7-10"]["clock_mhz"] == 125
    assert data["zcu102"]["dsp"] == 2520 and data["zcu102"]["uram"] == 0


def test_cli_boards_bad_file_is_one_line(tmp_path, capsys):
    f = _write(tmp_path / "b.json", {"new": dict(NEW, family="xc6")})
    assert main(["boards", "--boards-file", str(f)]) == 2
    assert _stderr_line(capsys).startswith("fpga boards: error: board 'new' in ")


def test_cli_env_file_missing_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FPGA_BOARDS", str(tmp_path / "gone.json"))
    assert main(["boards"]) == 2
    assert "board file (FPGA_BOARDS)" in _stderr_line(capsys)
