"""Whole networks in RTL (cocotb + Verilator) against the reference, bit for bit."""
import json
import subprocess

import numpy as np
import pytest

from fpga.cli import main


@pytest.fixture(scope="session")
def default_rtl(default_project):
    assert main(["rtl", str(default_project)]) == 0
    return default_project


@pytest.fixture(scope="session")
def bypass64_rtl(bypass64_project):
    assert main(["rtl", str(bypass64_project)]) == 0
    return bypass64_project


def cosim_json(capsys, *args):
    code = main(["cosim", *map(str, args), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_generated_rtl_is_lint_clean(default_rtl):
    from fpga.cosim.tools import setup_verilator_path
    setup_verilator_path()
    meta = json.loads((default_rtl / "rtl/rtl.json").read_text())
    res = subprocess.run(["verilator", "--lint-only", "-Wall", "--top-module", meta["top"],
                          *meta["files"]], cwd=default_rtl / "rtl", capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]


def test_rtl_manifest_and_roms(default_rtl):
    meta = json.loads((default_rtl / "rtl/rtl.json").read_text())
    convs = [l for l in meta["layers"].values() if l["kind"] == "conv"]
    assert meta["mac_lanes"] == sum(l["lanes"] for l in convs) <= meta["lane_budget"]
    assert meta["model_ii_cycles"] == max(l["cycles"] for l in meta["layers"].values())
    # one ROM bank per PE, plus one bias ROM, per conv
    assert len(meta["mem_files"]) == sum(l["pe"] + 1 for l in convs)
    assert meta["fifos"] and all(f["depth"] > 0 and "rejoin" in f["why"] for f in meta["fifos"].values())


def test_pools_are_channel_serial_and_fifos_narrow(default_rtl):
    """Max-pools and the average run a few channels a cycle, within half the II; each Fire's
    skew FIFO sits on squeeze -> expand1x1 (the narrowest stream of the short branch)."""
    from fpga.graph import Graph
    from fpga.rtl.folding import SERIAL_LOAD, divisors
    g = Graph.load(default_rtl)
    meta = json.loads((default_rtl / "rtl/rtl.json").read_text())
    ii = meta["model_ii_cycles"]
    serial = {n: l for n, l in meta["layers"].items() if l["kind"] in ("maxpool", "gap")}
    assert serial and any(l["channels_per_cycle"] < g[n].out_shape[2] for n, l in serial.items())
    for name, l in serial.items():
        h, w, c = g.in_shape(g[name])
        lanes = l["channels_per_cycle"]
        assert c % lanes == 0 and l["cycles"] >= h * w * (c // lanes)
        assert l["cycles"] <= SERIAL_LOAD * ii
        fewer = [d for d in divisors(c) if d < lanes]      # fewest lanes that keep the load
        assert all(h * w * (c // d) > SERIAL_LOAD * ii for d in fewer)
    top = (default_rtl / "rtl" / f"{meta['top']}.v").read_text()
    for join, f in meta["fifos"].items():
        fire = join.split("_")[0]
        assert f["edge"] == [f"{fire}_squeeze", f"{fire}_expand1x1"], f
        squeeze = g[f"{fire}_squeeze"]
        assert f["width"] == squeeze.out_shape[2] * squeeze.out_fmt.width
        assert f"u_{fire}_concat_skew" in top


def test_default_model_cosim_with_backpressure(default_rtl, capsys, tmp_path):
    code, r = cosim_json(capsys, default_rtl, "--frames", 20, "--backpressure", 0.5,
                         "--save-outputs", tmp_path / "y.npy")
    assert code == 0
    assert r["frames"] == 20 and r["outputs_compared"] == 200 and r["mismatches"] == 0
    assert abs(r["ii_cycles"] - r["model_ii_cycles"]) <= 0.02 * r["model_ii_cycles"]
    from fpga.graph import Graph
    from fpga.inputs import frames_for
    from fpga.reference import run
    g = Graph.load(default_rtl)
    x, _, _ = frames_for(default_rtl, g, 20)
    assert np.array_equal(np.load(tmp_path / "y.npy"), run(g, x))


@pytest.mark.slow   # make test-slow (time: make test stays under 20 min)
def test_bypass64_cosim_bit_exact(bypass64_rtl, capsys):
    code, r = cosim_json(capsys, bypass64_rtl, "--frames", 3, "--backpressure", 0.3)
    assert code == 0 and r["mismatches"] == 0 and r["outputs_compared"] == 30


def test_rtl_refuses_to_clobber(default_rtl, capsys):
    assert main(["rtl", str(default_rtl)]) == 2
    assert "--force" in capsys.readouterr().err


@pytest.mark.slow
def test_squeezenet11_224_cosim(tmp_path_factory, capsys):
    from tests.conftest import make_model, make_project
    tmp = tmp_path_factory.mktemp("v11")
    model = make_model(tmp, "v11_224", arch="squeezenet1_1", input_size=224, channels=3,
                       classes=1000, seed=11)
    project = make_project(tmp, model, "v11_224", board="zcu104")
    assert main(["rtl", str(project)]) == 0
    capsys.readouterr()
    code, r = cosim_json(capsys, project, "--frames", 2)
    assert code == 0 and r["mismatches"] == 0 and r["outputs_compared"] == 2000


def test_board_driver_bytes_round_trip_through_rtl(default_rtl):
    """The PYNQ driver's packing, sent through the RTL as the DMA would, and its unpacking."""
    from fpga.cosim.runner import cosimulate
    from fpga.driver import pynq_driver
    from fpga.driver.meta import accel_meta
    from fpga.graph import Graph
    from fpga.reference import run
    meta_rtl = json.loads((default_rtl / "rtl/rtl.json").read_text())
    g = Graph.load(default_rtl)
    meta = accel_meta(g, "default", meta_rtl["in_tdata_bits"])
    x = np.random.default_rng(4).integers(0, 256, (3,) + g.input.out_shape)
    packed = pynq_driver.pack_frames(pynq_driver.check_inputs(x, meta), meta)
    r = cosimulate(default_rtl, x, packed_bytes=packed, progress=lambda m: None)
    scores = pynq_driver.unpack_scores(r["out_bytes"], meta)
    assert np.array_equal(scores, run(g, x))


def test_reset_between_frames(default_rtl):
    """Frames after a reset come out as right as before it."""
    from fpga.cosim.runner import cosimulate
    from fpga.graph import Graph
    from fpga.reference import run
    g = Graph.load(default_rtl)
    x = np.random.default_rng(8).integers(0, 256, (4,) + g.input.out_shape)
    r = cosimulate(default_rtl, x, backpressure=0.2, reset_after=2, progress=lambda m: None)
    assert np.array_equal(r["outputs"], run(g, x))
