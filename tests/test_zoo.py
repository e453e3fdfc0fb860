"""The SqueezeNet zoo and `fpga new`: sizes, bypass, width multiplier, one-line errors."""
import json

import pytest

from fpga import zoo
from fpga.cli import main


def _spec(**kw):
    return zoo.SqueezeNetSpec(**kw)


@pytest.mark.parametrize("arch,size,params", [
    ("squeezenet1_0", 227, 1_248_424),   # torchvision squeezenet1_0
    ("squeezenet1_1", 224, 1_235_496),   # torchvision squeezenet1_1
])
def test_param_counts_match_torchvision(arch, size, params):
    m = zoo.build(_spec(arch=arch, input_size=size, classes=1000))
    assert m.count_params() == params
    assert m.output_shape == (None, 1000)


def test_new_cli_squeezenet1_0(tmp_path, capsys):
    out = tmp_path / "sq10.h5"
    assert main(["new", "squeezenet1_0", "--input-size", "227", "--classes", "1000",
                 "-o", str(out)]) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["params"] == 1_248_424
    assert meta["spec"]["arch"] == "squeezenet1_0" and meta["trained"] is False
    assert meta["weight_bytes"] == 1_248_424          # 8-bit weights and biases
    assert "1248424 params" in capsys.readouterr().out


def _names(model, kind):
    return sorted(l.name for l in model.layers if type(l).__name__ == kind)


def test_bypass_adds_at_fire_3_5_7_9():
    m = zoo.build(_spec(arch="squeezenet1_1", input_size=224, bypass=True))
    assert _names(m, "Add") == ["fire3_bypass", "fire5_bypass", "fire7_bypass", "fire9_bypass"]
    plain = zoo.build(_spec(arch="squeezenet1_1", input_size=224))
    assert _names(plain, "Add") == []
    assert m.count_params() == plain.count_params()   # simple bypass adds no weights
    mini = zoo.build(_spec(arch="squeezenet_mini", input_size=32, channels=1, classes=10,
                           width=0.5, bypass=True))
    assert _names(mini, "Add") == ["fire3_bypass", "fire5_bypass"]


@pytest.mark.parametrize("width", [0.25, 0.5, 1.0, 2.0])
def test_width_multiplier_scales_channels(width):
    m = zoo.build(_spec(arch="squeezenet_mini", input_size=32, channels=1, classes=10,
                        width=width))
    filters = {l.name: l.filters for l in m.layers if hasattr(l, "filters")}
    assert filters["conv1"] == round(64 * width)
    assert filters["fire2_squeeze"] == round(16 * width)
    assert filters["fire4_expand3x3"] == round(128 * width)
    assert filters["conv10"] == 10                     # classes are not scaled


def test_mini_shapes_macs_and_stats():
    from fpga.train import model_stats

    m = zoo.build(_spec(arch="squeezenet_mini", input_size=32, channels=1, classes=10, width=0.5))
    shapes = {l.name: l.output_shape for l in m.layers}
    assert shapes["conv1"] == (None, 30, 30, 32)
    assert shapes["pool1"] == (None, 14, 14, 32)
    assert shapes["pool3"] == (None, 2, 2, 128)
    st = model_stats(m)
    assert st["params"] == m.count_params() == 31482
    by = {r["name"]: r for r in st["layers"]}
    assert by["conv1"]["macs"] == 30 * 30 * 3 * 3 * 1 * 32
    assert by["fire2_expand3x3"]["macs"] == 14 * 14 * 3 * 3 * 8 * 32
    assert by["conv10"]["macs"] == 2 * 2 * 1 * 1 * 128 * 10
    assert st["macs"] == sum(r["macs"] for r in st["layers"]) == 2_266_240
    assert st["weight_bytes"] == 31482


def test_new_default_name_and_refuses_overwrite(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["new", "squeezenet_mini", "--input-size", "32", "--channels", "1", "--classes",
            "10", "--width", "0.5", "--seed", "3"]
    assert main(args) == 0
    out = tmp_path / "models" / "squeezenet_mini_32px_10c_w0.5.h5"
    assert out.exists() and out.with_suffix(".json").exists()
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "exists" in err and "--force" in err
    assert main(args + ["--force"]) == 0


def test_new_is_seeded_and_quantised(tmp_path):
    import numpy as np

    from fpga.modelio import load_model

    paths = []
    for i, seed in enumerate((5, 5)):
        p = tmp_path / f"m{i}.h5"
        assert main(["new", "squeezenet_mini", "--input-size", "32", "--channels", "1",
                     "--classes", "4", "--width", "0.25", "--seed", str(seed), "-o", str(p)]) == 0
        paths.append(p)
    w = [load_model(p).get_weights() for p in paths]
    assert all(np.array_equal(a, b) for a, b in zip(w[0], w[1]))
    m = load_model(paths[0])
    assert {type(l).__name__ for l in m.layers} >= {"QConv2D", "QActivation"}
    q = m.get_layer("conv1").kernel_quantizer_internal
    assert (q.bits, q.integer) == (8, 0)


@pytest.mark.parametrize("args,msg", [
    (["new", "squeezenet2_0"], "unknown architecture"),
    (["new", "squeezenet_mini", "--width", "0"], "width multiplier"),
    (["new", "squeezenet_mini", "--input-size", "16"], "too small"),
    (["new", "squeezenet1_1", "--classes", "0"], "classes"),
    (["new", "squeezenet1_1", "--a-bits", "8", "--a-int", "8"], "integer bits"),
    (["new", "squeezenet1_1", "--w-bits", "1"], "bits"),
    (["new", "squeezenet1_1", "-o", "x.txt"], ".h5"),
])
def test_new_bad_arguments_one_line_errors(tmp_path, monkeypatch, capsys, args, msg):
    monkeypatch.chdir(tmp_path)
    assert main(args) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("fpga new: error:") and msg in err and "\n" not in err
    assert not (tmp_path / "models").exists()


@pytest.mark.parametrize("arch,size,params", [
    ("squeezenet1_0", 227, 1_248_424), ("squeezenet1_1", 224, 1_235_496)])
def test_new_then_info_json_gives_paper_counts(tmp_path, capsys, arch, size, params):
    out = tmp_path / f"{arch}.h5"
    assert main(["new", arch, "--input-size", str(size), "--classes", "1000", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["params"] == params
    assert info["macs"] > 0 and info["weight_bytes"] == params
