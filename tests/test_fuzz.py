"""fpga fuzz (fpga/fuzz.py): the random net generator, a smoke run through the real pipeline,
shrinking of a (deliberately) failing net with its saved case and --replay, and the replay of
every regression case kept in tests/fuzz_cases/."""
import json
from pathlib import Path

import numpy as np
import pytest

from fpga import fuzz
from fpga.cli import main

pytestmark = pytest.mark.fuzz

CASES = Path(__file__).with_name("fuzz_cases")


def _cases():
    return sorted(p for p in CASES.iterdir() if (p / "spec.json").exists()) if CASES.is_dir() else []


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_saved_case_replays_clean(case, tmp_path, capsys):
    """A case found by the fuzzer, kept once its bug was fixed: it must stay fixed."""
    rc = main(["fuzz", "--replay", str(case), "--keep", str(tmp_path), "--json"])
    r = json.loads(capsys.readouterr().out)
    assert rc == 0, r
    assert r["mismatches"] == 0 and r["failure"] is None
    spec = fuzz.NetSpec.from_dict(json.loads((case / "spec.json").read_text()))
    assert r["outputs_compared"] == 3 * r["frames"] * spec.classes


def test_generator_is_deterministic_and_covers_the_ranges():
    specs = [fuzz.draw_spec(7, i) for i in range(200)]
    again = [fuzz.draw_spec(7, i) for i in range(200)]
    assert [s.to_dict() for s in specs] == [s.to_dict() for s in again]
    assert fuzz.draw_spec(8, 0).to_dict() != specs[0].to_dict()
    for s in specs:                       # JSON round trip, buildable, cheap enough
        d = json.loads(json.dumps(s.to_dict()))
        assert fuzz.NetSpec.from_dict(d).to_dict() == s.to_dict()
        assert s.problem() is None and all(size >= 1 for _, size, _ in s.shapes())
        assert s.macs() <= fuzz.MAX_MACS
        ch = s.stem.filters
        for f in s.fires:
            assert not f.bypass or f.e1 + f.e3 == ch
            ch = f.e1 + f.e3
    sizes = [s.size for s in specs]
    assert min(sizes) <= 18 and max(sizes) >= 60 and {x % 2 for x in sizes} == {0, 1}
    assert all(15 <= x <= 64 for x in sizes)
    assert {s.channels for s in specs} == {1, 2, 3, 4}
    assert {s.in_bits for s in specs} == set(range(4, 9))
    assert {s.stem.kernel for s in specs} == set(fuzz.KERNELS)
    assert {s.stem.stride for s in specs} == {1, 2}
    assert {s.stem.padding for s in specs} == {"valid", "same"}
    assert {len(s.fires) for s in specs} == {0, 1, 2, 3}
    assert {(p.pool, p.stride) for s in specs for p in s.pools} == set(fuzz.POOLS)
    fires = [f for s in specs for f in s.fires]
    assert any(f.e1 != f.e3 for f in fires) and any(f.e1 == f.e3 for f in fires)
    assert {f.squeeze for f in fires} == set(range(1, 9))
    assert max(max(f.e1, f.e3) for f in fires) == 16
    assert {(f.bypass, f.bypass_act is not None) for f in fires} == {
        (False, False), (True, True), (True, False)}
    assert {bool(s.dropout) for s in specs} == {True, False}
    quants = [q for s in specs for q in s.quants()]
    assert {q.w_bits for q in quants} == set(range(4, 9)) and {q.w_int for q in quants} == {0, 1, 2}
    assert {q.a_bits for q in quants} == set(range(4, 9))
    assert {q.a_int for q in quants} == set(range(0, 5)) and all(q.a_int < q.a_bits for q in quants)
    assert 0 < sum(len({(q.w_bits, q.w_int, q.a_bits, q.a_int) for q in s.quants()}) > 1
                   for s in specs) < 200
    assert {s.classes for s in specs} >= {1, 16}
    assert {s.lanes for s in specs} == set(fuzz.LANE_CHOICES)
    bp = [s.backpressure for s in specs]
    assert min(bp) < 0.1 and max(bp) > 0.8 and all(0 <= b <= 0.9 for b in bp)
    mix = fuzz.case_mix(specs)
    assert mix["input_size"]["odd"] + mix["input_size"]["even"] == 200


