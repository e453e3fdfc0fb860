"""SqueezeNet builders in QKeras (v1.0, v1.1, simple bypass, and a small 32x32 variant).

Topologies follow the original Caffe definitions (and torchvision): Fire(squeeze, expand1x1,
expand3x3) with ReLU after every convolution, 3x3 stride-2 max pools, dropout before conv10,
conv10 1x1 to the classes + ReLU, global average pool; softmax is left to the host.
Quantisation: weights and biases ``quantized_bits(w_bits, 0, alpha=1)`` (power-of-two scale),
activations ``quantized_relu(a_bits, a_int)``; the input is unsigned a_bits with no integer
bits (pixels / 256), so every tensor is an exact fixed-point value.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

# Fire module sizes (squeeze, expand1x1 == expand3x3) from the SqueezeNet paper.
FIRE = {2: (16, 64), 3: (16, 64), 4: (32, 128), 5: (32, 128),
        6: (48, 192), 7: (48, 192), 8: (64, 256), 9: (64, 256)}

# conv1 (filters, kernel, stride) and the sequence after it: "P" = 3x3/2 max pool, n = fire n.
ARCHS = {
    "squeezenet1_0": dict(conv1=(96, 7, 2), body=["P", 2, 3, 4, "P", 5, 6, 7, 8, "P", 9]),
    "squeezenet1_1": dict(conv1=(64, 3, 2), body=["P", 2, 3, "P", 4, 5, "P", 6, 7, 8, 9]),
    # Small variant for 32x32 inputs: v1.1 up to fire5, conv1 at stride 1 so that the
    # 3x3/2 pools leave a 2x2 map for conv10 (32 -> 30 -> 14 -> 6 -> 2).
    "squeezenet_mini": dict(conv1=(64, 3, 1), body=["P", 2, 3, "P", 4, 5, "P"]),
}
BYPASS_FIRES = (3, 5, 7, 9)  # simple bypass of the paper: input and output widths match


@dataclass
class SqueezeNetSpec:
    arch: str = "squeezenet1_1"
    input_size: int = 224
    channels: int = 3
    classes: int = 1000
    width: float = 1.0
    bypass: bool = False
    w_bits: int = 8
    a_bits: int = 8
    a_int: int = 3          # integer bits of activations (ufixed<a_bits, a_int>)
    dropout: float = 0.5

    def to_dict(self):
        return asdict(self)

    def default_name(self) -> str:
        name = self.arch + ("_bypass" if self.bypass else "")
        name += f"_{self.input_size}px_{self.classes}c"
        if self.width != 1.0:
            name += f"_w{self.width:g}"
        return name


def _scaled(n: int, width: float) -> int:
    return max(1, int(round(n * width)))


def validate(spec: SqueezeNetSpec) -> None:
    from .errors import FpgaError
    if spec.arch not in ARCHS:
        raise FpgaError(f"unknown architecture {spec.arch!r}; known: {', '.join(ARCHS)}")
    if not 0 < spec.width <= 4:
        raise FpgaError(f"width multiplier must be in (0, 4], got {spec.width}")
    if not 2 <= spec.w_bits <= 16 or not 2 <= spec.a_bits <= 16:
        raise FpgaError("weight and activation bits must be between 2 and 16")
    if not 0 <= spec.a_int < spec.a_bits:
        raise FpgaError("activation integer bits must be in [0, a_bits)")
    if spec.classes < 1 or spec.channels < 1:
        raise FpgaError("classes and channels must be >= 1")
    size = spec.input_size
    _, k, s = ARCHS[spec.arch]["conv1"]
    size = (size - k) // s + 1
    for item in ARCHS[spec.arch]["body"]:
        if item == "P":
            size = (size - 3) // 2 + 1
        if size < 1:
            raise FpgaError(f"input size {spec.input_size} is too small for {spec.arch}")


def build(spec: SqueezeNetSpec, name: str | None = None, seed: int | None = None):
    """Return an (untrained) QKeras model for ``spec``."""
    import tensorflow as tf
    from qkeras import QActivation, QConv2D
    from tensorflow.keras import layers

    validate(spec)
    if seed is not None:
        tf.keras.utils.set_random_seed(seed)
    wq = f"quantized_bits({spec.w_bits},0,alpha=1)"
    aq = f"quantized_relu({spec.a_bits},{spec.a_int})"

    def conv(x, filters, k, stride, pad, lname):
        x = QConv2D(filters, k, strides=stride, padding=pad, kernel_quantizer=wq,
                    bias_quantizer=wq, kernel_initializer="he_uniform", name=lname)(x)
        return QActivation(aq, name=lname + "_relu")(x)

    def fire(x, n):
        sq, ex = (_scaled(c, spec.width) for c in FIRE[n])
        s = conv(x, sq, 1, 1, "valid", f"fire{n}_squeeze")
        e1 = conv(s, ex, 1, 1, "valid", f"fire{n}_expand1x1")
        e3 = conv(s, ex, 3, 1, "same", f"fire{n}_expand3x3")
        y = layers.Concatenate(axis=-1, name=f"fire{n}_concat")([e1, e3])
        if spec.bypass and n in BYPASS_FIRES:
            y = layers.Add(name=f"fire{n}_bypass")([x, y])
            # re-quantise the sum back to the activation format (keeps every tensor a_bits)
            y = QActivation(aq, name=f"fire{n}_bypass_relu")(y)
        return y

    arch = ARCHS[spec.arch]
    inp = layers.Input((spec.input_size, spec.input_size, spec.channels), name="image")
    f1, k1, s1 = arch["conv1"]
    x = conv(inp, _scaled(f1, spec.width), k1, s1, "valid", "conv1")
    pools = 0
    for item in arch["body"]:
        if item == "P":
            pools += 1
            x = layers.MaxPooling2D(3, 2, padding="valid", name=f"pool{pools}")(x)
        else:
            x = fire(x, item)
    x = layers.Dropout(spec.dropout, name="dropout")(x)
    x = conv(x, spec.classes, 1, 1, "valid", "conv10")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return tf.keras.Model(inp, x, name=name or spec.default_name())
