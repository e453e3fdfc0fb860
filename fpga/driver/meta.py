"""accel.json: what the board driver needs to know about the accelerator's streams.

Written by ``fpga build`` next to the scripts (from the IR) and copied to the board by
``fpga flash --pynq``; ``pynq_driver.py`` reads it. Plain JSON, no numpy types.
"""
from __future__ import annotations

import json
from pathlib import Path

from .. import beats

DMA_NAME = "axi_dma"   # the DMA cell in the block design (vivado.tcl) = Overlay attribute
WEIGHTS_FILE = "weights.npz"   # next to accel.json on the board (--weights load)
CTRL_NAME = "accel"    # the accelerator cell: its s_axi_ctrl registers = Overlay attribute


def accel_meta(graph, name: str, in_tdata_bits: int, build_id: int | None = None,
               weight_load: dict | None = None) -> dict:
    """``build_id``: the open RTL's (rtl.json), whose control registers the driver then checks;
    None for the HLS IP, which has none. ``weight_load``: rtl.json "weight_load" of an RTL with
    the weight-load port: the driver then loads weights.npz (copied next to accel.json) through
    it at start-up (beats.weight_image)."""
    inp, out = graph.input, graph.output
    h, w, c = (int(v) for v in inp.out_shape)
    classes = 1
    for v in out.out_shape:
        classes *= int(v)
    return {
        "name": name,
        "bitfile": f"{name}.bit",
        "dma": DMA_NAME,
        "height": h, "width": w, "channels": c,
        "in_width": int(inp.out_fmt.width), "in_signed": bool(inp.out_fmt.signed),
        "in_tdata_bits": int(in_tdata_bits),
        "classes": classes,
        "out_width": int(out.out_fmt.width), "out_signed": bool(out.out_fmt.signed),
        "out_tdata_bits": beats.OUT_TDATA_BITS,
        "build_id": build_id, "ctrl": CTRL_NAME if build_id is not None else None,
        "weights": "load" if weight_load else "bitstream",
        **({"weight_load": {"layers": weight_load["layers"],
                            "image_words": weight_load["image_words"],
                            "weights_file": WEIGHTS_FILE}} if weight_load else {}),
    }


def meta_json(meta: dict) -> str:
    return json.dumps(meta, indent=1) + "\n"


def load_meta(path) -> dict:
    return json.loads(Path(path).read_text())
