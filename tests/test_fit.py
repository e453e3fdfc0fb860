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


def _filled(rep) -> None:
    """Fits with every weight filled: with the weights in the bitstream, weights only where it
    initialises them (block RAM, LUTs) and URAM only for buffers (line buffers, FIFOs: no
    contents); with the load port, every weight memory is a RAM the port fills (anywhere)."""
    mems = rep["memory_plan"]["memories"]
    assert mems and rep["memory_plan"]["uram"] == rep["uram"]
    assert rep["memory_plan"]["weight_init"] == rep["weight_init"]
    if rep["weight_init"] == "bitstream":
        assert not rep["weights_in_uram"]
    else:
        assert rep["weight_init"] == "load-port"
    for m in mems:
        if m["what"] in ("weights", "bias"):
            if rep["weight_init"] == "bitstream":
                assert m["where"] in ("bram", "lut") and m["fill"] == "bitstream", m
            else:
                assert m["where"] != "lut" and m["fill"] == "load-port", m
        elif m["where"] == "uram":
            assert m["what"] in ("linebuf", "fifo") and m["fill"] == "none", m
        if m["where"] == "uram":
            assert m["style"] == "ultra", m


def test_v11_224_does_not_fit_kv260_with_the_pipelined_rtl(v11_project):
    """kv260's 144 BRAM36 cannot hold ~9.9 Mbit of weights, and its URAM cannot be filled by the
    bitstream: no fit, for block RAM (URAM holds only buffers), and for LUT/FF. With the load
    port the weights may use URAM, and still the logic does not fit at any lane budget: the
    report says both, and names the boards that do fit."""
    rep = fit_report(v11_project, "kv260")
    assert not rep["fits"] and {"bram36", "lut", "ff"} <= set(rep["over"]), rep["verdict"]
    assert rep["weights_bits"] > 144 * 36 * 1024
    assert "weights need block RAM, which the bitstream fills" in rep["verdict"]
    assert rep["weight_init"] == "bitstream"
    assert set(rep["weight_modes_tried"]) == {"bitstream", "load-port"}
    assert {"lut", "ff"} <= set(rep["weight_modes_tried"]["load-port"])
    assert any("with the weight-load port" in a and "does not fit either" in a
               for a in rep["advice"])
    _filled(rep)
    assert {"zcu104", "zcu102"} <= set(rep["boards_that_fit"])


def test_v11_224_load_port_lets_weights_use_uram_on_kv260(v11_project):
    """At a lane budget where the memories fit only with weights in URAM (the load port), the
    estimate puts weights there, fills them through the port, and fits the block RAM."""
    from fpga.boards import get_board
    from fpga.fit import _fits, estimate
    from fpga.graph import Graph
    from fpga.rtl.folding import choose_folding
    g, b = Graph.load(v11_project), get_board("kv260")
    choose_folding(g, 800)
    bit, load = estimate(g, b), estimate(g, b, weights="load")
    assert "bram36" in _fits(bit, b) and "bram36" not in _fits(load, b)
    assert load["memory_plan"]["weight_init"] == "load-port" and load["weights_in_uram"]
    assert load["total"]["uram"] <= b.uram
    plan = [m for m in load["memory_plan"]["memories"] if m["what"] in ("weights", "bias")]
    assert {m["fill"] for m in plan} == {"load-port"}
    assert any(m["where"] == "uram" for m in plan)


def test_v11_224_does_not_fit_pynq_z2(v11_project):
    rep = fit_report(v11_project, "pynq-z2", compare=False)
    assert not rep["fits"] and "bram36" in rep["over"] and rep["uram"] == 0
    assert "pynq-z2 has 140 and no URAM" in rep["verdict"]


@pytest.mark.parametrize("board", ["zcu104", "zcu102"])
def test_v11_224_on_the_bigger_boards(v11_project, board):
    rep = fit_report(v11_project, board, compare=False)
    assert rep["fits"] and rep["weights_on_chip"], rep["verdict"]
    assert rep["bram36"] <= rep["bram36_available"] and rep["uram"] <= rep["uram_available"]
    assert rep["lut"] <= rep["lut_available"] and rep["dsp"] <= rep["dsp_available"]
    _filled(rep)
    if board == "zcu104":      # weights fill the block RAM; buffers moved to URAM, fewer lanes
        assert rep["uram"] > 0 and rep["memory"]["weights_bram36"] > 0.9 * 312
        assert rep["lane_budget"] < 1728 and rep["fits_at_full_lanes"] is False
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


def test_rtl_obeys_the_memory_plan(default_project, tmp_path):
    """'fpga rtl' writes the memory plan into rtl.json and gives every memory the style it
    plans (block RAM "block", LUTRAM "distributed"; a ROM in LUTs keeps "auto"); fit then
    reads that plan for this RTL."""
    import shutil
    project = tmp_path / "p"
    shutil.copytree(default_project, project, ignore=shutil.ignore_patterns("rtl"))
    assert main(["rtl", str(project)]) == 0
    meta = json.loads((project / "rtl" / "rtl.json").read_text())
    plan = meta["memory_plan"]
    assert plan["version"] == 1 and plan["board"] == "pynq-z2" and plan["weight_init"] == "bitstream"
    top = (project / "rtl" / f"{meta['top']}.v").read_text()
    kinds = {n: l["kind"] for n, l in meta["layers"].items()}
    where = {  # (layer kind, memory) -> (instance suffix, parameter)
        ("conv", "weights"): ("", "ROM_STYLE"), ("conv", "bias"): ("", "BIAS_STYLE"),
        ("conv", "fifo"): ("", "FIFO_STYLE"), ("conv", "linebuf"): ("_window", "RAM_STYLE"),
        ("maxpool", "linebuf"): ("", "RAM_STYLE"), ("maxpool", "fifo"): ("", "FIFO_STYLE"),
        ("gap", "linebuf"): ("", "RAM_STYLE"), ("concat", "fifo"): ("_skew", "RAM_STYLE"),
        ("add", "fifo"): ("_skew", "RAM_STYLE")}
    checked = 0
    for m in plan["memories"]:
        if m["what"] == "lutram":                      # the pool's row maxima: no parameter
            continue
        suffix, name = where[(kinds[m["layer"]], m["what"])]
        end = top.index(f"\n    ) u_{m['layer']}{suffix} (\n")
        params = top[top.rindex("#(", 0, end):end]
        if m["style"] == "auto":
            assert name not in params, (m, params)
        else:
            assert f'.{name}("{m["style"]}")' in params, (m, params)
            checked += 1
    assert checked >= 10
    assert {m["style"] for m in plan["memories"]} >= {"block", "distributed"}
    rep = fit_report(project, "pynq-z2", compare=False)
    assert rep["memory_plan_from"] == "rtl/rtl.json" and rep["memory_plan"] == plan
    assert rep["bram36"] == plan["bram36"] == sum(k["bram36"] for k in plan["by_kind"].values())


