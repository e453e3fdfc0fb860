"""The numpy reference against QKeras (layer by layer) and against a plain-loop convolution."""
import numpy as np
import pytest

from fpga import reference
from fpga.fixed import requantize
from fpga.graph import Graph
from fpga.hls.to_ir import graph_from_hls  # noqa: F401  (import check)


@pytest.mark.parametrize("project", ["bypass64_project"])
def test_every_layer_equals_qkeras(project, request):
    from fpga.modelio import load_model
    folder = request.getfixturevalue(project)
    g = Graph.load(folder)
    model = load_model(folder / "model.h5")
    x = np.random.default_rng(5).integers(0, 256, (3,) + g.input.out_shape)
    tensors = reference.run(g, x, keep_all=True)
    import tensorflow as tf
    layers = g.layers[1:-1]       # the last layer (average) is checked below
    names = [l.name + "_relu" if l.relu else l.name for l in layers]
    # one model with every layer's output: a single predict instead of one model per layer
    every = tf.keras.Model(model.input, [model.get_layer(n).output for n in names])
    outs = every.predict(x / 256.0, verbose=0)
    for layer, q in zip(layers, outs):
        ours = tensors[layer.name] * 2.0 ** -layer.out_fmt.frac
        assert np.array_equal(q.reshape(ours.shape), ours), layer.name
    # the global average: QKeras keeps the float mean, hls4ml truncates it to out_fmt
    q = model.predict(x / 256.0, verbose=0)
    ours = tensors[g.output.name].reshape(q.shape) * 2.0 ** -g.output.out_fmt.frac
    step = 2.0 ** -g.output.out_fmt.frac
    assert np.all((q - ours >= 0) & (q - ours < step))


def test_conv_matches_plain_loops(bypass64_project):
    g = Graph.load(bypass64_project)
    layer = next(l for l in g.layers if l.kind == "conv" and l.kernel == (3, 3) and l.pad[0] == 1)
    src = g[layer.inputs[0]]
    x = np.random.default_rng(1).integers(0, src.out_fmt.raw_max + 1, (1,) + src.out_shape)
    ours = reference.conv(g, layer, x)[0]
    h, w, cin = src.out_shape
    xp = np.pad(x[0], ((1, 1), (1, 1), (0, 0)))
    kh, kw, _, cout = layer.weights.shape
    expect = np.zeros(ours.shape, dtype=np.int64)
    for oy in range(ours.shape[0]):
        for ox in range(ours.shape[1]):
            for co in range(cout):
                acc = int(layer.bias[co]) << (layer.acc_frac - layer.b_fmt.frac)
                for ky in range(kh):
                    for kx in range(kw):
                        for ci in range(cin):
                            acc += int(xp[oy + ky, ox + kx, ci]) * int(layer.weights[ky, kx, ci, co])
                expect[oy, ox, co] = requantize(acc, layer.acc_frac, layer.out_fmt, relu=True)
    assert np.array_equal(ours, expect)


def test_reference_rejects_bad_inputs(bypass64_project):
    from fpga.errors import FpgaError
    g = Graph.load(bypass64_project)
    with pytest.raises(FpgaError, match="shape"):
        reference.run(g, np.zeros((1, 32, 32, 3), dtype=np.int64))
    with pytest.raises(FpgaError, match="integers"):
        reference.run(g, np.zeros((1,) + g.input.out_shape, dtype=np.float32))
    with pytest.raises(FpgaError, match="lie in"):
        reference.run(g, np.full((1,) + g.input.out_shape, 256))


def test_ir_round_trips(bypass64_project, tmp_path):
    g = Graph.load(bypass64_project)
    g.save(tmp_path)
    h = Graph.load(tmp_path)
    assert [l.to_dict() for l in g.layers] == [l.to_dict() for l in h.layers]
    x = np.random.default_rng(2).integers(0, 256, (2,) + g.input.out_shape)
    assert np.array_equal(reference.run(g, x), reference.run(h, x))
