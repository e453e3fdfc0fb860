"""fpga timing: per-block Yosys synthesis + static timing of the generated RTL.

The default model's RTL must meet the 200 MHz target of pynq-z2 by the estimate; every block
configuration it uses is checked; between-block paths are composed from the top's wiring."""
from __future__ import annotations

import json
import time

import pytest

from fpga.blocksynth import Instance
from fpga.boards import get_board
from fpga.cli import main
from tests.test_synth import needs_yosys


@pytest.fixture(scope="module")
def default_timed(default_project):
    """The default model's RTL (generated once) with its timing estimate for pynq-z2."""
    from fpga.rtl.generate import write_rtl
    if not (default_project / "rtl" / "rtl.json").is_file():
        write_rtl(default_project)
    from fpga.timing import timing_report
    return default_project, timing_report(default_project, get_board("pynq-z2"))


@needs_yosys
def test_default_model_meets_200_mhz_on_pynq_z2(default_timed, capsys):
    project, rep = default_timed
    assert rep["target_mhz"] == 200.0 and rep["family"] == "xc7"
    assert rep["meets"] is True and rep["fmax_mhz"] >= 200.0, rep["worst"]
    for k in ("fmax_mhz", "target_mhz", "meets", "worst", "blocks", "method",
              "levels_histogram", "clock_used_mhz", "fps"):
        assert k in rep
    assert {"block", "levels", "ns"} <= set(rep["worst"])
    assert rep["clock_used_mhz"] == min(rep["target_mhz"], rep["fmax_mhz"])
    assert rep["fps"] == pytest.approx(rep["clock_used_mhz"] * 1e6 / rep["model_ii_cycles"],
                                       rel=1e-3)
    # every block configuration meets the target on its own, and the design is the slowest
    assert rep["blocks"] and all(b["meets"] for b in rep["blocks"])
    assert rep["fmax_mhz"] <= min(b["fmax_mhz"] for b in rep["blocks"])
    modules = {b["module"] for b in rep["blocks"]}
    assert {"mac", "window", "maxpool", "gap", "concat", "axis_in", "axis_out"} <= modules
    # repeated Fire blocks are synthesised once: fewer distinct configurations than instances
    assert rep["distinct_blocks"] < rep["instances"]
    assert sum(rep["levels_histogram"].values()) > 1000
    assert "estimate" in rep["method"]

    # the CLI: cached (no Yosys run), JSON, exit status 0 = meets
    t0 = time.monotonic()
    assert main(["timing", str(project), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli["yosys_runs"] == 0 and time.monotonic() - t0 < 60
    assert cli["fmax_mhz"] == rep["fmax_mhz"] and cli["meets"]
    # an unreachable target: exit 1, frames/s at the estimated Fmax
    assert main(["timing", str(project), "--clock", "900", "--json"]) == 1
    fast = json.loads(capsys.readouterr().out)
    assert fast["meets"] is False and fast["clock_used_mhz"] == fast["fmax_mhz"] < 900
    assert main(["timing", str(project)]) == 0
    out = capsys.readouterr().out
    assert "estimated Fmax" in out and "not a sign-off" in out


@needs_yosys
def test_frames_per_second_use_the_estimated_clock(default_timed, capsys):
    project, rep = default_timed
    from fpga.timing import timing_report
    timing_report(project, get_board("pynq-z2"))         # the estimate for the target clock
    assert main(["fit", str(project), "--board", "pynq-z2", "--json"]) == 0
    fit = json.loads(capsys.readouterr().out)
    assert fit["clock_mhz"] == min(200.0, rep["fmax_mhz"])
    assert "estimated Fmax" in fit["clock_source"]
    assert fit["fps_at_clock"] == pytest.approx(fit["clock_mhz"] * 1e6 / fit["model_ii_cycles"],
                                                rel=1e-3)


def _bt(out=None, inn=None, through=None):
    return {"ports": {"out": out or {}, "in": inn or {}, "through": through or {}}}


def test_between_block_paths_compose_through_combinational_blocks():
    """A ready that passes combinationally through two blocks shows up as one long path; the
    same wiring with registered ports stays short."""
    from fpga.timing import compose
    insts = [Instance("u_a", "x", {}, {"m_tready": "r_ab", "clk": "ap_clk"}),
             Instance("u_b", "y", {}, {"s_tready": "r_ab", "m_tready": "r_bc"}),
             Instance("u_c", "y", {}, {"s_tready": "r_bc", "m_tready": "r_cd"}),
             Instance("u_d", "z", {}, {"s_tready": "r_cd"})]
    comb = {"u_a": _bt(inn={"m_tready": 1.0}),
            "u_b": _bt(through={"m_tready->s_tready": 0.5}),
            "u_c": _bt(through={"m_tready->s_tready": 0.5}),
            "u_d": _bt(out={"s_tready": 0.6})}
    chain = compose(insts, comb, "", "xc7", set())
    assert chain["from"] == "u_d.s_tready" and chain["to"] == "u_a.m_tready"
    assert chain["through"] == ["u_c.m_tready->s_tready", "u_b.m_tready->s_tready"]
    regd = {"u_a": _bt(inn={"m_tready": 1.0}),
            "u_b": _bt(out={"s_tready": 0.6}, inn={"m_tready": 1.0}),
            "u_c": _bt(out={"s_tready": 0.6}, inn={"m_tready": 1.0}),
            "u_d": _bt(out={"s_tready": 0.6})}
    short = compose(insts, regd, "", "xc7", set())
    assert short["through"] == [] and short["ns"] < chain["ns"] - 1.0
