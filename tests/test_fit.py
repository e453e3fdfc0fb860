"""fpga fit: analytic resource estimate and verdict (no tools, fast)."""
from __future__ import annotations

import json

import pytest

from fpga.cli import main
from fpga.errors import FpgaError
from fpga.fit import _halves_bram, fit_report, place_memory

from .conftest import make_model, make_project

JSON_KEYS = ("board", "part", "fits", "bram36", "bram36_available", "uram", "uram_available",
             "dsp", "dsp_available", "lut", "lut_available", "ff", "ff_available",
             "weights_bits", "per_layer", "advice", "verdict")


@pytest.fixture(scope="module")
def v11_project(workdir):
    """SqueezeNet v1.1, 224x224x3, 1000 classes, 8-bit (about 9.9 Mbit of weights)."""
    out = workdir / "v11_224"
    if not (out / "ir.json").exists():
        model = make_model(workdir, "v11_224", arch="squeezenet1_1", input_size=224,
                           channels=3, classes=1000)
        make_project(workdir, model, "v11_224")
    return out


def test_default_model_fits_pynq_z2_with_all_weights_on_chip(default_project, capsys):
    rep = fit_report(default_project, "pynq-z2")
    # on-chip memory and DSPs: every weight in BRAM/LUTs, well within the board
    assert rep["weights_on_chip"] and rep["weights_onchip_bits"] >= rep["weights_bits"] > 0
    assert 0 < rep["bram36"] <= rep["bram36_available"] == 140
    assert rep["uram"] == 0 and rep["uram_available"] == 0
    assert 0 < rep["dsp"] <= 220 and rep["dsp"] == rep["mac_lanes"]
    assert "bram36" not in rep["over"] and "dsp" not in rep["over"]
    convs = [l for l in rep["per_layer"] if l["kind"] == "conv"]
    assert convs and all(l["pe"] >= 1 and l["simd"] >= 1 for l in convs)
    assert sum(l["dsp"] for l in rep["per_layer"]) == rep["dsp"]
    rc = main(["fit", str(default_project), "--board", "pynq-z2"])
    out = capsys.readouterr().out
    assert "BRAM36" in out and rep["verdict"] in out
    assert rep["fits"] and rep["over"] == [] and rc == 0, rep["verdict"]
    assert rep["lut"] <= 0.8 * rep["lut_available"]           # room for place and route
    assert "fits pynq-z2" in out


def test_board_defaults_to_the_manifest(default_project):
    board = json.loads((default_project / "manifest.json").read_text())["board"]
    assert fit_report(default_project)["board"] == board


def test_v11_224_does_not_fit_pynq_z2_and_says_why(v11_project, capsys):
    rep = fit_report(v11_project, "pynq-z2")
    assert not rep["fits"] and "bram36" in rep["over"] and not rep["weights_on_chip"]
    assert rep["bram36"] > rep["bram36_available"] == 140
    assert rep["weights_bits"] > 140 * 36 * 1024       # more weight bits than block RAM bits
    assert main(["fit", str(v11_project), "--board", "pynq-z2"]) == 1
    out = capsys.readouterr().out
    assert f"needs {rep['bram36']:g} BRAM36" in out and "pynq-z2 has 140" in out
    assert "does NOT fit" in out
    # advice names what to change, including the boards that do fit
    text = " ".join(rep["advice"])
    assert "width multiplier" in text and "bigger board" in text
    assert "zcu102" in rep["boards_that_fit"]


def test_v11_224_does_not_fit_kv260_with_the_pipelined_rtl(v11_project):
    """The pipelined RTL (registered joins, skids, fabric pipeline registers on xcup) needs more
    LUT/FF than kv260 has, and its weights would need URAM that nothing loads: no fit, with
    the boards that do."""
    rep = fit_report(v11_project, "kv260")
    assert not rep["fits"] and {"lut", "ff"} & set(rep["over"]), rep["verdict"]
    assert {"zcu104", "zcu102"} <= set(rep["boards_that_fit"])


@pytest.mark.parametrize("board", ["zcu104", "zcu102"])
def test_v11_224_on_the_bigger_boards(v11_project, board):
    rep = fit_report(v11_project, board, compare=False)
    assert rep["fits"] and rep["weights_on_chip"], rep["verdict"]
    assert rep["bram36"] <= rep["bram36_available"] and rep["uram"] <= rep["uram_available"]
    assert rep["lut"] <= rep["lut_available"] and rep["dsp"] <= rep["dsp_available"]
    if board == "kv260":       # 144 BRAM36 cannot hold ~9.9 Mbit: URAM takes weights
        assert rep["uram"] > 0 and rep["weights_in_uram"]
        assert rep["weights_bits"] > 144 * 36 * 1024
        assert any("URAM" in a for a in rep["advice"])         # must be loaded at run time
    if board == "zcu102":      # no URAM, 912 BRAM36: memory is no problem
        assert rep["uram"] == 0 and rep["bram36"] <= 912


