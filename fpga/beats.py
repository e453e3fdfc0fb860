"""AXI4-Stream beat format of the accelerator, shared by testbenches and the board driver.

Input  (slave, ``s_axis``): one pixel per beat, raster order (row by row, left to right).
       Channel ``c`` of the pixel sits in bits ``[c*W, (c+1)*W)`` of ``tdata`` (LSB-first),
       where ``W`` is the input format's width; values are the format's raw integers in
       two's complement (or plain binary when unsigned). ``tdata`` is padded with zeros to
       ``in_tdata_bits``: the next power of two >= 32 bits, so an AXI DMA can feed it.
       ``tlast`` is high on the last pixel of a frame.
Output (master, ``m_axis``): one class score per beat, class 0 first, as the output format's
       raw integer sign-extended to 32 bits; ``tlast`` is high on the last class.
Bytes on the bus (what a DMA moves) are little-endian, ``tdata_bits // 8`` bytes a beat.

Control (AXI4-Lite slave, ``s_axi_ctrl``, open RTL only): 32-bit registers at the byte offsets
of ``CTRL_REGS`` (fpga/rtl/verilog/ctrl_regs.v implements them, the board driver reads them):
BUILD_ID (the model hash, rtl.json "build_id"), STATUS (``STATUS_TLAST_ERR``,
``STATUS_WEIGHTS_READY``, ``STATUS_SOFT_RESET``), FRAMES_IN, FRAMES_OUT, TLAST_ERRS (16-bit,
saturating), CONTROL (write ``CONTROL_SOFT_RESET`` to hold the datapath in reset for
``CTRL_SOFT_CYCLES`` cycles, clearing a misframed stream and the tlast error state;
``CONTROL_CLEAR_COUNTS`` zeroes the frame counters) and MAP_VERSION (``CTRL_MAP_VERSION``).
"""
from __future__ import annotations

import numpy as np

OUT_TDATA_BITS = 32

CTRL_REGS = {"build_id": 0x00, "status": 0x04, "frames_in": 0x08, "frames_out": 0x0C,
             "tlast_errs": 0x10, "control": 0x14, "map_version": 0x18}
STATUS_TLAST_ERR, STATUS_WEIGHTS_READY, STATUS_SOFT_RESET = 1, 2, 4
CONTROL_SOFT_RESET, CONTROL_CLEAR_COUNTS = 1, 2
CTRL_SOFT_CYCLES = 16
CTRL_MAP_VERSION = 1
CTRL_ADDR_BITS = 6


def in_tdata_bits(channels: int, width: int) -> int:
    bits = 32
    while bits < channels * width:
        bits *= 2
    return bits


def pack_pixels(frame, width: int) -> list[int]:
    """(H, W, C) raw integers -> one int per beat (the tdata value)."""
    frame = np.asarray(frame, dtype=np.int64)
    h, w, c = frame.shape
    mask = (1 << width) - 1
    pixels = frame.reshape(h * w, c) & mask
    beats = []
    for px in pixels.tolist():
        word = 0
        for ch, v in enumerate(px):
            word |= v << (ch * width)
        beats.append(word)
    return beats


def beats_to_bytes(beats, tdata_bits: int) -> bytes:
    n = tdata_bits // 8
    return b"".join(int(b).to_bytes(n, "little") for b in beats)


def bytes_to_beats(data: bytes, tdata_bits: int) -> list[int]:
    n = tdata_bits // 8
    if len(data) % n:
        raise ValueError(f"{len(data)} bytes is not a whole number of {n}-byte beats")
    return [int.from_bytes(data[i:i + n], "little") for i in range(0, len(data), n)]


def pack_frame_bytes(frame, width: int, channels: int) -> bytes:
    return beats_to_bytes(pack_pixels(frame, width), in_tdata_bits(channels, width))


def unpack_scores(beats, out_width: int, signed: bool) -> np.ndarray:
    """Output beats (ints, 32-bit) -> raw integers of the output format."""
    vals = np.asarray([int(b) & ((1 << out_width) - 1) for b in beats], dtype=np.int64)
    if signed:
        vals = np.where(vals >= (1 << (out_width - 1)), vals - (1 << out_width), vals)
    return vals


def unpack_scores_bytes(data: bytes, out_width: int, signed: bool) -> np.ndarray:
    return unpack_scores(bytes_to_beats(data, OUT_TDATA_BITS), out_width, signed)


def score_beat(raw: int) -> int:
    """A raw output integer as the 32-bit tdata the RTL drives (sign-extended)."""
    return int(raw) & 0xFFFFFFFF