def test_generated_models_are_accepted_by_the_converter():
    """The precision rules accept what the generator draws (no FpgaError), and the model has
    the drawn shape (cheap: no hls4ml, no compile)."""
    from fpga.hls.precision import derive
    for i in range(8):
        spec = fuzz.draw_spec(3, i)
        model = fuzz.build_model(spec)
        assert model.output_shape == (None, spec.classes)
        assert model.input_shape == (None, spec.size, spec.size, spec.channels)
        fmts = derive(model, input_bits=spec.in_bits)
        assert fmts["gap"].out.frac == spec.head.a_bits - spec.head.a_int + 8
        biases = [l.bias.numpy() for l in model.layers if type(l).__name__ == "QConv2D"]
        assert all(np.abs(b).max() > 0 for b in biases)


def test_smoke_ten_nets_through_the_real_pipeline(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)           # a failure would write ./fuzz-failures here
    rc = main(["fuzz", "--nets", "10", "--frames", "3", "--seed", "1", "--json"])
    captured = capsys.readouterr()
    r = json.loads(captured.out)
    assert r["mismatches"] == 0 and r["failures"] == [], r["failures"]
    assert rc == 0
    specs = [fuzz.draw_spec(1, i) for i in range(10)]
    assert r["outputs_compared"] == sum(3 * s.classes * 3 for s in specs)
    assert r["outputs_compared"] == r["expected_outputs"]
    assert all(v["compared"] == r["outputs_compared"] // 3 for v in r["stages"].values())
    mix = r["case_mix"]
    assert mix["input_size"]["odd"] and mix["input_size"]["even"]
    for key in ("channels", "input_bits", "stem_kernel", "stem_stride", "stem_padding",
                "fires_per_net", "w_bits", "a_bits", "rtl_lanes"):
        assert len(mix[key]) > 1, key
    assert sum(v > 0 for v in mix["pools"].values()) > 1
    assert 0 < mix["dropout"] < 10 and mix["bypass"] > 0
    assert mix["classes"]["min"] < mix["classes"]["max"]
    assert not list(tmp_path.iterdir())   # passing nets leave nothing behind
    assert "fuzz" in captured.err          # the progress bar, on stderr


def _broken_spec_seed():
    """A seed whose first net has two fires, a pool and dropout: room to shrink."""
    for seed in range(1000):
        s = fuzz.draw_spec(seed, 0)
        if len(s.fires) >= 2 and s.pools and s.dropout and s.classes > 1 and s.channels > 1:
            return seed
    raise AssertionError("no suitable seed")


def _broken_rtl(project, x, spec, quick=True):
    """The reference, with one output wrong in frames whose first pixel is odd, in nets that
    have at least one Fire module: a bug the shrinker must keep while reducing."""
    from fpga.graph import Graph
    from fpga.reference import run
    out = run(Graph.load(project), x).copy()
    if spec.fires:
        out[x[:, 0, 0, 0] % 2 == 1, 0] += 1
    return out


def _reference(project, x, quick=True):
    from fpga.graph import Graph
    from fpga.reference import run
    return run(Graph.load(project), x)


@pytest.mark.slow   # make test-slow (time: make test stays under 20 min)
def test_shrinking_saves_a_reduced_case_and_replay(tmp_path, monkeypatch, capsys):
    seed = _broken_spec_seed()
    original = fuzz.draw_spec(seed, 0)
    monkeypatch.setattr(fuzz, "rtl_outputs", _broken_rtl)
    monkeypatch.setattr(fuzz, "csim_outputs", _reference)   # not under test here: no compile
    monkeypatch.setattr(fuzz, "MAX_SHRINK_ATTEMPTS", 24)
    keep = tmp_path / "keep"
    rc = main(["fuzz", "--nets", "1", "--frames", "6", "--seed", str(seed), "--jobs", "1",
               "--keep", str(keep), "--json"])
    r = json.loads(capsys.readouterr().out)
    assert rc == 1 and r["mismatches"] > 0
    assert r["stages"]["rtl"]["mismatches"] > 0 and r["stages"]["csim"]["mismatches"] == 0
    assert len(r["failures"]) == 1
    f = r["failures"][0]
    assert f["stage"] == "rtl" and f["kind"] == "mismatch" and f["net"] == 0
    case = Path(f["case"])
    assert case == keep / f"case-{seed}-0"
    for name in ("spec.json", "model.h5", "inputs.npy", "result.json", "README.txt"):
        assert (case / name).exists(), name
    assert f"fpga fuzz --replay {case}" in (case / "README.txt").read_text()
    small = fuzz.NetSpec.from_dict(json.loads((case / "spec.json").read_text()))
    assert len(small.fires) == 1 and not small.pools and not small.dropout   # what it needs
    assert small.classes == 1 and small.channels == 1
    assert len(original.fires) >= 2 and original.pools
    x = np.load(case / "inputs.npy")
    assert x.dtype == np.int64 and x.shape == (1, small.size, small.size, small.channels)
    assert x[0, 0, 0, 0] % 2 == 1                                            # the bug's trigger
    result = json.loads((case / "result.json").read_text())
    assert result["stage"] == "rtl" and result["kind"] == "mismatch"
    assert result["outcome"]["stages"]["rtl"]["mismatches"] == 1
    assert result["original_spec"] == original.to_dict()
    assert any(step["kept"] for step in result["shrink_log"])
    # the replay sees the bug while it is there ...
    rc = main(["fuzz", "--replay", str(case), "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert rc == 1 and rep["failure"][:2] == ["rtl", "mismatch"] and rep["mismatches"] == 1
    # ... and, through the real C-sim and RTL, passes without it
    monkeypatch.undo()
    rc = main(["fuzz", "--replay", str(case), "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert rc == 0 and rep["failure"] is None
    assert rep["outputs_compared"] == 3 * small.classes


def test_bad_arguments_are_one_line_errors(tmp_path, capsys):
    assert main(["fuzz", "--nets", "0"]) == 2
    assert "--nets must be >= 1" in capsys.readouterr().err
    assert main(["fuzz", "--replay", str(tmp_path)]) == 2
    assert "not a fuzz case" in capsys.readouterr().err


def test_rtl_rejects_a_pool_the_rtl_cannot_build(tmp_path, capsys):
    """Found while writing the fuzzer: a 3x3 stride 1 max pool (three pools open per axis)
    converted fine but 'fpga rtl' generated a design that never finished a frame. It must be
    a one-line error, and no rtl/ folder left behind."""
    spec = fuzz.NetSpec(12, 1, 8, fuzz.Stem(2, 1, 1, "valid", fuzz.Quant()), [fuzz.Pool(3, 1)],
                        2, fuzz.Quant())
    model = tmp_path / "m.h5"
    from fpga.modelio import save_model
    save_model(fuzz.build_model(spec), model)
    project = tmp_path / "p"
    assert main(["convert", str(model), "-o", str(project)]) == 0
    capsys.readouterr()
    assert main(["rtl", str(project)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pool <= 2 x stride" in err[0], err
    assert not (project / "rtl").exists()


def test_journal_goes_on_where_a_stopped_run_left_off(tmp_path, monkeypatch, capsys):
    """--journal: finished nets are recorded; a second run re-runs none of them (a line cut off
    by a kill is dropped and its net runs again), the summary covers all; another seed is
    refused. The pipeline is replaced by a fake here: only the bookkeeping is under test."""
    ran = []

    def fake_net(task):
        i = task["index"]
        ran.append(i)
        spec = fuzz.draw_spec(task["seed"], i)
        n = task["frames"] * spec.classes
        stages = {s: {"compared": n, "mismatches": 0} for s in fuzz.STAGES}
        return {"net": i, "summary": spec.summary(), "seconds": 1.0, "cpu_s": 1.0,
                "outcome": {"stages": stages, "seconds": {"convert": 0.5}}}

    monkeypatch.setattr(fuzz, "fuzz_net", fake_net)
    monkeypatch.chdir(tmp_path)
    journal = tmp_path / "j.jsonl"
    args = ["fuzz", "--frames", "2", "--seed", "5", "--jobs", "1", "--journal", str(journal),
            "--json"]
    assert main([*args[:1], "--nets", "3", *args[1:]]) == 0
    capsys.readouterr()
    assert ran == [0, 1, 2]
    lines = journal.read_text().splitlines()
    assert json.loads(lines[0])["seed"] == 5 and len(lines) == 1 + 3 + 1   # header, nets, run
    journal.write_text("\n".join(lines[:3]) + '\n{"net": 2, "summ')      # killed while writing
    ran.clear()
    assert main([*args[:1], "--nets", "5", *args[1:]]) == 0
    r = json.loads(capsys.readouterr().out)
    assert ran == [2, 3, 4]
    assert r["nets"] == 5 and r["outputs_compared"] == r["expected_outputs"]
    assert [d["net"] for d in r["nets_detail"]] == [0, 1, 2, 3, 4]
    assert r["journal"]["resumed_nets"] == 2 and len(r["journal"]["runs"]) == 1
    ran.clear()
    assert main([*args[:1], "--nets", "5", *args[1:]]) == 0              # all done: none run
    r = json.loads(capsys.readouterr().out)
    assert ran == [] and r["journal"]["resumed_nets"] == 5 and len(r["journal"]["runs"]) == 2
    other = [a if a != "5" else "6" for a in args]
    assert main([*other[:1], "--nets", "5", *other[1:]]) == 2
    err = capsys.readouterr().err
    assert "seed" in err and "Traceback" not in err
