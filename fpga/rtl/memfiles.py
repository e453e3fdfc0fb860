"""Write the ``$readmemh`` files of the ``mac`` block (fpga/rtl/verilog/mac.v).

Layout (one word per line, hex, word 0 first, two's complement fields; the words come from
fpga/beats.py ``mac_weight_words`` / ``mac_bias_words``, which the weight-load image uses too):

* weight bank ``p`` (one per PE), file ``<prefix>_w<ppp>.mem`` (``ppp`` = 3-digit decimal PE
  index), ``NF*SF`` words of ``SIMD*w_bits`` bits, ``NF = cout/pe``, ``SF = K/simd``,
  ``K = kh*kw*cin``: word ``nf*SF + sf``, field ``s`` (bits ``[s*w_bits, (s+1)*w_bits)``) is
  ``w[k = sf*simd + s][o = nf*pe + p]`` with ``k = (ky*kw + kx)*cin + c`` (the window order).
* bias, file ``<prefix>_b.mem``: ``NF`` words of ``pe*b_bits`` bits, word ``nf`` field ``p`` is
  ``bias[nf*pe + p]``.

The Verilog parameter ``MEM_PREFIX`` of ``mac`` is ``str(out_dir / prefix)``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..beats import mac_bias_words, mac_weight_words


def _word_lines(words: list[int], bits: int) -> str:
    digits = max(1, (bits + 3) // 4)
    return "".join(f"{w:0{digits}x}\n" for w in words)


def write_weight_banks(weights_kkcc: np.ndarray, pe: int, simd: int, w_bits: int,
                       out_dir, prefix: str) -> list[Path]:
    """Write one ``<prefix>_w<ppp>.mem`` per PE; returns the paths in PE order."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for p, words in enumerate(mac_weight_words(weights_kkcc, pe, simd, w_bits)):
        path = out_dir / f"{prefix}_w{p:03d}.mem"
        path.write_text(_word_lines(words, simd * w_bits))
        paths.append(path)
    return paths


def write_bias_bank(bias: np.ndarray, pe: int, b_bits: int, out_dir, prefix: str) -> Path:
    """Write ``<prefix>_b.mem`` (NF words of pe*b_bits bits)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{prefix}_b.mem"
    path.write_text(_word_lines(mac_bias_words(bias, pe, b_bits), pe * b_bits))
    return path


def write_mac_mems(weights_kkcc: np.ndarray, bias: np.ndarray, pe: int, simd: int, w_bits: int,
                   b_bits: int, out_dir, prefix: str) -> str:
    """Write all files of one mac instance; returns its MEM_PREFIX parameter value."""
    write_weight_banks(weights_kkcc, pe, simd, w_bits, out_dir, prefix)
    write_bias_bank(bias, pe, b_bits, out_dir, prefix)
    return str(Path(out_dir) / prefix)


def mac_acc_width(k: int, in_bits: int, w_bits: int, b_bits: int, bias_shift: int) -> int:
    """Accumulator width that can never overflow (the mac default for ACC_W)."""
    prod = in_bits + 1 + w_bits + max(0, (k - 1).bit_length())
    return max(prod, b_bits + bias_shift) + 2