def test_fold_more_when_the_full_lanes_do_not_fit(v11_project):
    """A zcu104 with fewer LUTs: its 1728 DSPs would need more LUTs than it has, so fewer MAC
    lanes, and the advice gives the 'fpga rtl --lanes N' that generates that folding."""
    import dataclasses
    from fpga.boards import get_board
    small = dataclasses.replace(get_board("zcu104"), name="zcu104-small", lut=150_000)
    rep = fit_report(v11_project, small, compare=False)
    assert rep["fits"], rep["verdict"]
    assert rep["lane_budget"] < 1728 and rep["mac_lanes"] <= rep["lane_budget"]
    assert rep["fits_at_full_lanes"] is False
    assert f"--lanes {rep['lane_budget']}" in " ".join(rep["advice"])
    assert rep["lut"] <= rep["lut_available"] and rep["dsp"] <= rep["dsp_available"]


def test_json_keys(default_project, capsys):
    rc = main(["fit", str(default_project), "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert rc == (0 if rep["fits"] else 1)
    for k in JSON_KEYS + ("lane_budget", "folding", "memory", "weights_on_chip"):
        assert k in rep, k
    assert isinstance(rep["fits"], bool) and isinstance(rep["advice"], list)
    layer = rep["per_layer"][1]
    for k in ("name", "kind", "bram36", "uram", "dsp", "lut", "ff", "memories"):
        assert k in layer


def test_unknown_board_is_one_line_error(default_project, capsys):
    assert main(["fit", str(default_project), "--board", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown board 'nope'" in err[0] and "pynq-z2" in err[0]
    with pytest.raises(FpgaError, match="unknown board"):
        fit_report(default_project, "nope")


def test_not_a_project_is_one_line_error(tmp_path, capsys):
    assert main(["fit", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "fpga convert" in err[0]


def test_folding_from_rtl_json(default_project, tmp_path):
    """rtl/rtl.json's PE x SIMD (for this board) replaces the default folding."""
    import shutil
    proj = tmp_path / "p"
    shutil.copytree(default_project, proj, ignore=shutil.ignore_patterns("hls", "rtl"))
    base = fit_report(proj, "pynq-z2")
    convs = [l for l in base["per_layer"] if l["kind"] == "conv"]
    layers = {l["name"]: {"kind": "conv", "pe": 1, "simd": 1} for l in convs}
    (proj / "rtl").mkdir()
    (proj / "rtl" / "rtl.json").write_text(json.dumps({"top": "t", "board": "pynq-z2",
                                                       "layers": layers}))
    rep = fit_report(proj, "pynq-z2")
    assert rep["folding"] == "rtl/rtl.json" and rep["dsp"] == len(convs)
    assert base["folding"].startswith("choose_folding")
    other = fit_report(proj, "zcu104", compare=False)        # RTL made for another board
    assert other["folding"].startswith("choose_folding")


@pytest.mark.parametrize("depth,width,halves", [
    (288, 128, 4),      # 4 x BRAM18 512x36 (Yosys: 2.0 BRAM36)
    (1280, 8, 1),       # BRAM18 2Kx9
    (2048, 16, 2),
    (4096, 16, 4),
    (9216, 72, 36),     # 18 x BRAM36 512x72
    (111, 512, 15),     # 15 x BRAM18 512x36
    (224, 24, 1),
    (1024, 16, 1),      # BRAM18 1Kx18
    (512, 80, 3),       # BRAM36 512x72 + BRAM18 512x36 for the last 8 bits
])
def test_bram_aspect_ratios(depth, width, halves):
    assert _halves_bram(depth, width) == halves


def test_small_memories_go_to_luts():
    assert place_memory(64, 288, rom=True, family="xc7")["where"] == "lut"
    assert place_memory(512, 16, rom=True, family="xc7")["where"] == "lut"
    assert place_memory(1280, 8, rom=True, family="xc7")["where"] == "bram"
    assert place_memory(55, 128, rom=False, family="xc7") == \
        {"where": "lutram", "halves": 0, "lut": 172, "ff": 128}       # 43 x RAM64M
    assert place_memory(55, 128, rom=False, family="xcup")["lut"] == 152   # 19 x RAM64M8
    assert place_memory(111, 512, rom=False, family="xc7")["where"] == "bram"
