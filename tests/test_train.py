"""Datasets (raw uint8 images) and quantisation-aware training (`fpga train`)."""
import json
import struct
import zlib

import numpy as np
import pytest

from fpga import data
from fpga.cli import main
from fpga.errors import FpgaError


# ---------------------------------------------------------------------------------- data

@pytest.fixture(scope="module")
def digits():
    return data.load_digits(32, 1)


def test_digits_shape_dtype_range(digits):
    d = digits
    assert d.x_train.shape == (1438, 32, 32, 1) and d.x_test.shape == (359, 32, 32, 1)
    assert d.x_train.dtype == np.uint8 and d.y_train.dtype == np.int64
    assert d.x_train.min() == 0 and d.x_train.max() == 255
    assert d.classes == 10 and set(np.unique(d.y_test)) == set(range(10))
    assert all(35 <= n <= 37 for n in np.bincount(d.y_test))      # stratified 20 %
    x = data.to_model_input(d.x_test)
    assert x.dtype == np.float32 and x.max() == np.float32(255 / 256)


def test_digits_other_sizes_channels_and_fixed_split(digits):
    d = data.load_digits(16, 3)
    assert d.x_train.shape == (1438, 16, 16, 3) and d.x_train.dtype == np.uint8
    assert np.array_equal(d.x_train[..., 0], d.x_train[..., 2])
    assert np.array_equal(d.y_train, digits.y_train)               # split independent of size
    tr, te = data.stratified_split(np.repeat(np.arange(3), 10))
    assert len(set(tr) | set(te)) == 30 and not set(tr) & set(te) and len(te) == 6


def test_resize_bilinear_and_area():
    img = np.arange(16.0).reshape(4, 4)
    assert np.allclose(data.resize(img, 2)[..., 0], [[2.5, 4.5], [10.5, 12.5]])   # area
    up = data.resize(np.full((3, 5, 2), 7.0), (9, 4))                             # mixed
    assert up.shape == (9, 4, 2) and np.allclose(up, 7.0)
    ramp = data.resize(np.array([[0.0, 8.0]]), (1, 4))[0, :, 0]                   # bilinear
    assert np.allclose(ramp, [0, 2, 6, 8])


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


def test_npz_loader(tmp_path):
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, size=(40, 32, 32), dtype=np.uint8)
    y = np.arange(40) % 4
    d = data.load_dataset(_npz(tmp_path / "a.npz", x=raw, y=y), size=32, channels=1)
    assert d.x_train.shape == (32, 32, 32, 1) and d.x_test.shape == (8, 32, 32, 1)
    assert d.classes == 4
    # float pixels: both raw/256 and raw/255 map back to the raw bytes
    for scale in (256.0, 255.0):
        f = data.load_npz(_npz(tmp_path / "f.npz", x=raw / scale, y=y))
        both = np.concatenate([f.x_train, f.x_test])
        assert sorted(map(bytes, both)) == sorted(map(bytes, raw[..., None]))
    # an explicit test split is used as given
    g = data.load_npz(_npz(tmp_path / "g.npz", x=raw, y=y, x_test=raw[:5], y_test=y[:5]))
    assert len(g.y_train) == 40 and np.array_equal(g.x_test[..., 0], raw[:5])


@pytest.mark.parametrize("case,msg", [
    ("missing_file", "not found"),
    ("missing_key", "missing array(s) y"),
    ("wrong_shape", "must have shape"),
    ("bad_dtype", "must be uint8 or float"),
    ("float_range", "must be in [0, 1]"),
    ("label_count", "40 images but 39 labels"),
    ("label_type", "labels must be integers"),
    ("label_range", "out of range"),
    ("size", "the model input is 24x24"),
    ("channels", "the model input has 3"),
])
def test_npz_errors(tmp_path, case, msg):
    raw = np.zeros((40, 32, 32), np.uint8)
    y = np.arange(40) % 4
    kw = dict(x=raw, y=y)
    size, channels, classes = 32, 1, None
    if case == "missing_key":
        kw = dict(x=raw)
    elif case == "wrong_shape":
        kw["x"] = np.zeros((40, 32), np.uint8)
    elif case == "bad_dtype":
        kw["x"] = raw.astype(np.complex64)
    elif case == "float_range":
        kw["x"] = raw.astype(np.float32) + 2
    elif case == "label_count":
        kw["y"] = y[:-1]
    elif case == "label_type":
        kw["y"] = y + 0.5
    elif case == "label_range":
        classes = 3
    elif case == "size":
        size = 24
    elif case == "channels":
        channels = 3
    path = tmp_path / "d.npz"
    if case != "missing_file":
        _npz(path, **kw)
    with pytest.raises(FpgaError, match=None) as e:
        data.load_dataset(str(path), size, channels, classes)
    assert msg in str(e.value) and "\n" not in str(e.value)


