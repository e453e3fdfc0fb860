"""The arithmetic contract, stated once.

Every stage (numpy reference, RTL blocks, board driver) computes on *raw integers*:
a value of fixed-point format ``Fmt(width, integer, signed)`` is ``raw * 2**-frac`` with
``frac = width - integer`` (ap_fixed convention: ``integer`` counts the sign bit).

A layer's output is produced by ``requantize``:
  1. exact integer accumulate (no rounding anywhere before this point),
  2. move the binary point from ``acc_frac`` to ``out.frac`` with the output's rounding mode
     (``TRN`` floor, ``RND`` half-up, ``RND_CONV`` half-to-even; exactly ap_fixed's
     ``AP_TRN``/``AP_RND``/``AP_RND_CONV``),
  3. saturate (``SAT``: clamp to the format's range) or wrap (``WRAP``: keep the low bits),
ReLU is a clamp at 0 applied before step 2 (hls4ml's ``relu`` does ``x > 0 ? x : 0`` on the wide
value, then casts to the output type).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

ROUNDING_MODES = ("TRN", "RND", "RND_CONV")
SATURATION_MODES = ("WRAP", "SAT")


@dataclass(frozen=True)
class Fmt:
    """A fixed-point format, as ap_fixed/ap_ufixed<width, integer, rounding, saturation>."""

    width: int
    integer: int
    signed: bool = True
    rounding: str = "TRN"
    saturation: str = "WRAP"

    def __post_init__(self):
        if self.width < 1:
            raise ValueError(f"fixed-point width must be >= 1, got {self.width}")
        if self.rounding not in ROUNDING_MODES:
            raise ValueError(f"unknown rounding mode {self.rounding!r}")
        if self.saturation not in SATURATION_MODES:
            raise ValueError(f"unknown saturation mode {self.saturation!r}")

    @property
    def frac(self) -> int:
        return self.width - self.integer

    @property
    def raw_min(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def raw_max(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    def hls(self) -> str:
        """The hls4ml precision string, e.g. ``ap_ufixed<8,3,AP_RND_CONV,AP_SAT>``."""
        base = "ap_fixed" if self.signed else "ap_ufixed"
        if self.rounding == "TRN" and self.saturation == "WRAP":
            return f"{base}<{self.width},{self.integer}>"
        return f"{base}<{self.width},{self.integer},AP_{self.rounding},AP_{self.saturation}>"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Fmt":
        return cls(**d)


def shift_round(raw, shift: int, rounding: str):
    """Divide ``raw`` by ``2**shift`` (shift may be <= 0: exact left shift), rounding as asked."""
    raw = np.asarray(raw, dtype=np.int64)
    if shift <= 0:
        return raw << (-shift)
    floor = raw >> shift
    if rounding == "TRN":
        return floor
    rem = raw - (floor << shift)
    half = 1 << (shift - 1)
    if rounding == "RND":  # half-up (towards +inf), as AP_RND
        return floor + (rem >= half)
    # RND_CONV: half to even
    up = (rem > half) | ((rem == half) & ((floor & 1) == 1))
    return floor + up


def saturate(raw, fmt: Fmt):
    raw = np.asarray(raw, dtype=np.int64)
    if fmt.saturation == "SAT":
        return np.clip(raw, fmt.raw_min, fmt.raw_max)
    mask = (1 << fmt.width) - 1
    low = raw & mask
    if fmt.signed:
        low = np.where(low > fmt.raw_max, low - (1 << fmt.width), low)
    return low


def requantize(acc, acc_frac: int, out: Fmt, relu: bool = False):
    """Bring an exact accumulator (raw ints with ``acc_frac`` fractional bits) into ``out``."""
    acc = np.asarray(acc, dtype=np.int64)
    if relu:
        acc = np.maximum(acc, 0)
    return saturate(shift_round(acc, acc_frac - out.frac, out.rounding), out)


def align(raw, from_frac: int, to_frac: int):
    """Exact re-alignment to more fractional bits (e.g. a bias into the accumulator)."""
    if to_frac < from_frac:
        raise ValueError("align only widens the fraction (exactness)")
    return np.asarray(raw, dtype=np.int64) << (to_frac - from_frac)
