"""The AXI4-Lite control/status registers (ctrl_regs.v, map fpga/beats.py CTRL_REGS) on the
whole default network, driven by cocotbext-axi (fpga/cosim/tb_ctrl.py): build ID, frame
counters, the sticky tlast error and its count, and the soft reset that clears a stream cut
short, after which frames are exact again and nothing stale comes out."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from fpga.beats import CTRL_MAP_VERSION, STATUS_SOFT_RESET, STATUS_TLAST_ERR, STATUS_WEIGHTS_READY
from fpga.cli import main
from fpga.cosim.runner import run_testbench
from fpga.graph import Graph
from fpga.reference import run


@pytest.fixture(scope="module")
def ctrl_run(default_project, tmp_path_factory):
    project = tmp_path_factory.mktemp("ctrl") / "p"
    shutil.copytree(default_project, project, ignore=shutil.ignore_patterns("rtl"))
    assert main(["rtl", str(project)]) == 0
    g = Graph.load(project)
    from fpga.inputs import dataset_frames
    x = dataset_frames(project, g, 5)[0]          # digits: scores that differ per frame
    meta = json.loads((project / "rtl" / "rtl.json").read_text())
    out = run_testbench(project, "fpga.cosim.tb_ctrl",
                        {"in_width": g.input.out_fmt.width, "out_width": g.output.out_fmt.width,
                         "out_signed": g.output.out_fmt.signed, "build_id": meta["build_id"]},
                        x, progress=lambda m: None)
    return g, x, out, meta


def _reads(out):
    return {(tag, name): v for tag, name, v in out["reads"]}


def test_registers_count_frames_and_errors(ctrl_run):
    g, x, out, meta = ctrl_run
    out = out["ctrl"]
    r = _reads(out)
    ok = STATUS_WEIGHTS_READY
    assert r[("start", "map_version")] == CTRL_MAP_VERSION
    assert r[("start", "build_id")] == meta["build_id"] == r[("after write to RO", "build_id")]
    assert meta["build_id"] != 0
    assert [r[("start", k)] for k in ("status", "frames_in", "frames_out", "tlast_errs")] == [ok, 0, 0, 0]
    assert [r[("after frame 0", k)] for k in ("frames_in", "frames_out", "status")] == [1, 1, ok]
    assert r[("half frame 1", "status")] == ok                  # no tlast seen yet: no error
    assert r[("in soft reset", "status")] == ok | STATUS_SOFT_RESET
    assert r[("after soft reset 1", "status")] == ok
    # the half frame was never counted (no tlast); the counters survive a soft reset
    assert [r[("after frame 2", k)] for k in ("frames_in", "frames_out", "status", "tlast_errs")] == [2, 2, ok, 0]
    assert [r[("after short frame 3", k)] for k in ("status", "tlast_errs", "frames_in", "frames_out")] == \
        [ok | STATUS_TLAST_ERR, 1, 3, 3]
    # the soft reset clears the error state, not the frame counters; CONTROL bit 1 does
    assert [r[("after soft reset 2", k)] for k in ("status", "tlast_errs", "frames_in", "frames_out")] == [ok, 0, 3, 3]
    assert r[("after clear", "frames_in")] == 0
    assert [r[("end", k)] for k in ("frames_in", "frames_out", "status")] == [1, 1, ok]


def test_frames_around_soft_resets_are_exact(ctrl_run):
    g, x, out, _ = ctrl_run
    out = out["ctrl"]
    got = {tag: np.array(v) for tag, v in out["outputs"]}
    assert list(got) == ["frame 0", "frame 2", "frame 3 short", "frame 4"]
    want = run(g, x)
    # a real test: each frame has a winning class, and they differ (digits 5, 7, 6 here)
    assert len({tuple(want[i]) for i in (0, 2, 4)}) == 3 and all(want[i].any() for i in (0, 2, 4))
    for i in (0, 2, 4):
        assert np.array_equal(got[f"frame {i}"], want[i]), i
    short = x[3].copy().reshape(-1, x.shape[-1])
    short[len(short) // 2:] = 0                                 # axis_in pads a short frame
    assert np.array_equal(got["frame 3 short"], run(g, short.reshape(x[3].shape)[None])[0])
    assert out["stray_outputs"] == 0                            # nothing stale after the resets


def test_board_driver_checks_and_recovers_against_the_rtl(ctrl_run):
    """The PYNQ driver's Controller, its register accesses bridged into the simulation."""
    g, x, out, meta = ctrl_run
    d = out["driver"]
    assert d["build_right"] == "ok"
    assert "the loaded bitstream is another model" in d["build_wrong"]
    assert d["batch 1"] is None and d["batch 2"] is None and d["batch 4"] is None
    t = d["after timeout reset"]
    assert not t["in_soft_reset"] and not t["tlast_err"] and t["frames_in"] == t["frames_out"] == 1
    bad = d["batch 3"]                              # the misframed batch is caught ...
    assert bad["tlast_err"] and bad["tlast_errs"] == 1 and bad["frames_taken"] == 1
    assert any("misplaced tlast" in p for p in bad["problems"])
    after = d["after batch 3"]                      # ... and cleared by the driver's soft reset
    assert not after["tlast_err"] and after["tlast_errs"] == 0
    got = {tag: np.array(v) for tag, v in d["outputs"]}
    want = run(g, x)
    for tag, i in (("batch 1", 0), ("batch 2", 2), ("batch 4", 4)):
        assert np.array_equal(got[tag], want[i]), tag
    assert d["stray_outputs"] == 0
