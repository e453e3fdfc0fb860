"""Per-layer fixed-point formats derived from a QKeras model's quantizers.

Rules (so that nothing rounds before the intended point):
  * input:        ufixed<input_bits, 0> (pixels / 2**input_bits)
  * QConv2D:      weights/bias from their quantized_bits; accumulator = conv output, exact
                  (in.width + w.width + ceil(log2(Kh*Kw*Cin + 1)) + 1 bits)
  * QActivation:  quantized_relu(b, i) -> ufixed<b, i, RND_CONV, SAT>;
                  quantized_bits(b, i) -> fixed<b, i+1, RND_CONV, SAT>  (QKeras rounds half-even)
  * MaxPooling2D, Concatenate, Dropout: the input format
  * Add:          exact sum (one more integer bit, finest fraction)
  * GlobalAveragePooling2D: the mean with GAP_EXTRA_FRAC more fractional bits than the input,
                  truncated (hls4ml divides the wide sum by H*W)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..errors import FpgaError
from ..fixed import Fmt

SUPPORTED = ("InputLayer", "QConv2D", "QActivation", "MaxPooling2D", "Concatenate", "Add",
             "Dropout", "GlobalAveragePooling2D")
GAP_EXTRA_FRAC = 8


@dataclass
class LayerFormats:
    out: Fmt
    weight: Fmt | None = None
    bias: Fmt | None = None
    accum: Fmt | None = None
    extra: dict = field(default_factory=dict)


def _alpha_ok(alpha) -> bool:
    return alpha is None or (not isinstance(alpha, str) and float(alpha) == 1.0)


def quantizer_fmt(layer, which: str) -> Fmt:
    cfg = layer.get_config().get(f"{which}_quantizer")
    if cfg is None:
        raise FpgaError(f"layer {layer.name}: {which} is not quantized; give it a "
                        f"{which}_quantizer=quantized_bits(8,0,alpha=1)")
    if isinstance(cfg, str) or cfg.get("class_name") != "quantized_bits":
        name = cfg if isinstance(cfg, str) else cfg.get("class_name")
        raise FpgaError(f"layer {layer.name}: {which} quantizer {name} is not supported; "
                        "use quantized_bits(bits, integer, alpha=1)")
    c = cfg["config"]
    if not _alpha_ok(c.get("alpha")):
        raise FpgaError(f"layer {layer.name}: {which} quantizer scale alpha={c.get('alpha')!r} is "
                        "not a power-of-two scale; use alpha=1")
    if not c.get("keep_negative", True):
        raise FpgaError(f"layer {layer.name}: unsigned {which} quantizers are not supported")
    return Fmt(int(c["bits"]), int(c.get("integer", 0)) + 1, signed=True)


def activation_fmt(layer) -> Fmt:
    from qkeras.quantizers import get_quantizer
    q = get_quantizer(layer.get_config()["activation"])
    name = type(q).__name__
    if name == "quantized_relu":
        c = q.get_config()
        if c.get("negative_slope", 0) != 0 or c.get("use_sigmoid", 0):
            raise FpgaError(f"layer {layer.name}: only plain quantized_relu is supported")
        return Fmt(int(c["bits"]), int(c["integer"]), signed=False, rounding="RND_CONV",
                   saturation="SAT")
    if name == "quantized_bits":
        c = q.get_config()
        if not _alpha_ok(c.get("alpha")):
            raise FpgaError(f"layer {layer.name}: activation scale alpha={c.get('alpha')!r} is "
                            "not a power-of-two scale; use alpha=1")
        return Fmt(int(c["bits"]), int(c["integer"]) + 1, signed=True, rounding="RND_CONV",
                   saturation="SAT")
    raise FpgaError(f"layer {layer.name}: activation {name} is not supported; "
                    "use quantized_relu or quantized_bits")


def _inbound(layer) -> list:
    node = layer._inbound_nodes[0]
    layers = node.inbound_layers
    return [l.name for l in (layers if isinstance(layers, list) else [layers])]


def derive(model, input_bits: int = 8) -> dict:
    """Return ``{keras layer name: LayerFormats}`` for every layer, or raise FpgaError."""
    fmts: dict = {}
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in SUPPORTED:
            raise FpgaError(f"layer {layer.name} of type {kind} is not supported; supported: "
                            f"{', '.join(SUPPORTED)}")
        if kind == "InputLayer":
            fmts[layer.name] = LayerFormats(Fmt(input_bits, 0, signed=False))
            continue
        ins = [fmts[n].out for n in _inbound(layer)]
        x = ins[0]
        if kind == "QConv2D":
            if layer.get_config().get("activation") not in (None, "linear"):
                raise FpgaError(f"layer {layer.name}: put the activation in a QActivation layer")
            if layer.get_config().get("data_format", "channels_last") != "channels_last":
                raise FpgaError(f"layer {layer.name}: only channels_last is supported")
            if tuple(layer.get_config().get("dilation_rate", (1, 1))) != (1, 1):
                raise FpgaError(f"layer {layer.name}: dilated convolutions are not supported")
            if not layer.use_bias:
                raise FpgaError(f"layer {layer.name}: convolutions need a bias (use_bias=True)")
            w, b = quantizer_fmt(layer, "kernel"), quantizer_fmt(layer, "bias")
            kh, kw, cin, _ = layer.kernel.shape
            frac = x.frac + w.frac
            if b.frac > frac:
                raise FpgaError(f"layer {layer.name}: bias has more fractional bits ({b.frac}) "
                                f"than the accumulator ({frac})")
            width = x.width + w.width + math.ceil(math.log2(kh * kw * cin + 1)) + 1
            acc = Fmt(width, width - frac, signed=True)
            fmts[layer.name] = LayerFormats(acc, weight=w, bias=b, accum=acc)
        elif kind == "QActivation":
            fmts[layer.name] = LayerFormats(activation_fmt(layer))
        elif kind == "Concatenate":
            if len(set(ins)) != 1:
                raise FpgaError(f"layer {layer.name}: concatenated inputs have different formats")
            if layer.get_config().get("axis") not in (-1, 3):
                raise FpgaError(f"layer {layer.name}: only channel concatenation is supported")
            fmts[layer.name] = LayerFormats(x)
        elif kind == "Add":
            frac = max(f.frac for f in ins)
            integer = max(f.integer for f in ins) + 1
            signed = any(f.signed for f in ins)
            fmts[layer.name] = LayerFormats(Fmt(frac + integer, integer, signed=signed))
        elif kind == "MaxPooling2D":
            if layer.get_config()["padding"] != "valid":
                raise FpgaError(f"layer {layer.name}: max pooling needs padding='valid'")
            fmts[layer.name] = LayerFormats(x, accum=x)
        elif kind == "Dropout":
            fmts[layer.name] = LayerFormats(x)
        elif kind == "GlobalAveragePooling2D":
            h, w_, _ = layer.input_shape[1:]
            grow = math.ceil(math.log2(h * w_))
            frac = x.frac + GAP_EXTRA_FRAC
            acc = Fmt(x.integer + grow + frac, x.integer + grow, signed=x.signed)
            out = Fmt(x.integer + frac, x.integer, signed=x.signed)
            fmts[layer.name] = LayerFormats(out, accum=acc)
    return fmts
