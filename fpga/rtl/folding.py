"""Folding (PE x SIMD per conv) and the analytic cycle model of the streaming RTL.

A conv layer's MAC unit handles one output pixel in (Kh*Kw*Cin / SIMD) * (Cout / PE) cycles,
using PE*SIMD multipliers ("MAC lanes"); every other block moves one pixel a cycle. In a
streaming pipeline the slowest layer sets the initiation interval (II, cycles per frame).
Default folding: the smallest II whose layers, each at its cheapest (PE, SIMD) meeting that II,
fit the lane budget (the board's DSPs) — a balanced pipeline.
"""
from __future__ import annotations

from ..graph import Graph, Layer


def divisors(n: int) -> list:
    return [d for d in range(1, n + 1) if n % d == 0]


def window_len(layer: Layer) -> int:
    kh, kw, cin, _ = layer.weights.shape
    return kh * kw * cin


def conv_cycles(layer: Layer, pe: int, simd: int) -> int:
    h, w, cout = layer.out_shape
    return h * w * (window_len(layer) // simd) * (cout // pe)


def layer_cycles(graph: Graph, layer: Layer) -> int:
    if layer.kind == "conv":
        return conv_cycles(layer, layer.fold["pe"], layer.fold["simd"])
    if layer.kind == "input":
        h, w, _ = layer.out_shape
        return h * w
    h, w, _ = graph.in_shape(layer)
    return h * w  # one input pixel a cycle


def model_ii(graph: Graph) -> int:
    return max(layer_cycles(graph, l) for l in graph.layers)


def mac_lanes(graph: Graph) -> int:
    return sum(l.fold["pe"] * l.fold["simd"] for l in graph.layers if l.kind == "conv")


def _options(layer: Layer) -> list:
    """(lanes, cycles, pe, simd) for every legal folding, cheapest first."""
    opts = [(pe * simd, conv_cycles(layer, pe, simd), pe, simd)
            for pe in divisors(layer.out_shape[2]) for simd in divisors(window_len(layer))]
    return sorted(opts)


def _cheapest_meeting(options, target):
    for lanes, cycles, pe, simd in options:
        if cycles <= target:
            return lanes, pe, simd
    lanes, _, pe, simd = min(options, key=lambda o: (o[1], o[0]))
    return lanes, pe, simd


def choose_folding(graph: Graph, lane_budget: int) -> int:
    """Set ``fold`` on every conv of ``graph``; returns the analytic II."""
    convs = [l for l in graph.layers if l.kind == "conv"]
    floor = max((layer_cycles(graph, l) for l in graph.layers if l.kind != "conv"), default=1)
    options = {l.name: _options(l) for l in convs}
    targets = sorted({c for opts in options.values() for _, c, _, _ in opts if c >= floor} | {floor})

    def assign(target):
        return {l.name: _cheapest_meeting(options[l.name], target) for l in convs}

    chosen = assign(targets[-1])
    lo, hi = 0, len(targets) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        pick = assign(targets[mid])
        if sum(p[0] for p in pick.values()) <= lane_budget:
            chosen, hi = pick, mid - 1
        else:
            lo = mid + 1
    for l in convs:
        _, pe, simd = chosen[l.name]
        l.fold = {"pe": pe, "simd": simd}
    return model_ii(graph)