def _png(path, img, filters=(0, 1, 2, 3, 4)):
    """A minimal PNG writer (8-bit grey or RGB) that cycles through every filter type."""
    h, w, c = img.shape
    bpp, prev, rows = c, np.zeros(w * c, np.int64), []
    for r in range(h):
        cur = img[r].reshape(-1).astype(np.int64)
        f = filters[r % len(filters)]
        left = np.concatenate([np.zeros(bpp, np.int64), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int64), prev[:-bpp]])
        if f == 0:
            pred = np.zeros_like(cur)
        elif f == 1:
            pred = left
        elif f == 2:
            pred = prev
        elif f == 3:
            pred = (left + prev) >> 1
        else:
            p = left + prev - upleft
            pa, pb, pc = abs(p - left), abs(p - prev), abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        rows.append(bytes([f]) + ((cur - pred) & 255).astype(np.uint8).tobytes())
        prev = cur

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, {1: 0, 3: 2}[c], 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
                     chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


def test_image_readers_and_folder(tmp_path):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    _png(tmp_path / "c.png", rgb)
    assert np.array_equal(data.read_image(tmp_path / "c.png"), rgb)
    grey = rng.integers(0, 256, size=(6, 4, 1), dtype=np.uint8)
    _png(tmp_path / "g.png", grey)
    assert np.array_equal(data.read_image(tmp_path / "g.png"), grey)
    (tmp_path / "g.pgm").write_bytes(b"P5\n# comment\n4 6\n255\n" + grey.tobytes())
    assert np.array_equal(data.read_image(tmp_path / "g.pgm"), grey)
    (tmp_path / "g2.pgm").write_text("P2 2 1 15\n0 15\n")
    assert data.read_image(tmp_path / "g2.pgm")[..., 0].tolist() == [[0, 255]]
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nxx")
    with pytest.raises(FpgaError, match="cannot read image"):
        data.read_image(tmp_path / "bad.png")

    root = tmp_path / "set"
    for k, cls in enumerate(["cat", "dog"]):
        (root / cls).mkdir(parents=True)
        for i in range(5):
            _png(root / cls / f"{i}.png", np.full((8, 8, 1), 40 * k + i, np.uint8))
    d = data.load_dataset(str(root), size=24)
    assert d.class_names == ["cat", "dog"] and d.classes == 2
    assert d.x_train.shape == (8, 24, 24, 1) and d.x_test.shape == (2, 24, 24, 1)
    assert sorted(np.unique(d.y_test)) == [0, 1]
    assert data.load_dataset(str(root), size=24, channels=3).x_train.shape[-1] == 3
    with pytest.raises(FpgaError, match="no class sub-folders"):
        data.load_dataset(str(root / "cat"), size=24)


def test_unknown_data_source(tmp_path):
    with pytest.raises(FpgaError, match="data not found"):
        data.load_dataset(str(tmp_path / "nothing"))
    (tmp_path / "x.csv").write_text("1,2\n")
    with pytest.raises(FpgaError, match="unsupported data"):
        data.load_dataset(str(tmp_path / "x.csv"))


# ---------------------------------------------------------------------------------- training

TINY = ["--arch", "squeezenet_mini", "--width", "0.25", "--epochs", "1", "--limit", "48",
        "--batch-size", "16", "--quiet"]


