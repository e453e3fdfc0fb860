"""The weight-load port ('fpga rtl --weights load'): the image format against the .mem layout,
the RTL refusing input until a complete and correct image is in (cocotb, fpga/cosim/tb_wload.py,
the board driver's own Controller loading it), two weight sets giving each its own reference's
outputs (both engines), and what fit/rtl.json say about how the weights are filled."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from fpga import beats
from fpga.beats import (STATUS_WEIGHT_ERR, STATUS_WEIGHT_LOADING, STATUS_WEIGHTS_READY,
                        WEIGHT_MAGIC, weight_image)
from fpga.cli import main
from fpga.cosim.fast import simulate_fast
from fpga.cosim.runner import cosimulate, run_testbench, weight_image as project_image
from fpga.graph import Graph
from fpga.reference import run

from .conftest import make_model, make_project


def _random_weights(graph, seed):
    rng = np.random.default_rng(seed)
    arrays = {}
    for l in graph.layers:
        if l.kind == "conv":
            wb, bb = l.w_fmt.width, l.b_fmt.width
            arrays[f"{l.name}/w"] = rng.integers(-(1 << (wb - 1)), 1 << (wb - 1), l.weights.shape)
            arrays[f"{l.name}/b"] = rng.integers(-(1 << (bb - 1)), 1 << (bb - 1), l.bias.shape)
    return arrays


def _with(graph, arrays):
    for l in graph.layers:
        if l.kind == "conv":
            l.weights, l.bias = arrays[f"{l.name}/w"], arrays[f"{l.name}/b"]
    return graph


@pytest.fixture(scope="module")
def load_project(workdir):
    """A small v1.1 net (40x40x1, width 0.125, 4 classes) with its RTL made with the load port, plus a
    second weight set of the same shapes and formats."""
    model = make_model(workdir, "wl_tiny", arch="squeezenet1_1", input_size=40, channels=1,
                       classes=4, width=0.125, seed=7)
    project = make_project(workdir, model, "wl_tiny", board="pynq-z2")
    assert main(["rtl", str(project), "--weights", "load"]) == 0
    g = Graph.load(project)
    b = _random_weights(g, 11)
    np.savez(workdir / "wl_tiny_b.npz", **b)
    return project, g, b, workdir / "wl_tiny_b.npz"


def test_image_is_the_mem_files_words_with_header_and_sum(tmp_path):
    w = np.arange(-12, 12).reshape(1, 2, 3, 4)         # K = 6, cout 4
    bias = np.array([-3, 2, 100, -128])
    layers = [{"name": "c", "shape": [1, 2, 3, 4], "pe": 2, "simd": 3, "w_bits": 8, "b_bits": 24}]
    img = weight_image(layers, {"c/w": w, "c/b": bias}, 0xDEADBEEF)
    banks = beats.mac_weight_words(w, 2, 3, 8)         # 2 banks of NF*SF = 2*2 words, 24 bits
    bwords = beats.mac_bias_words(bias, 2, 24)         # 2 words of 48 bits: 2 pieces each
    payload = [x for v in bwords for x in (v & 0xFFFFFFFF, v >> 32)] + banks[0] + banks[1]
    assert img.dtype == np.uint32
    assert img.tolist() == [WEIGHT_MAGIC, 0xDEADBEEF, len(payload), *payload,
                            sum(payload) & 0xFFFFFFFF]
    assert len(payload) == beats.mac_load_size((1, 2, 3, 4), 2, 3, 8, 24) == 2 * 2 + 2 * 4
    # the .mem files hold the very same words
    from fpga.rtl.memfiles import write_mac_mems
    write_mac_mems(w, bias, 2, 3, 8, 24, tmp_path, "c")
    assert [int(x, 16) for x in (tmp_path / "c_w001.mem").read_text().split()] == banks[1]
    assert [int(x, 16) for x in (tmp_path / "c_b.mem").read_text().split()] == bwords
    with pytest.raises(ValueError, match="c: weights"):
        weight_image(layers, {"c/w": w[..., :2], "c/b": bias}, 1)
    with pytest.raises(ValueError, match="outside signed 8-bit"):
        weight_image(layers, {"c/w": w * 20, "c/b": bias}, 1)


def test_rtl_json_and_fit_say_the_weights_come_through_the_port(load_project, capsys):
    project, g, _, _ = load_project
    meta = json.loads((project / "rtl" / "rtl.json").read_text())
    assert meta["weights"] == "load" and meta["mem_files"] == []
    wl = meta["weight_load"]
    assert [l["name"] for l in wl["layers"]] == [l.name for l in g.layers if l.kind == "conv"]
    assert wl["image_words"] == wl["payload_words"] + 4 == len(project_image(project, meta))
    assert meta["memory_plan"]["weight_init"] == "load-port"
    assert {m["fill"] for m in meta["memory_plan"]["memories"]
            if m["what"] in ("weights", "bias")} == {"load-port"}
    text = (project / "rtl" / (meta["top"] + ".v")).read_text()
    assert "LOAD" in text and "readmemh" not in text
    capsys.readouterr()
    main(["fit", str(project), "--json"])
    fit = json.loads(capsys.readouterr().out)
    assert fit["weight_init"] == "load-port" and fit["weights_mode"] == "load"


def test_fast_engine_runs_each_weight_set_exactly(load_project):
    project, g, b, b_file = load_project
    x = np.random.default_rng(3).integers(0, 1 << g.input.out_fmt.width,
                                          (3, *g.input.out_shape))
    ra = simulate_fast(project, x, backpressure=0.3, progress=lambda m: None)
    rb = simulate_fast(project, x, backpressure=0.3, progress=lambda m: None, weights_file=b_file)
    want_a = run(Graph.load(project), x)
    want_b = run(_with(Graph.load(project), b), x)
    assert not np.array_equal(want_a, want_b)           # the second set changes the scores
    assert ra["weights_status"] == rb["weights_status"] == STATUS_WEIGHTS_READY
    assert np.array_equal(ra["outputs"], want_a)
    assert np.array_equal(rb["outputs"], want_b)


@pytest.mark.slow   # make test-slow (time: make test stays under 20 min)
def test_cocotb_engine_loads_through_the_port(load_project):
    project, g, b, b_file = load_project
    x = np.random.default_rng(4).integers(0, 1 << g.input.out_fmt.width,
                                          (2, *g.input.out_shape))
    r = cosimulate(project, x, progress=lambda m: None, weights_file=b_file)
    assert np.array_equal(r["outputs"], run(_with(Graph.load(project), b), x))


def test_refuses_input_until_a_good_image_and_the_driver_loads_it(load_project, tmp_path):
    project, g, b, _ = load_project
    meta = json.loads((project / "rtl" / "rtl.json").read_text())
    img_a = project_image(project, meta)
    img_b = weight_image(meta["weight_load"]["layers"], b, meta["build_id"])
    np.save(tmp_path / "a.npy", img_a)
    np.save(tmp_path / "b.npy", img_b)
    x = np.random.default_rng(5).integers(0, 1 << g.input.out_fmt.width, (4, *g.input.out_shape))
    out = run_testbench(project, "fpga.cosim.tb_wload",
                        {"in_width": g.input.out_fmt.width, "out_width": g.output.out_fmt.width,
                         "out_signed": g.output.out_fmt.signed, "build_id": meta["build_id"],
                         "image_a": str(tmp_path / "a.npy"), "image_b": str(tmp_path / "b.npy")},
                        x, progress=lambda m: None)["wload"]
    st = dict(out["status"])
    assert st["power-up"] == 0                          # no weights, no load, no error
    for tag in ("bad magic", "bad build id", "bad size", "bad checksum"):
        assert st[tag] == STATUS_WEIGHT_ERR, tag
    assert st["cut short"] == STATUS_WEIGHT_LOADING
    assert out["counts"]["wload_count cut short"] == len(img_a) - 5
    assert all(v == 0 for v in out["taken"].values()) and len(out["taken"]) == 6
    assert out["counts"]["wload_words"] == len(img_a)
    d = out["driver"]
    assert "words, the accelerator takes" in d["short image"]
    assert d["image A"] == d["image B"] == "ok"
    for tag in ("after A", "A after reset", "A after soft reset", "after B"):
        assert st[tag] == STATUS_WEIGHTS_READY, tag
    assert out["counts"]["wload_count A"] == len(img_a)
    got = {tag: np.array(v) for tag, v in out["outputs"]}
    want_a, want_b = run(g, x), run(_with(Graph.load(project), b), x)
    for i in range(3):
        assert np.array_equal(got[f"A frame {i}"], want_a[i]), i
    assert np.array_equal(got["B frame 3"], want_b[3])
    assert np.array_equal(got["B frame 0"], want_b[0])
    assert not np.array_equal(want_a[0], want_b[0])
    assert out["counts"]["stray_outputs"] == 0


def test_cosim_cli_with_another_weight_set(load_project, capsys):
    project, _, _, b_file = load_project
    capsys.readouterr()
    assert main(["cosim", str(project), "--frames", "2", "--weights", str(b_file), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["mismatches"] == 0 and r["weights"] == "load" and r["weights_file"] == str(b_file)


def test_bitstream_rtl_refuses_a_weights_file(default_project, tmp_path):
    from fpga.errors import FpgaError
    project = tmp_path / "p"
    shutil.copytree(default_project, project, ignore=shutil.ignore_patterns("rtl"))
    assert main(["rtl", str(project)]) == 0
    meta = json.loads((project / "rtl" / "rtl.json").read_text())
    assert meta["weights"] == "bitstream" and meta["weight_load"]["image_words"] == 0
    with pytest.raises(FpgaError, match="weights in the bitstream"):
        project_image(project, meta, project / "weights.npz")


def test_driver_loads_weights_npz_at_start_up(load_project, tmp_path, monkeypatch):
    """Accelerator start-up on a board (pynq faked): accel.json from the build says "load", the
    driver builds the image from the weights.npz beside it and writes exactly that image to
    WLOAD_DATA after CONTROL_WEIGHT_LOAD, and only then requires "weights ready"."""
    import sys
    import types
    from fpga.driver.meta import accel_meta
    from fpga.driver import pynq_driver
    project, g, _, _ = load_project
    meta = json.loads((project / "rtl" / "rtl.json").read_text())
    am = accel_meta(g, "wl", meta["in_tdata_bits"], meta["build_id"], meta["weight_load"])
    assert am["weights"] == "load" and am["weight_load"]["image_words"] == meta["weight_load"]["image_words"]
    (tmp_path / "wl.bit").write_bytes(b"")
    (tmp_path / "accel.json").write_text(json.dumps(am))
    shutil.copy(project / "weights.npz", tmp_path / "weights.npz")
    writes = []

    class Regs:
        loaded = False

        def read(self, off):
            R = beats.CTRL_REGS
            if off == R["map_version"]:
                return beats.CTRL_MAP_VERSION
            if off == R["build_id"]:
                return meta["build_id"]
            if off == R["wload_words"]:
                return am["weight_load"]["image_words"]
            if off == R["status"]:
                return STATUS_WEIGHTS_READY if self.loaded else 0
            return 0

        def write(self, off, value):
            writes.append((off, value))
            data = [v for o, v in writes if o == beats.CTRL_REGS["wload_data"]]
            self.loaded = len(data) == am["weight_load"]["image_words"]

    regs = Regs()
    overlay = types.SimpleNamespace(axi_dma=object(), accel=regs)
    fake = types.SimpleNamespace(Overlay=lambda bit, download=True: overlay, allocate=None)
    monkeypatch.setitem(sys.modules, "pynq", fake)
    pynq_driver.Accelerator(str(tmp_path / "wl.bit"))
    assert writes[0] == (beats.CTRL_REGS["control"], beats.CONTROL_WEIGHT_LOAD)
    assert [v for _, v in writes[1:]] == project_image(project, meta).tolist()
    assert {o for o, _ in writes[1:]} == {beats.CTRL_REGS["wload_data"]}
