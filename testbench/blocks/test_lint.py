"""`verilator --lint-only -Wall` must be clean for every library module, over a few parameter
sets each (degenerate sizes included)."""
import subprocess

import pytest

from harness import rtl_sources

LINT = {
    "ram_sdp": [{}, {"DEPTH": 1}, {"STYLE": '"block"'}, {"STYLE": '"distributed"'}],
    "rom": [{}, {"DEPTH": 1}, {"STYLE": '"block"'}, {"STYLE": '"logic"'}, {"WRITABLE": 1},
            {"WRITABLE": 1, "DEPTH": 1, "STYLE": '"ultra"'}],
    "wload": [{}, {"PE": 4, "NF": 3, "STEPS": 6, "BWORD": 96, "WWORD": 72, "NFW": 2, "AW": 3},
              {"PE": 2, "NF": 1, "STEPS": 1, "BWORD": 40, "WWORD": 8}],
    "ctrl_regs": [{}, {"LOAD": 1, "WL_WORDS": "32'd100", "WL_DRAIN": 3}],
    "fifo": [{}, {"DEPTH": 1}, {"DEPTH": 5, "WIDTH": 1}],
    "requant": [{}, {"SHIFT": 1, "ROUND": 2, "RELU": 1}, {"SHIFT": -3, "OUT_W": 20, "SAT": 0},
                {"SHIFT": 20, "OUT_W": 1, "OUT_SIGNED": 0}],
    "window": [{}, {"KH": 1, "KW": 1}, {"KH": 2, "KW": 2, "SH": 2, "SW": 2},
               {"H": 5, "W": 7, "C": 3, "KH": 3, "KW": 2, "SH": 2, "SW": 1, "PT": 1, "PB": 1,
                "PL": 0, "PR": 1}, {"W": 1, "H": 1, "KH": 1, "KW": 1},
               {"RAM_STYLE": '"block"'}],
    "mac": [{}, {"PE": 2, "SIMD": 3, "COUT": 4, "IN_SIGNED": 1, "SHIFT": 3, "ROUND": 2},
            {"PE": 4, "SIMD": 9, "SHIFT": -2, "BIAS_SHIFT": 3}, {"K": 1, "COUT": 1},
            {"K": 72, "COUT": 8, "PE": 2, "SIMD": 36, "OUT_FIFO": 3}, {"K": 64, "SIMD": 1},
            {"LOAD": 1}, {"LOAD": 1, "K": 1, "COUT": 1},
            {"LOAD": 1, "PE": 4, "SIMD": 9, "COUT": 8, "K": 18, "B_W": 24}],
    "maxpool": [{}, {"PH": 3, "PW": 3, "IN_SIGNED": 1, "C": 3}, {"C": 4, "LANES": 1, "OUT_FIFO": 3},
                {"C": 6, "LANES": 2, "PH": 3, "PW": 3, "H": 9, "W": 11},
                {"H": 1, "W": 1, "PH": 1, "PW": 1, "SH": 1, "SW": 1}],
    "mul2": [{}, {"A_SIGNED": 1}, {"A_W": 4, "W_W": 4}, {"A_W": 5, "W_W": 7, "A_SIGNED": 1}],
    "skid": [{}, {"WIDTH": 1}],
    "stream_join": [{}, {"A_BITS": 1, "B_BITS": 40}],
    "stream_fork": [{}, {"N": 3, "WIDTH": 1}],
    "concat": [{}, {"A_BITS": 1, "B_BITS": 40}],
    "add": [{}, {"C": 3, "A_W": 5, "A_SIGNED": 0, "SHIFT_A": 2, "SHIFT": 3, "ROUND": 2,
                 "RELU": 1}],
    "gap": [{}, {"H": 1, "W": 1, "EXTRA": 3, "IN_SIGNED": 1, "C": 3}, {"H": 13, "W": 13},
            {"C": 6, "LANES": 1}, {"C": 6, "LANES": 2, "H": 3, "W": 5, "SAT": 0},
            {"H": 1, "W": 1, "C": 4, "LANES": 1, "OUT_W": 1, "IN_W": 1},
            {"H": 2, "W": 2, "C": 10, "LANES": 1, "EXTRA": 8, "OUT_W": 16, "SAT": 0}],
    "axis_in": [{}, {"C": 4, "DATA_W": 8, "TDATA_W": 32}, {"PIXELS": 1}],
    "axis_out": [{}, {"OUT_W": 32, "NCLASS": 1}, {"OUT_W": 3, "NCLASS": 2}],
}


@pytest.mark.parametrize("module,params",
                         [(m, p) for m, ps in LINT.items() for p in ps],
                         ids=lambda x: x if isinstance(x, str) else
                         ("-".join(f"{k}{v}" for k, v in x.items()) or "default"))
def test_lint(module, params):
    cmd = ["verilator", "--lint-only", "-Wall", "--top-module", module]
    cmd += [f"-G{k}={v}" for k, v in params.items()]
    cmd += [str(s) for s in rtl_sources(module)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0 and "%Warning" not in r.stderr, r.stderr