def test_train_cli_writes_model_and_metadata(tmp_path, capsys):
    out = tmp_path / "tiny.h5"
    assert main(["train", *TINY, "--json", "-o", str(out)]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert out.exists() and json.loads(out.with_suffix(".json").read_text()) == meta
    assert meta["spec"]["arch"] == "squeezenet_mini" and meta["spec"]["input_size"] == 32
    assert meta["spec"]["classes"] == 10 and meta["dataset"]["name"] == "digits"
    assert meta["dataset"]["train"] == 48 and meta["dataset"]["split"]["seed"] == 0
    assert meta["training"]["epochs"] == 1 and meta["training"]["seed"] == 0
    assert set(meta["accuracy"]) >= {"float_test", "quantized_test"}
    assert meta["params"] > 0 and meta["macs"] > 0 and meta["weight_bytes"] == meta["params"]
    assert meta["command"].startswith("fpga train --arch squeezenet_mini")
    from fpga.modelio import load_model
    m = load_model(out)
    assert m.count_params() == meta["params"] and m.name == "tiny"

    # refuses to overwrite without --force, one line on stderr
    assert main(["train", *TINY, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "exists" in err and "--force" in err and "\n" not in err
    # continue training from the written model (spec taken from its metadata)
    out2 = tmp_path / "tiny2.h5"
    assert main(["train", "--from", str(out), "--epochs", "1", "--limit", "32", "--no-float",
                 "--quiet", "-o", str(out2)]) == 0
    meta2 = json.loads(out2.with_suffix(".json").read_text())
    assert meta2["spec"] == meta["spec"] and "float_test" not in meta2["accuracy"]
    assert main(["train", "--from", str(out), "--width", "1", "-o", str(tmp_path / "x.h5")]) == 2
    assert "--from keeps" in capsys.readouterr().err


def test_train_cli_bad_inputs(tmp_path, capsys):
    bad = _npz(tmp_path / "b.npz", x=np.zeros((20, 24, 24), np.uint8), y=np.zeros(20, int))
    cases = [
        (["--data", str(tmp_path / "none.npz")], "not found"),
        (["--data", bad, "--input-size", "32"], "model input is 32x32"),
        (["--data", "digits", "--classes", "5"], "out of range"),
        (["--arch", "squeezenet9"], "unknown architecture"),
        (["--epochs", "-1"], "--epochs"),
    ]
    for extra, msg in cases:
        assert main(["train", "--quiet", *extra, "-o", str(tmp_path / "m.h5")]) == 2, extra
        err = capsys.readouterr().err.strip()
        assert msg in err and "\n" not in err, (extra, err)
    assert not (tmp_path / "m.h5").exists()


def test_training_is_deterministic():
    from fpga import zoo
    from fpga.train import TrainConfig, he_init, train

    ds = data.load_digits(32, 1).limit(32, 16)
    spec = zoo.SqueezeNetSpec(arch="squeezenet_mini", input_size=32, channels=1, classes=10,
                              width=0.25)
    runs = []
    for _ in range(2):
        cfg = TrainConfig(epochs=1, batch_size=16, seed=7, float_twin=False, progress=False)
        res = train(ds, cfg, spec=spec)
        runs.append(res["model"].get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(runs[0], runs[1]))
    # the weights did move, and another seed starts elsewhere
    m = zoo.build(spec, seed=7)
    he_init(m, 7)
    assert not all(np.array_equal(a, b) for a, b in zip(runs[0], m.get_weights()))
    m8 = zoo.build(spec, seed=8)
    he_init(m8, 8)
    assert not np.array_equal(m.get_weights()[0], m8.get_weights()[0])


def test_float_twin_has_no_quantisers():
    from fpga import zoo
    from fpga.train import float_twin

    m = zoo.build(zoo.SqueezeNetSpec(arch="squeezenet_mini", input_size=32, channels=1,
                                     classes=10, width=0.25, bypass=True), seed=1)
    t = float_twin(m)
    kinds = {type(l).__name__ for l in t.layers}
    assert not any(k.startswith("Q") for k in kinds) and {"Conv2D", "ReLU", "Add"} <= kinds
    assert t.count_params() == m.count_params()
    assert all(np.array_equal(a, b) for a, b in zip(t.get_weights(), m.get_weights()))
