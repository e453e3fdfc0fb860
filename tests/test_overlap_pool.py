"""Our hls4ml extension for overlapping streaming max pooling, run in hls4ml's C-sim."""
import numpy as np
import pytest

from fpga.csim import CSim
from fpga.graph import Graph
from fpga.hls.convert import convert


def pool_model(path, size, pool, stride, channels=4):
    import tensorflow as tf
    from qkeras import QActivation, QConv2D
    from fpga.modelio import save_model
    tf.keras.utils.set_random_seed(7)
    inp = tf.keras.layers.Input((size, size, 1), name="image")
    x = QConv2D(channels, 3, padding="same", kernel_quantizer="quantized_bits(8,0,alpha=1)",
                bias_quantizer="quantized_bits(8,0,alpha=1)", name="conv")(inp)
    x = QActivation("quantized_relu(8,3)", name="conv_relu")(x)
    x = tf.keras.layers.MaxPooling2D(pool, stride, name="pool")(x)
    x = QConv2D(3, 1, kernel_quantizer="quantized_bits(8,0,alpha=1)",
                bias_quantizer="quantized_bits(8,0,alpha=1)", name="head")(x)
    x = QActivation("quantized_relu(8,3)", name="head_relu")(x)
    x = tf.keras.layers.GlobalAveragePooling2D(name="gap")(x)
    save_model(tf.keras.Model(inp, x), path)
    return path


def brute_maxpool(x, pool, stride):
    h, w, c = x.shape
    oh, ow = (h - pool) // stride + 1, (w - pool) // stride + 1
    return np.array([[[x[oy * stride:oy * stride + pool, ox * stride:ox * stride + pool, ch].max()
                       for ch in range(c)] for ox in range(ow)] for oy in range(oh)])


@pytest.mark.parametrize("size,pool,stride", [(11, 3, 2), (10, 3, 2), (9, 3, 1), (8, 2, 2)])
def test_streaming_pool_is_bit_exact(tmp_path, size, pool, stride):
    model = pool_model(tmp_path / "m.h5", size, pool, stride)
    convert(model, tmp_path / "p", progress=lambda m: None)
    g = Graph.load(tmp_path / "p")
    layer = g["pool"]
    assert layer.pool == (pool, pool) and layer.stride == (stride, stride)
    assert layer.out_shape[0] == (size - pool) // stride + 1
    hls_fn = (tmp_path / "p/hls/firmware").glob("*.cpp")
    body = "".join(p.read_text() for p in hls_fn)
    assert ("fpga::overlap_maxpool2d_cl" in body) == (pool != stride)
    # the pool itself against brute force, then the whole net: C-sim == reference
    from fpga import reference
    x = np.random.default_rng(size).integers(0, 256, (6, size, size, 1))
    t = reference.run(g, x, keep_all=True)
    for i in range(len(x)):
        assert np.array_equal(t["pool"][i], brute_maxpool(t["conv"][i], pool, stride))
    got = CSim(tmp_path / "p", progress=lambda m: None).run(x)
    assert np.array_equal(got, reference.run(g, x))
