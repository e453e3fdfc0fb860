"""The IR: the one structure every stage shares (reference, RTL generator, fit check, scripts).

Built once from hls4ml's converted ModelGraph (``fpga.hls.to_ir``), saved in a project as
``ir.json`` (structure, formats) + ``weights.npz`` (integer weights and biases).

Tensors are (H, W, C), channels-last, raw integers of the layer's ``out_fmt``.
Layer kinds and their fields:
  input    out_fmt
  conv     kernel (kh, kw), stride (sh, sw), pad (top, bottom, left, right), weights
           (kh, kw, cin, cout) raw ints of w_fmt, bias (cout,) raw ints of b_fmt,
           acc_frac = in.frac + w.frac (exact accumulator), relu, out_fmt, reuse (hls4ml),
           fold {"pe", "simd"} (RTL conv), {"lanes"} (RTL max-pool / average: channels a cycle)
  maxpool  pool (ph, pw), stride (sh, sw), pad (zero here; valid pooling), out_fmt == in fmt
  concat   channels of inputs[0] then inputs[1]; all inputs share out_fmt
  add      acc_frac = max input frac; out = requantize(sum aligned to acc_frac, relu)
  gap      global average as hls4ml computes it: the sum is held with acc_frac fractional
           bits, divided by H*W toward zero at that precision, then requantized to out_fmt:
           out = requantize(trunc((sum(x_raw) << (acc_frac - in.frac)) / (H*W)), acc_frac)
A layer with several consumers is a fork; the RTL generator inserts the fork block.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .fixed import Fmt

KINDS = ("input", "conv", "maxpool", "concat", "add", "gap")


@dataclass
class Layer:
    name: str
    kind: str
    inputs: list
    out_shape: tuple
    out_fmt: Fmt
    kernel: tuple = (1, 1)
    stride: tuple = (1, 1)
    pad: tuple = (0, 0, 0, 0)
    pool: tuple = (1, 1)
    relu: bool = False
    acc_frac: int = 0
    w_fmt: Fmt | None = None
    b_fmt: Fmt | None = None
    reuse: int = 1
    fold: dict = field(default_factory=dict)
    weights: np.ndarray | None = field(default=None, repr=False)
    bias: np.ndarray | None = field(default=None, repr=False)

    @property
    def macs(self) -> int:
        if self.kind != "conv":
            return 0
        h, w, cout = self.out_shape
        kh, kw, cin, _ = self.weights.shape
        return h * w * kh * kw * cin * cout

    @property
    def params(self) -> int:
        if self.kind != "conv":
            return 0
        return int(self.weights.size + self.bias.size)

    @property
    def weight_bits(self) -> int:
        if self.kind != "conv":
            return 0
        return int(self.weights.size * self.w_fmt.width + self.bias.size * self.b_fmt.width)

    def to_dict(self) -> dict:
        d = {"name": self.name, "kind": self.kind, "inputs": list(self.inputs),
             "out_shape": list(self.out_shape), "out_fmt": self.out_fmt.to_dict()}
        if self.kind == "conv":
            d.update(kernel=list(self.kernel), stride=list(self.stride), pad=list(self.pad),
                     relu=self.relu, acc_frac=self.acc_frac, w_fmt=self.w_fmt.to_dict(),
                     b_fmt=self.b_fmt.to_dict(), reuse=self.reuse, fold=dict(self.fold))
        elif self.kind == "maxpool":
            d.update(pool=list(self.pool), stride=list(self.stride), pad=list(self.pad))
        elif self.kind in ("add", "gap"):
            d.update(relu=self.relu, acc_frac=self.acc_frac)
        return d

    @classmethod
    def from_dict(cls, d: dict, arrays=None) -> "Layer":
        d = dict(d)
        for k in ("out_shape", "kernel", "stride", "pad", "pool"):
            if k in d:
                d[k] = tuple(d[k])
        for k in ("out_fmt", "w_fmt", "b_fmt"):
            if k in d:
                d[k] = Fmt.from_dict(d[k])
        layer = cls(**d)
        if layer.kind == "conv" and arrays is not None:
            layer.weights = arrays[f"{layer.name}/w"]
            layer.bias = arrays[f"{layer.name}/b"]
        return layer


@dataclass
class Graph:
    name: str
    layers: list

    def __post_init__(self):
        self._by_name = {l.name: l for l in self.layers}

    def __getitem__(self, name) -> Layer:
        return self._by_name[name]

    @property
    def input(self) -> Layer:
        return self.layers[0]

    @property
    def output(self) -> Layer:
        return self.layers[-1]

    def consumers(self, name) -> list:
        return [l for l in self.layers if name in l.inputs]

    def in_fmt(self, layer: Layer, i: int = 0) -> Fmt:
        return self[layer.inputs[i]].out_fmt

    def in_shape(self, layer: Layer, i: int = 0) -> tuple:
        return self[layer.inputs[i]].out_shape

    @property
    def macs(self) -> int:
        return sum(l.macs for l in self.layers)

    @property
    def params(self) -> int:
        return sum(l.params for l in self.layers)

    @property
    def weight_bits(self) -> int:
        return sum(l.weight_bits for l in self.layers)

    def save(self, folder) -> None:
        folder = Path(folder)
        (folder / "ir.json").write_text(json.dumps(
            {"name": self.name, "layers": [l.to_dict() for l in self.layers]}, indent=1) + "\n")
        arrays = {}
        for l in self.layers:
            if l.kind == "conv":
                arrays[f"{l.name}/w"] = l.weights
                arrays[f"{l.name}/b"] = l.bias
        np.savez(folder / "weights.npz", **arrays)

    @classmethod
    def load(cls, folder) -> "Graph":
        folder = Path(folder)
        d = json.loads((folder / "ir.json").read_text())
        with np.load(folder / "weights.npz") as arrays:
            arrays = {k: arrays[k] for k in arrays.files}
        return cls(d["name"], [Layer.from_dict(x, arrays) for x in d["layers"]])
