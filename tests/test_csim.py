"""hls4ml C simulation == reference, bit for bit, through the `fpga csim` command."""
import json

import numpy as np
import pytest

from fpga.cli import main


def csim_json(capsys, *args):
    code = main(["csim", *map(str, args), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_default_model_csim_bit_exact(default_project, capsys, tmp_path):
    out = tmp_path / "y.npy"
    code, r = csim_json(capsys, default_project, "--frames", 100, "--save-outputs", out)
    assert code == 0
    assert r["frames"] == 100 and r["outputs_compared"] == 1000
    assert r["mismatches"] == 0 and r["max_abs_diff"] == 0
    assert r["hardware_accuracy"] > 0.9
    assert "digits" in r["inputs"]
    saved = np.load(out)
    assert saved.shape == (100, 10) and np.issubdtype(saved.dtype, np.integer)
    # the default model's average pools a 2x2 map: QKeras agrees exactly
    assert r["qkeras_exact"]


@pytest.mark.slow   # make test-slow (time: make test stays under 20 min)
def test_bypass64_csim_bit_exact_on_user_inputs(bypass64_project, capsys, tmp_path):
    x = np.random.default_rng(9).integers(0, 256, (100, 64, 64, 3)).astype(np.uint8)
    np.save(tmp_path / "x.npy", x)
    code, r = csim_json(capsys, bypass64_project, "--frames", 100, "--inputs", tmp_path / "x.npy")
    assert code == 0 and r["frames"] == 100 and r["mismatches"] == 0
    assert r["nonzero_outputs"] > 0.3  # the comparison is not between all-zero scores
    # 3x3 average: QKeras' float mean differs by less than one output step
    assert r["qkeras_diff_explained"] and not r["qkeras_exact"]


def test_csim_reports_mismatch_and_fails(default_project, capsys, tmp_path, monkeypatch):
    """A wrong reference must be caught: corrupt one bias in the loaded IR."""
    from fpga.graph import Graph
    real_load = Graph.load

    def corrupted(folder):
        g = real_load(folder)
        conv10 = next(l for l in g.layers if l.name == "conv10")
        conv10.bias = conv10.bias + 40
        return g
    monkeypatch.setattr(Graph, "load", classmethod(lambda cls, f: corrupted(f)))
    code = main(["csim", str(default_project), "--frames", "5", "--no-qkeras"])
    assert code == 1
    assert "differ from the reference" in capsys.readouterr().err


def test_quick_build_is_the_same_csim(default_project, tmp_path):
    """CSim(quick=True), the fuzzer's one-unit -O0 build, gives the integers of build_lib.sh's
    (and of the reference), in a copy of the project so the cached library is not replaced."""
    import shutil

    import numpy as np

    from fpga.csim import CSim
    from fpga.graph import Graph
    from fpga.inputs import random_frames
    from fpga.reference import run
    copy = tmp_path / "p"
    shutil.copytree(default_project, copy)
    g = Graph.load(copy)
    x = random_frames(g, 3, seed=4)
    quick = CSim(copy, progress=lambda m: None, quick=True)
    assert quick.compile_seconds > 0 and (copy / "hls/csim_quick.cpp").exists()
    assert np.array_equal(quick.run(x), run(g, x))
