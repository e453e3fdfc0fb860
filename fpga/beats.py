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

Weight image (``fpga rtl --weights load``: the weight-load port, through WLOAD_DATA): 32-bit
words ``WEIGHT_MAGIC``, the build ID, ``n`` (payload words), ``n`` payload words, and the sum of
the payload words mod 2**32. The payload is every mac of the RTL in ``rtl.json`` order
("weight_load" "layers"), each as its bias memory's words then its weight banks' (PE order),
each memory word (``mac_bias_words`` / ``mac_weight_words``: the very layout of the ``.mem``
files) split into ``ceil(bits / 32)`` 32-bit words, least significant first. Write
``CONTROL_WEIGHT_LOAD`` to CONTROL, then every word to WLOAD_DATA; STATUS then shows
``STATUS_WEIGHTS_READY`` (or ``STATUS_WEIGHT_ERR``). ``weight_image`` builds it.
"""
from __future__ import annotations

import numpy as np

OUT_TDATA_BITS = 32

CTRL_REGS = {"build_id": 0x00, "status": 0x04, "frames_in": 0x08, "frames_out": 0x0C,
             "tlast_errs": 0x10, "control": 0x14, "map_version": 0x18, "wload_data": 0x1C,
             "wload_count": 0x20, "wload_words": 0x24}
STATUS_TLAST_ERR, STATUS_WEIGHTS_READY, STATUS_SOFT_RESET = 1, 2, 4
STATUS_WEIGHT_ERR, STATUS_WEIGHT_LOADING = 8, 16
CONTROL_SOFT_RESET, CONTROL_CLEAR_COUNTS, CONTROL_WEIGHT_LOAD = 1, 2, 4
CTRL_SOFT_CYCLES = 16
CTRL_MAP_VERSION = 2
CTRL_ADDR_BITS = 6
WEIGHT_MAGIC = 0x31574C46   # "FLW1" as little-endian bytes


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


# ---- weights: the mac memories' words (the .mem files) and the load port's image -----------

def _check_range(values: np.ndarray, bits: int, what: str) -> None:
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if values.size and (values.min() < lo or values.max() > hi):
        raise ValueError(f"{what} outside signed {bits}-bit range [{lo}, {hi}]")


def _pack(fields, bits: int) -> int:
    mask = (1 << bits) - 1
    word = 0
    for i, v in enumerate(fields):
        word |= (int(v) & mask) << (i * bits)
    return word


def mac_weight_words(weights_kkcc, pe: int, simd: int, w_bits: int) -> list[list[int]]:
    """The words of each PE bank of a mac (list per PE): ``NF*SF`` words of ``simd*w_bits``
    bits, word ``nf*SF + sf`` field ``s`` = ``w[k = sf*simd + s][o = nf*pe + p]`` with
    ``k = (ky*kw + kx)*cin + c`` (fpga/rtl/verilog/mac.v)."""
    w = np.asarray(weights_kkcc, dtype=np.int64)
    if w.ndim != 4:
        raise ValueError(f"weights must be (kh, kw, cin, cout), got shape {w.shape}")
    kh, kw, cin, cout = w.shape
    k = kh * kw * cin
    if cout % pe or k % simd:
        raise ValueError(f"folding pe={pe}, simd={simd} must divide cout={cout}, K={k}")
    _check_range(w, w_bits, "weight")
    w2 = w.reshape(k, cout)
    nf, sf = cout // pe, k // simd
    return [[_pack(w2[c * simd:(c + 1) * simd, f * pe + p], w_bits)
             for f in range(nf) for c in range(sf)] for p in range(pe)]


def mac_bias_words(bias, pe: int, b_bits: int) -> list[int]:
    """A mac's bias memory: ``NF`` words of ``pe*b_bits`` bits, word ``nf`` field ``p`` =
    ``bias[nf*pe + p]``."""
    b = np.asarray(bias, dtype=np.int64).ravel()
    if b.size % pe:
        raise ValueError(f"pe={pe} must divide cout={b.size}")
    _check_range(b, b_bits, "bias")
    return [_pack(b[f * pe:(f + 1) * pe], b_bits) for f in range(b.size // pe)]


def _split32(words, bits: int) -> list[int]:
    n = (bits + 31) // 32
    return [(int(w) >> (32 * i)) & 0xFFFFFFFF for w in words for i in range(n)]


def mac_load_words(weights_kkcc, bias, pe: int, simd: int, w_bits: int, b_bits: int) -> list[int]:
    """One mac's part of the weight image payload (fpga/rtl/verilog/wload.v)."""
    out = _split32(mac_bias_words(bias, pe, b_bits), pe * b_bits)
    for bank in mac_weight_words(weights_kkcc, pe, simd, w_bits):
        out += _split32(bank, simd * w_bits)
    return out


def mac_load_size(shape, pe: int, simd: int, w_bits: int, b_bits: int) -> int:
    """Payload words of one mac (as wload.v's WORDS), from the weights' (kh, kw, cin, cout)."""
    kh, kw, cin, cout = shape
    nf, steps = cout // pe, cout // pe * (kh * kw * cin // simd)
    return nf * ((pe * b_bits + 31) // 32) + pe * steps * ((simd * w_bits + 31) // 32)


def weight_image(layers, arrays, build_id: int) -> np.ndarray:
    """The load port's image as uint32 words. ``layers``: rtl.json "weight_load" "layers" (name,
    shape, pe, simd, w_bits, b_bits, in order); ``arrays``: ``{name + "/w": (kh, kw, cin, cout)
    ints, name + "/b": (cout,) ints}`` (a weights.npz). ValueError when a shape or a value does
    not fit the RTL."""
    payload = []
    for lay in layers:
        name = lay["name"]
        w, b = np.asarray(arrays[f"{name}/w"]), np.asarray(arrays[f"{name}/b"])
        if tuple(w.shape) != tuple(lay["shape"]) or b.shape != (lay["shape"][3],):
            raise ValueError(f"{name}: weights {tuple(w.shape)} / bias {b.shape}, the RTL has "
                             f"{tuple(lay['shape'])} / ({lay['shape'][3]},)")
        if not (np.issubdtype(w.dtype, np.integer) and np.issubdtype(b.dtype, np.integer)):
            raise ValueError(f"{name}: weights and bias must be raw integers")
        payload += mac_load_words(w, b, lay["pe"], lay["simd"], lay["w_bits"], lay["b_bits"])
    total = sum(payload) & 0xFFFFFFFF
    return np.asarray([WEIGHT_MAGIC, int(build_id) & 0xFFFFFFFF, len(payload), *payload, total],
                      dtype=np.uint32)
