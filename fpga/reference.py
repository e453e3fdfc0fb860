"""Bit-exact numpy execution of the IR: the oracle for C-sim, RTL and board.

Integer arithmetic per fpga/fixed.py. Convolutions multiply in float64 through BLAS, which is
exact here: every product and partial sum is an integer below 2**53 (checked).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .errors import FpgaError
from .fixed import align, requantize
from .graph import Graph, Layer

EXACT_LIMIT = 2 ** 52


def _windows(x, kh, kw, sh, sw):
    """(N, H, W, C) -> (N, Ho, Wo, kh, kw, C) views, valid positions only."""
    v = sliding_window_view(x, (kh, kw), axis=(1, 2))  # N, Ho', Wo', C, kh, kw
    return v[:, ::sh, ::sw].transpose(0, 1, 2, 4, 5, 3)


def conv(graph: Graph, layer: Layer, x):
    top, bottom, left, right = layer.pad
    x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kh, kw, cin, cout = layer.weights.shape
    win = _windows(x, kh, kw, *layer.stride)
    n, ho, wo = win.shape[:3]
    bound = np.abs(x).max(initial=0) * np.abs(layer.weights).reshape(-1, cout).sum(0).max(initial=0)
    if bound >= EXACT_LIMIT:
        raise FpgaError(f"{layer.name}: accumulator exceeds the exact float64 range")
    cols = win.reshape(n * ho * wo, kh * kw * cin).astype(np.float64)
    acc = (cols @ layer.weights.reshape(-1, cout).astype(np.float64)).astype(np.int64)
    acc += align(layer.bias, layer.b_fmt.frac, layer.acc_frac)
    out = requantize(acc, layer.acc_frac, layer.out_fmt, relu=layer.relu)
    return out.reshape(n, ho, wo, cout)


def maxpool(graph: Graph, layer: Layer, x):
    return _windows(x, *layer.pool, *layer.stride).max(axis=(3, 4))


def concat(graph: Graph, layer: Layer, *xs):
    return np.concatenate(xs, axis=-1)


def add(graph: Graph, layer: Layer, a, b):
    fa, fb = graph.in_fmt(layer, 0).frac, graph.in_fmt(layer, 1).frac
    acc = align(a, fa, layer.acc_frac) + align(b, fb, layer.acc_frac)
    return requantize(acc, layer.acc_frac, layer.out_fmt, relu=layer.relu)


def gap(graph: Graph, layer: Layer, x):
    n, h, w, c = x.shape
    total = align(x.sum(axis=(1, 2)), graph.in_fmt(layer).frac, layer.acc_frac)
    quotient = np.sign(total) * (np.abs(total) // (h * w))  # C++ division: toward zero
    return requantize(quotient, layer.acc_frac, layer.out_fmt).reshape(n, 1, 1, c)


OPS = {"conv": conv, "maxpool": maxpool, "concat": concat, "add": add, "gap": gap}


def check_input(graph: Graph, x) -> np.ndarray:
    """Inputs are raw integers of the input format, shaped (N, H, W, C) or (H, W, C)."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.integer):
        raise FpgaError(f"inputs must be integers of {graph.input.out_fmt.hls()} "
                        f"(raw values), got dtype {x.dtype}")
    if x.shape == tuple(graph.input.out_shape):
        x = x[None]
    if x.ndim != 4 or x.shape[1:] != tuple(graph.input.out_shape):
        raise FpgaError(f"inputs must have shape (N, {', '.join(map(str, graph.input.out_shape))}),"
                        f" got {x.shape}")
    fmt = graph.input.out_fmt
    if x.size and (x.min() < fmt.raw_min or x.max() > fmt.raw_max):
        raise FpgaError(f"input values must lie in [{fmt.raw_min}, {fmt.raw_max}] "
                        f"({fmt.hls()} raw), got [{x.min()}, {x.max()}]")
    return x.astype(np.int64)


def run(graph: Graph, x, keep_all: bool = False):
    """Execute the graph on raw integer inputs. Returns (N, classes) raw outputs, or with
    ``keep_all`` a dict of every layer's (N, H, W, C) raw tensor."""
    tensors = {graph.input.name: check_input(graph, x)}
    for layer in graph.layers[1:]:
        tensors[layer.name] = OPS[layer.kind](graph, layer, *(tensors[i] for i in layer.inputs))
        if not keep_all:  # free tensors nobody reads any more
            for i in layer.inputs:
                if all(c.name in tensors for c in graph.consumers(i)):
                    tensors.pop(i, None)
    if keep_all:
        return tensors
    out = tensors[graph.output.name]
    return out.reshape(out.shape[0], -1)
