import numpy as np
import pytest

from fpga.fixed import Fmt, requantize, saturate, shift_round


def test_rounding_modes_on_halves():
    raw = np.array([-7, -6, -5, -3, -2, -1, 1, 2, 3, 5, 6, 7])  # /2: includes exact halves
    assert shift_round(raw, 1, "TRN").tolist() == [-4, -3, -3, -2, -1, -1, 0, 1, 1, 2, 3, 3]
    assert shift_round(raw, 1, "RND").tolist() == [-3, -3, -2, -1, -1, 0, 1, 1, 2, 3, 3, 4]
    assert shift_round(raw, 1, "RND_CONV").tolist() == [-4, -3, -2, -2, -1, 0, 0, 1, 2, 2, 3, 4]


def test_negative_shift_is_exact_left_shift():
    assert shift_round(np.array([3, -3]), -2, "RND_CONV").tolist() == [12, -12]


def test_saturate_and_wrap():
    u8 = Fmt(8, 3, signed=False, saturation="SAT")
    assert saturate(np.array([-5, 0, 255, 300]), u8).tolist() == [0, 0, 255, 255]
    s8 = Fmt(8, 1, signed=True)
    assert saturate(np.array([127, 128, -129, 255]), s8).tolist() == [127, -128, 127, -1]


def test_requantize_relu_round_saturate():
    out = Fmt(8, 3, signed=False, rounding="RND_CONV", saturation="SAT")
    # accumulator with 12 fractional bits -> 5 fractional bits: shift by 7
    acc = np.array([-1000, 64, 192, 320, 1 << 20])
    assert requantize(acc, 12, out, relu=True).tolist() == [0, 0, 2, 2, 255]


def test_hls_names():
    assert Fmt(8, 3, False, "RND_CONV", "SAT").hls() == "ap_ufixed<8,3,AP_RND_CONV,AP_SAT>"
    assert Fmt(21, 6).hls() == "ap_fixed<21,6>"
    with pytest.raises(ValueError):
        Fmt(8, 3, rounding="NEAREST")