def test_v11_zcu104_rtl_puts_the_planned_buffers_in_ultraram(v11_project, tmp_path):
    """'fpga rtl' folds for the lane budget fit finds for zcu104 (its 1,728 DSPs do not fit), the
    RTL's plan moves buffers to URAM and the generated top asks for UltraRAM on exactly those
    memories; fit of that RTL still fits."""
    import shutil
    from fpga.rtl.generate import write_rtl
    project = tmp_path / "v11"
    shutil.copytree(v11_project, project, ignore=shutil.ignore_patterns("rtl"))
    manifest = json.loads((project / "manifest.json").read_text())
    (project / "manifest.json").write_text(json.dumps({**manifest, "board": "zcu104"}))
    lanes = fit_report(project, "zcu104", compare=False)["lane_budget"]
    meta = write_rtl(project)       # no --lanes: the board's DSPs do not fit, fit's budget does
    assert meta["lane_budget"] == lanes < 1728 and meta["folding"]["fits"]
    assert meta["folding"]["over_at_board_dsp"] and meta["dsp"] == meta["mac_lanes"] <= lanes
    plan = meta["memory_plan"]
    ultra = [m for m in plan["memories"] if m["where"] == "uram"]
    assert ultra and plan["uram"] == sum(m["uram"] for m in ultra) <= 96
    top = (project / "rtl" / f"{meta['top']}.v").read_text()
    assert top.count('("ultra")') == len(ultra)
    rep = fit_report(project, "zcu104", compare=False)
    assert rep["fits"] and rep["folding"] == "rtl/rtl.json" and rep["memory_plan_from"] == "rtl/rtl.json"
    assert rep["uram"] == plan["uram"] and rep["bram36"] == plan["bram36"] <= 312
    _filled(rep)


def test_rtl_target_fps_reachable_and_unreachable(default_project, tmp_path, capsys):
    """'fpga rtl --target-fps N --clock F': the RTL reaches N frames/s at F MHz with, per conv,
    the fewest MAC lanes that meet II <= F/N; a rate above what any folding or the board
    reaches stops with one line that names the best reachable rate, and writes nothing."""
    import shutil
    from fpga.graph import Graph
    from fpga.rtl import folding
    project = tmp_path / "p"
    shutil.copytree(default_project, project, ignore=shutil.ignore_patterns("rtl"))
    graph = Graph.load(project)
    full_ii = folding.choose_folding(graph, 220)          # the board's 220 DSPs (it fits)
    full_lanes = folding.mac_lanes(graph)
    _, floor = folding.fold_for_ii(graph, 1)
    assert floor < full_ii                                # the board, not the pipeline, limits
    capsys.readouterr()

    target = round(100e6 / full_ii / 3, 1)               # a third of the board's best
    assert main(["rtl", str(project), "--target-fps", str(target), "--clock", "100",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    meta = json.loads((project / "rtl" / "rtl.json").read_text())
    target_ii = int(100e6 // target)
    assert out["target_fps"] == target and out["fps_at_clock"] >= target
    assert meta["model_ii_cycles"] <= target_ii == meta["target_fps"]["target_ii"]
    assert meta["clock_mhz"] == 100.0 and meta["mac_lanes"] < full_lanes
    convs = {l.name: l for l in graph.layers if l.kind == "conv"}
    for name, row in meta["layers"].items():
        if row["kind"] != "conv":
            continue
        layer = convs[name]
        need = min(pe * simd for pe in folding.divisors(layer.out_shape[2])
                   for simd in folding.divisors(folding.window_len(layer))
                   if folding.conv_cycles(layer, pe, simd) <= target_ii)
        assert row["lanes"] == need, (name, row, need)    # fewest lanes (DSPs) that meet it
    assert meta["mac_lanes"] == sum(r.get("lanes", 0) for r in meta["layers"].values())

    best_fps = round(100e6 / full_ii, 1)
    shutil.rmtree(project / "rtl")
    for fps, why in ((round(100e6 / floor * 2, 1), "no folding is faster than II"),
                     (round(100e6 / (floor + full_ii) * 2, 1), "more DSPs than pynq-z2 has")):
        assert main(["rtl", str(project), "--target-fps", str(fps), "--clock", "100"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "cannot be met on pynq-z2" in err, err
        assert why in err and f"the best reachable is {best_fps:,} frames/s" in err, err
        assert "--lanes 220" in err and not (project / "rtl").exists()
    assert main(["rtl", str(project), "--target-fps", "10", "--lanes", "50"]) == 2
    assert "not both" in capsys.readouterr().err
