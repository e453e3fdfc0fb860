"""Bad input: one line on stderr, non-zero exit, nothing half-written."""
import numpy as np
import pytest

from fpga.cli import main


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    err = capsys.readouterr().err.strip()
    return code, err


def assert_one_line_error(code, err, *words):
    assert code != 0
    lines = [l for l in err.splitlines() if l.strip()]
    assert lines and "Traceback" not in err
    assert all(w in lines[-1] for w in words), lines[-1]


def test_missing_model(capsys, tmp_path):
    code, err = run_cli(capsys, "convert", tmp_path / "nope.h5", "-o", tmp_path / "p")
    assert_one_line_error(code, err, "not found")
    assert not (tmp_path / "p").exists()


def test_corrupt_model(capsys, tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"this is not an HDF5 file")
    code, err = run_cli(capsys, "convert", bad, "-o", tmp_path / "p")
    assert_one_line_error(code, err, "cannot read model")
    assert list(tmp_path.iterdir()) == [bad]


def _save(model, path):
    from fpga.modelio import save_model
    save_model(model, path)
    return path


def test_unsupported_layer_named(capsys, tmp_path):
    import tensorflow as tf
    inp = tf.keras.layers.Input((8, 8, 1), name="image")
    x = tf.keras.layers.Conv2D(2, 3, name="plain_conv")(inp)
    x = tf.keras.layers.Flatten(name="flat")(x)
    path = _save(tf.keras.Model(inp, x), tmp_path / "m.h5")
    code, err = run_cli(capsys, "convert", path, "-o", tmp_path / "p")
    assert_one_line_error(code, err, "plain_conv", "Conv2D", "supported:", "QConv2D")
    assert not (tmp_path / "p").exists()


def test_non_power_of_two_scale(capsys, tmp_path):
    import tensorflow as tf
    from qkeras import QActivation, QConv2D
    inp = tf.keras.layers.Input((8, 8, 1), name="image")
    x = QConv2D(2, 3, kernel_quantizer="quantized_bits(8,0,alpha='auto')",
                bias_quantizer="quantized_bits(8,0,alpha=1)", name="c")(inp)
    x = QActivation("quantized_relu(8,3)", name="r")(x)
    path = _save(tf.keras.Model(inp, x), tmp_path / "m.h5")
    code, err = run_cli(capsys, "convert", path, "-o", tmp_path / "p")
    assert_one_line_error(code, err, "power-of-two", "c")


def test_unknown_board(capsys, tmp_path, bypass64_model):
    code, err = run_cli(capsys, "convert", bypass64_model, "-o", tmp_path / "p", "--board", "zedboardx")
    assert_one_line_error(code, err, "zedboardx")
    assert not (tmp_path / "p").exists()


def test_existing_output_needs_force(capsys, tmp_path, bypass64_model):
    out = tmp_path / "p"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, err = run_cli(capsys, "convert", bypass64_model, "-o", out)
    assert_one_line_error(code, err, "exists", "--force")
    assert (out / "keep.txt").read_text() == "mine"


def test_failed_conversion_leaves_nothing(capsys, tmp_path, bypass64_model):
    code, err = run_cli(capsys, "convert", bypass64_model, "-o", tmp_path / "p", "--reuse", "conv1=7")
    assert_one_line_error(code, err, "not valid for conv1")
    assert not any(p.name.startswith(".p") or p.name == "p" for p in tmp_path.iterdir())


def test_wrong_input_shape_and_type(capsys, tmp_path, bypass64_project):
    np.save(tmp_path / "shape.npy", np.zeros((2, 32, 32, 3), dtype=np.uint8))
    code, err = run_cli(capsys, "csim", bypass64_project, "--frames", 2, "--inputs", tmp_path / "shape.npy")
    assert_one_line_error(code, err, "shape")
    np.save(tmp_path / "float.npy", np.full((2, 64, 64, 3), 0.3))
    code, err = run_cli(capsys, "csim", bypass64_project, "--frames", 2, "--inputs", tmp_path / "float.npy")
    assert_one_line_error(code, err, "exact")
    (tmp_path / "junk.npy").write_text("junk")
    code, err = run_cli(capsys, "csim", bypass64_project, "--inputs", tmp_path / "junk.npy")
    assert_one_line_error(code, err, "cannot read")


def test_not_a_project(capsys, tmp_path):
    code, err = run_cli(capsys, "csim", tmp_path)
    assert_one_line_error(code, err, "not a converted project")


def test_debug_shows_traceback(tmp_path):
    from fpga.errors import FpgaError
    with pytest.raises(FpgaError):
        main(["--debug", "convert", str(tmp_path / "nope.h5"), "-o", str(tmp_path / "p")])


def test_project_names_become_valid_cpp_identifiers():
    from fpga.hls.convert import hls_identifier
    assert hls_identifier("default") == "default_net"
    assert hls_identifier("3x-net") == "net_3x_net"
    assert hls_identifier("squeezenet_mini") == "squeezenet_mini"
