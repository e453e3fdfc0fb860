"""hls4ml ModelGraph -> IR (fpga.graph.Graph).

hls4ml's streaming graph has helper nodes that the IR folds away: ``Clone`` (stream forks:
the IR keeps forks implicit), ``ZeroPadding2D`` (becomes the conv's ``pad``), and the ReLU
``Activation`` after a conv or an add (becomes ``relu`` + ``out_fmt`` of that layer).
"""
from __future__ import annotations

import numpy as np

from ..errors import FpgaError
from ..fixed import Fmt
from ..graph import Graph, Layer


def fmt_of(precision) -> Fmt:
    rnd = str(getattr(precision, "rounding_mode", "TRN") or "TRN").replace("AP_", "")
    sat = str(getattr(precision, "saturation_mode", "WRAP") or "WRAP").replace("AP_", "")
    return Fmt(int(precision.width), int(precision.integer), bool(precision.signed),
               rounding=rnd.split(".")[-1], saturation=sat.split(".")[-1])


def raw_ints(values, fmt: Fmt, what: str) -> np.ndarray:
    scaled = np.asarray(values, dtype=np.float64) * 2.0 ** fmt.frac
    raw = np.round(scaled).astype(np.int64)
    if not np.array_equal(raw, scaled) or raw.min(initial=0) < fmt.raw_min or raw.max(initial=0) > fmt.raw_max:
        raise FpgaError(f"{what}: values are not exact {fmt.hls()} numbers")
    return raw


def _out_fmt(node) -> Fmt:
    return fmt_of(node.get_output_variable().type.precision)


def _shape(node) -> tuple:
    shape = tuple(int(s) for s in node.get_output_variable().shape)
    return shape if len(shape) == 3 else (1, 1) + shape


def graph_from_hls(hls_model, name: str, keras_formats=None) -> Graph:
    layers: list[Layer] = []
    by_name: dict[str, Layer] = {}
    alias: dict[str, str] = {}      # hls4ml output variable name -> IR layer name
    pending_pad: dict[str, tuple] = {}

    def src(node, i=0):
        return alias[node.inputs[i]]

    def add(layer, node):
        layers.append(layer)
        by_name[layer.name] = layer
        for o in node.outputs:
            alias[o] = layer.name

    for node in hls_model.get_layers():
        cls = node.class_name
        if cls == "Input":
            add(Layer(node.name, "input", [], _shape(node), _out_fmt(node)), node)
        elif cls == "Clone":
            for o in node.outputs:
                alias[o] = src(node)
        elif cls == "ZeroPadding2D":
            pad = tuple(int(node.get_attr(k)) for k in ("pad_top", "pad_bottom", "pad_left", "pad_right"))
            for o in node.outputs:
                alias[o] = src(node)
                pending_pad[o] = pad
        elif cls in ("Conv2D", "PointwiseConv2D"):
            kh, kw = int(node.get_attr("filt_height")), int(node.get_attr("filt_width"))
            cin, cout = int(node.get_attr("n_chan")), int(node.get_attr("n_filt"))
            pad = pending_pad.get(node.inputs[0], (0, 0, 0, 0))
            own = tuple(int(node.get_attr(k, 0)) for k in ("pad_top", "pad_bottom", "pad_left", "pad_right"))
            pad = tuple(a + b for a, b in zip(pad, own))
            w_fmt = fmt_of(node.weights["weight"].type.precision)
            b_fmt = fmt_of(node.weights["bias"].type.precision)
            in_fmt = by_name[src(node)].out_fmt
            w = raw_ints(node.weights["weight"].data, w_fmt, f"{node.name} weights")
            if node.get_attr("_weights_transposed", False):
                # hls4ml's Resource strategy stores conv weights as (Cout, Kh, Kw, Cin)
                w = w.reshape(cout, kh, kw, cin).transpose(1, 2, 3, 0)
            w = np.ascontiguousarray(w.reshape(kh, kw, cin, cout))
            b = raw_ints(node.weights["bias"].data, b_fmt, f"{node.name} bias").reshape(cout)
            add(Layer(node.name, "conv", [src(node)], _shape(node), _out_fmt(node),
                      kernel=(kh, kw), stride=(int(node.get_attr("stride_height")),
                                               int(node.get_attr("stride_width"))),
                      pad=pad, acc_frac=in_fmt.frac + w_fmt.frac, w_fmt=w_fmt, b_fmt=b_fmt,
                      reuse=int(node.get_attr("reuse_factor")), weights=w, bias=b), node)
        elif cls == "Activation":
            act = node.get_attr("activation")
            prev = by_name[src(node)]
            if act == "linear" and _out_fmt(node) == prev.out_fmt:
                for o in node.outputs:
                    alias[o] = prev.name
                continue
            if act != "relu":
                raise FpgaError(f"{node.name}: activation {act!r} is not supported")
            if prev.kind not in ("conv", "add") or prev.relu or len(
                    [n for n in hls_model.get_layers() if node.inputs[0] in n.inputs]) != 1:
                raise FpgaError(f"{node.name}: a ReLU must directly follow one conv or add")
            prev.relu = True
            prev.out_fmt = _out_fmt(node)
            for o in node.outputs:
                alias[o] = prev.name
        elif cls == "OverlapMaxPooling2D" or (cls == "Pooling2D" and node.get_attr("pool_op") == "Max"):
            add(Layer(node.name, "maxpool", [src(node)], _shape(node), _out_fmt(node),
                      pool=(int(node.get_attr("pool_height")), int(node.get_attr("pool_width"))),
                      stride=(int(node.get_attr("stride_height")), int(node.get_attr("stride_width")))),
                node)
        elif cls == "Concatenate":
            add(Layer(node.name, "concat", [src(node, 0), src(node, 1)], _shape(node), _out_fmt(node)),
                node)
        elif cls == "Merge" and node.get_attr("op") == "add":
            ins = [src(node, 0), src(node, 1)]
            add(Layer(node.name, "add", ins, _shape(node), _out_fmt(node),
                      acc_frac=max(by_name[i].out_fmt.frac for i in ins)), node)
        elif cls == "GlobalPooling2D" and node.get_attr("pool_op") == "Average":
            acc = fmt_of(node.get_attr("accum_t").precision)
            add(Layer(node.name, "gap", [src(node)], _shape(node), _out_fmt(node),
                      acc_frac=acc.frac), node)
        else:
            raise FpgaError(f"hls4ml layer {node.name} ({cls}) has no IR equivalent")
    graph = Graph(name, layers)
    _check_against_keras(graph, keras_formats)
    return graph


def _check_against_keras(graph: Graph, keras_formats) -> None:
    """The converted graph must carry exactly the formats we derived from the quantizers."""
    if not keras_formats:
        return
    for layer in graph.layers:
        expected = keras_formats.get(layer.name)
        if layer.kind == "conv" and expected is not None:
            if (layer.w_fmt.width, layer.w_fmt.frac) != (expected.weight.width, expected.weight.frac):
                raise FpgaError(f"{layer.name}: hls4ml weight format {layer.w_fmt.hls()} differs "
                                f"from the quantizer's {expected.weight.hls()}")
