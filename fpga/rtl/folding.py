"""Folding (PE x SIMD per conv) and the analytic cycle model of the streaming RTL.

A conv layer's MAC unit handles one output pixel in (Kh*Kw*Cin / SIMD) * (Cout / PE) cycles,
using PE*SIMD multipliers ("MAC lanes"). Max-pool and global-average blocks are
channel-serial: ``fold = {"lanes": L}`` channels a cycle, so C/L cycles per input pixel
(their logic scales with L, not C). Other blocks move one pixel a cycle. In a streaming
pipeline the slowest layer sets the initiation interval (II, cycles per frame).
Default folding: the smallest II whose layers, each at its cheapest (PE, SIMD) meeting that II,
fit the lane budget (the board's DSPs) — a balanced pipeline. Then every pool gets the fewest
channel lanes that keep it at or below SERIAL_LOAD x II, so it never sets the pace (the slack
absorbs the bursts of the layers around it).
"""
from __future__ import annotations

from ..graph import Graph, Layer
from . import blocks


def divisors(n: int) -> list:
    return [d for d in range(1, n + 1) if n % d == 0]


def window_len(layer: Layer) -> int:
    kh, kw, cin, _ = layer.weights.shape
    return kh * kw * cin


def conv_cycles(layer: Layer, pe: int, simd: int) -> int:
    """Cycles the MAC unit needs for a frame (its compute alone)."""
    h, w, cout = layer.out_shape
    return h * w * (window_len(layer) // simd) * (cout // pe)


def needs_window(layer: Layer) -> bool:
    """A 1x1, stride-1, unpadded conv reads pixels directly; others need a window block."""
    return layer.kernel != (1, 1) or layer.stride != (1, 1) or any(layer.pad)


def window_cycles(in_shape, out_shape, kernel, stride, pad) -> int:
    """The window block emits one kernel column a cycle, output rows back to back
    (blocks.window_frame_cycles)."""
    return blocks.window_frame_cycles(in_shape[0], in_shape[1], kernel, stride, pad)


SERIAL_LOAD = 0.5
SERIAL_KINDS = ("maxpool", "gap")


def serial_cycles(graph: Graph, layer: Layer, lanes: int) -> int:
    """Cycles per frame of a channel-serial block: C/lanes cycles per input pixel (gap: at
    least its pipeline latency per frame on tiny maps, blocks.gap_frame_cycles)."""
    h, w, c = graph.in_shape(layer)
    nch = c // lanes
    if layer.kind == "gap":
        return blocks.gap_frame_cycles(h, w, nch, gap_divider_stages(graph, layer))
    return h * w * nch


def gap_divider_stages(graph: Graph, layer: Layer) -> int:
    """Stages of gap.v's pipelined divider (blocks.gap_divider_stages; EXTRA = acc frac - in
    frac)."""
    fin = graph.in_fmt(layer)
    return blocks.gap_divider_stages(fin.width, layer.acc_frac - fin.frac)


def channel_lanes(layer: Layer) -> int:
    """Channels a cycle of a max-pool / average block (all of them when not folded)."""
    return int(layer.fold.get("lanes", layer.out_shape[2]))


def pool_out_fifo(layer: Layer) -> int:
    """Output FIFO of a max-pool block: one output row, the burst a pool row ends in
    (blocks.maxpool_out_fifo)."""
    return blocks.maxpool_out_fifo(layer.out_shape[1])


def set_serial_lanes(graph: Graph) -> None:
    """Fold every max-pool / average to the fewest channel lanes that keep it within
    SERIAL_LOAD x the II the other layers set (the convs must be folded already)."""
    serial = [l for l in graph.layers if l.kind in SERIAL_KINDS]
    for layer in serial:
        layer.fold = {}
    ii = model_ii(graph)
    for layer in serial:
            c = graph.in_shape(layer)[2]
            ok = [d for d in divisors(c) if serial_cycles(graph, layer, d) <= SERIAL_LOAD * ii]
            layer.fold = {"lanes": min(ok) if ok else c}


def layer_cycles(graph: Graph, layer: Layer) -> int:
    """Cycles a layer needs per frame when nothing else holds it up."""
    if layer.kind == "input":
        h, w, _ = layer.out_shape
        return h * w
    h, w, _ = graph.in_shape(layer)
    pixels = h * w  # every block reads at most one input pixel a cycle
    if layer.kind == "conv":
        cycles = max(pixels, conv_cycles(layer, layer.fold["pe"], layer.fold["simd"]))
        if needs_window(layer):
            cycles = max(cycles, window_cycles(graph.in_shape(layer), layer.out_shape,
                                               layer.kernel, layer.stride, layer.pad))
        return cycles
    if layer.kind in SERIAL_KINDS:
        return serial_cycles(graph, layer, channel_lanes(layer))
    return pixels


def model_ii(graph: Graph) -> int:
    return max(layer_cycles(graph, l) for l in graph.layers)


def mac_lanes(graph: Graph) -> int:
    return sum(l.fold["pe"] * l.fold["simd"] for l in graph.layers if l.kind == "conv")


def _options(layer: Layer) -> list:
    """(lanes, cycles, pe, simd) for every legal folding, cheapest first."""
    opts = [(pe * simd, conv_cycles(layer, pe, simd), pe, simd)
            for pe in divisors(layer.out_shape[2]) for simd in divisors(window_len(layer))]
    return sorted(opts)


def _cheapest_meeting(options, target, tiebreak=None):
    """(lanes, pe, simd) of the fewest-lane option within ``target`` cycles (ties: the first,
    or the smallest ``tiebreak(pe, simd)``); the fastest option when none is."""
    meeting = [o for o in options if o[1] <= target]
    if not meeting:
        lanes, _, pe, simd = min(options, key=lambda o: (o[1], o[0]))
        return lanes, pe, simd
    if tiebreak is not None:
        fewest = meeting[0][0]
        meeting = sorted((o for o in meeting if o[0] == fewest),
                         key=lambda o: (tiebreak(o[2], o[3]), o))
    lanes, _, pe, simd = meeting[0]
    return lanes, pe, simd


def _unfolded(graph: Graph) -> tuple:
    """Every conv at full parallelism, the serial blocks unfolded: (convs, floor, options),
    ``floor`` the smallest II any folding reaches (input pixels, windows, the serial blocks)."""
    convs = [l for l in graph.layers if l.kind == "conv"]
    for l in graph.layers:
        if l.kind in SERIAL_KINDS:
            l.fold = {}                      # all channels at once while the convs are folded
    floor = max((layer_cycles(graph, l) for l in graph.layers if l.kind != "conv"), default=1)
    for l in convs:  # a conv is never faster than its input pixels or its window block
        l.fold = {"pe": l.out_shape[2], "simd": window_len(l)}
        floor = max(floor, layer_cycles(graph, l))
    return convs, floor, {l.name: _options(l) for l in convs}


def _set_folds(graph: Graph, convs: list, chosen: dict) -> int:
    for l in convs:
        _, pe, simd = chosen[l.name]
        l.fold = {"pe": pe, "simd": simd}
    set_serial_lanes(graph)
    return model_ii(graph)


def choose_folding(graph: Graph, lane_budget: int) -> int:
    """Set ``fold`` on every conv of ``graph``; returns the analytic II."""
    convs, floor, options = _unfolded(graph)
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
    return _set_folds(graph, convs, chosen)


def fold_for_ii(graph: Graph, target_ii: int, tiebreak=None) -> tuple:
    """Set the cheapest folding whose II is at most ``target_ii``: every conv at the fewest MAC
    lanes that meet it (ties: the smallest ``tiebreak(layer, pe, simd)``, e.g. block RAM).
    Returns (II, floor); II > target_ii when the target is below the floor no folding beats
    (the convs then run at full parallelism)."""
    convs, floor, options = _unfolded(graph)
    chosen = {l.name: _cheapest_meeting(
                  options[l.name], target_ii,
                  None if tiebreak is None else (lambda pe, simd, l=l: tiebreak(l, pe, simd)))
              for l in convs}
    return _set_folds(graph, convs, chosen), floor
