"""The beat-format HLS wrapper (fpga/vendor/hls_axis.py) in C simulation with g++.

The generated ``<top>_axis.cpp`` is compiled with the hls4ml firmware of the default project
and a small driver; frames packed by fpga.beats go in as AXI4-Stream beats (tlast on the last
pixel), the scores that come out are unpacked by fpga.beats and must equal fpga.reference's
integers, with tlast exactly on the last class of every frame.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from fpga import beats, reference
from fpga.graph import Graph
from fpga.vendor.hls_axis import csim_command, spec_from_project, wrapper_sources, write_wrapper

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")

FRAMES = 5

MAIN = r"""
// C-simulation driver: input beats from a text file ("HEX LAST" a line), one call of the
// wrapper per frame (DATAFLOW: one frame a call), output beats to a text file ("HEX LAST").
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "@TOP@.h"

namespace nnet {
bool trace_enabled = false;
std::map<std::string, void *> *trace_outputs = NULL;
size_t trace_type_size = sizeof(double);
}

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

int main(int argc, char **argv) {
    if (argc != 4) { std::cerr << "usage: tb IN OUT FRAMES\n"; return 2; }
    std::ifstream fin(argv[1]);
    std::ofstream fout(argv[2]);
    const int frames = std::atoi(argv[3]);
    std::vector<axis_beat_in> in;
    std::string hex;
    int last;
    while (fin >> hex >> last) {
        axis_beat_in beat;
        beat.data = 0;
        for (char ch : hex) {
            int v = hexval(ch);
            if (v < 0) { std::cerr << "bad hex " << hex << "\n"; return 2; }
            beat.data = (beat.data << 4) | v;
        }
        beat.keep = -1;
        beat.strb = -1;
        beat.last = last;
        in.push_back(beat);
    }
    if (frames <= 0 || in.size() % frames) { std::cerr << "beats/frames mismatch\n"; return 2; }
    const size_t per_frame = in.size() / frames;
    hls::stream<axis_beat_in> s_axis("s_axis");
    hls::stream<axis_beat_out> m_axis("m_axis");
    for (int f = 0; f < frames; f++) {
        for (size_t i = 0; i < per_frame; i++) s_axis.write(in[f * per_frame + i]);
        @TOP@(s_axis, m_axis);
        if (!s_axis.empty()) { std::cerr << "frame " << f << ": input left over\n"; return 3; }
        while (!m_axis.empty()) {
            axis_beat_out beat = m_axis.read();
            fout << std::hex << beat.data.to_uint64() << " " << std::dec
                 << int(beat.last) << "\n";
        }
    }
    return 0;
}
"""


@pytest.fixture(scope="module")
def axis_sim(default_project, tmp_path_factory):
    """(graph, spec, run): run(x_raw) -> list of (tdata, tlast) output beats."""
    tmp = tmp_path_factory.mktemp("hls_axis")
    graph = Graph.load(default_project)
    top = json.loads((default_project / "manifest.json").read_text())["hls_top"]
    spec = spec_from_project(default_project, graph, top)
    cpp, _h = write_wrapper(spec, tmp / "wrapper")
    main = tmp / "tb_main.cpp"
    main.write_text(MAIN.replace("@TOP@", spec.top))
    exe = tmp / "tb"
    cmd = csim_command(default_project, cpp, main, exe, top)
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, f"g++ failed:\n{' '.join(cmd)}\n{res.stderr[-4000:]}"

    def run(x_raw, tlast=True):
        fin, fout = tmp / "in.txt", tmp / "out.txt"
        lines = []
        for frame in x_raw:
            px = beats.pack_pixels(frame, spec.in_width)
            lines += [f"{b:x} {int(tlast and i == len(px) - 1)}" for i, b in enumerate(px)]
        fin.write_text("\n".join(lines) + "\n")
        r = subprocess.run([str(exe), str(fin), str(fout), str(len(x_raw))],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return [(int(h, 16), int(l)) for h, l in
                (line.split() for line in fout.read_text().splitlines())]

    return graph, spec, run


def test_wrapper_matches_reference_through_beats(axis_sim):
    graph, spec, run = axis_sim
    fmt = graph.input.out_fmt
    rng = np.random.default_rng(7)
    x = rng.integers(fmt.raw_min, fmt.raw_max + 1, size=(FRAMES, *graph.input.out_shape))
    want = reference.run(graph, x)
    classes = want.shape[1]
    assert spec.classes == classes

    out = run(x)
    assert len(out) == FRAMES * classes
    assert all(0 <= d < 1 << beats.OUT_TDATA_BITS for d, _ in out)
    last = np.array([l for _, l in out]).reshape(FRAMES, classes)
    expect_last = np.zeros((FRAMES, classes), dtype=int)
    expect_last[:, -1] = 1
    assert (last == expect_last).all(), "tlast must be on the last class of each frame only"
    out_fmt = graph.output.out_fmt
    got = beats.unpack_scores([d for d, _ in out], out_fmt.width, out_fmt.signed)
    got = got.reshape(FRAMES, classes)
    np.testing.assert_array_equal(got, want)
    assert len(np.unique(want)) > classes // 2, "scores too uniform to prove the packing"
    # each score beat is exactly what the RTL drives for that raw integer
    assert [d for d, _ in out] == [beats.score_beat(v) for v in want.reshape(-1)]


def test_wrapper_follows_pixel_count_not_input_tlast(axis_sim):
    """Input tlast is not checked: a frame without it gives the same scores."""
    graph, spec, run = axis_sim
    fmt = graph.input.out_fmt
    x = np.random.default_rng(3).integers(fmt.raw_min, fmt.raw_max + 1,
                                           size=(1, *graph.input.out_shape))
    out = run(x, tlast=False)
    assert [d for d, _ in out] == [beats.score_beat(v) for v in reference.run(graph, x)[0]]
    assert [l for _, l in out] == [0] * (len(out) - 1) + [1]


def test_wrapper_text_is_deterministic(default_project):
    graph = Graph.load(default_project)
    top = json.loads((default_project / "manifest.json").read_text())["hls_top"]
    a = wrapper_sources(spec_from_project(default_project, graph, top))
    b = wrapper_sources(spec_from_project(default_project, graph, top))
    assert a == b and list(a) == [f"{top}_axis.cpp", f"{top}_axis.h"]
    cpp = a[f"{top}_axis.cpp"]
    for pragma in ("INTERFACE axis port=s_axis", "INTERFACE axis port=m_axis",
                   "INTERFACE ap_ctrl_none port=return", "DATAFLOW"):
        assert f"#pragma HLS {pragma}" in cpp
    assert "float" not in cpp and "double" not in cpp


# ---- a tiny synthetic hls4ml-shaped top: signed scores, several channels, wide beats ---------

SYN_DEFINES = """\
#ifndef DEFINES_H_
#define DEFINES_H_
#include "ap_fixed.h"
#include "ap_int.h"
#include "nnet_utils/nnet_types.h"
typedef nnet::array<ap_fixed<6,2>, 6*1> input_t;
typedef nnet::array<ap_fixed<12,4>, 3*1> result_t;
typedef ap_fixed<6,2> weight1_t;
#endif
"""
SYN_H = """\
#ifndef SYN_H_
#define SYN_H_
#include "ap_fixed.h"
#include "hls_stream.h"
#include "defines.h"
void syn(hls::stream<input_t> &input_1, hls::stream<result_t> &layer2_out, weight1_t w1[3]);
#endif
"""
# score (word w, element i) = pixel w channel i + pixel w+2 channel i+3 + w1[i], exact
SYN_CPP = """\
#include "syn.h"
void syn(hls::stream<input_t> &input_1, hls::stream<result_t> &layer2_out, weight1_t w1[3]) {
    input_t px[4];
    for (int p = 0; p < 4; p++) px[p] = input_1.read();
    for (int w = 0; w < 2; w++) {
        result_t r;
        for (int i = 0; i < 3; i++) r[i] = px[w][i] + px[w + 2][i + 3] + w1[i];
        layer2_out.write(r);
    }
}
"""
SYN_W1 = "weight1_t w1[3] = {0.25, -0.5, 0};\n"   # raw (frac 4): 4, -8, 0


def test_wrapper_signed_scores_several_channels_wide_beats(default_project, tmp_path):
    from fpga.fixed import Fmt
    from fpga.graph import Layer

    src = default_project / "hls" / "firmware"
    fw = tmp_path / "syn" / "hls" / "firmware"
    (fw / "weights").mkdir(parents=True)
    (fw / "nnet_utils").mkdir()
    shutil.copytree(src / "ap_types", fw / "ap_types")
    shutil.copy(src / "nnet_utils" / "nnet_types.h", fw / "nnet_utils")
    (fw / "defines.h").write_text(SYN_DEFINES)
    (fw / "syn.h").write_text(SYN_H)
    (fw / "syn.cpp").write_text(SYN_CPP)
    (fw / "weights" / "w1.h").write_text(SYN_W1)
    in_fmt, out_fmt = Fmt(6, 2, signed=True), Fmt(12, 4, signed=True)
    graph = Graph("syn", [Layer("input_1", "input", [], (2, 2, 6), in_fmt),
                          Layer("gap", "gap", ["input_1"], (1, 2, 3), out_fmt)])
    spec = spec_from_project(tmp_path / "syn", graph, "syn")
    assert (spec.in_tdata_bits, spec.out_words, spec.out_per_word) == (64, 2, 3)
    assert spec.weight_args == ("w1",)
    cpp, _ = write_wrapper(spec, tmp_path / "wrapper")
    main = tmp_path / "tb_main.cpp"
    main.write_text(MAIN.replace("@TOP@", spec.top))
    exe = tmp_path / "tb"
    cmd = csim_command(tmp_path / "syn", cpp, main, exe, "syn")
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, f"g++ failed:\n{' '.join(cmd)}\n{res.stderr[-4000:]}"

    frames = 4
    x = np.random.default_rng(5).integers(in_fmt.raw_min, in_fmt.raw_max + 1,
                                          size=(frames, 2, 2, 6))
    x[0] = in_fmt.raw_min     # the most negative sums
    x[1] = in_fmt.raw_max
    lines = []
    for frame in x:
        px = beats.pack_pixels(frame, in_fmt.width)
        assert max(px) >= 1 << 32        # beats really use the upper 32 bits
        lines += [f"{b:x} {int(i == len(px) - 1)}" for i, b in enumerate(px)]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n")
    r = subprocess.run([str(exe), str(tmp_path / "in.txt"), str(tmp_path / "out.txt"),
                        str(frames)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = [(int(h, 16), int(l)) for h, l in
           (line.split() for line in (tmp_path / "out.txt").read_text().splitlines())]

    flat = x.reshape(frames, 4, 6)
    w1 = np.array([4, -8, 0])
    want = np.stack([(flat[:, w, :3] + flat[:, w + 2, 3:] + w1) << 4 for w in range(2)],
                    axis=1).reshape(frames, 6)
    assert want.min() < 0
    assert [d for d, _ in out] == [beats.score_beat(v) for v in want.reshape(-1)]
    assert [l for _, l in out] == ([0] * 5 + [1]) * frames
    got = beats.unpack_scores([d for d, _ in out], out_fmt.width, out_fmt.signed)
    np.testing.assert_array_equal(got.reshape(frames, 6), want)


@pytest.mark.parametrize("proto,msg", [
    ("void syn(input_t input_1[24], result_t layer2_out[6]);", "not an hls4ml io_stream top"),
    ("void syn(hls::stream<input_t> &a, hls::stream<result_t> &b, hls::stream<result_t> &c);",
     "more than one input or output stream"),
    ("void syn(hls::stream<input_t> &a, hls::stream<result_t> &b, weight9_t w9[3]);",
     "has no"),
    ("void other(hls::stream<input_t> &a, hls::stream<result_t> &b);", "no prototype"),
])
def test_wrapper_rejects_tops_it_cannot_wrap(tmp_path, proto, msg):
    from fpga.errors import FpgaError
    from fpga.vendor.hls_axis import parse_top

    fw = tmp_path / "firmware"
    fw.mkdir()
    (fw / "syn.h").write_text(f"// top\n{proto}\n")
    with pytest.raises(FpgaError, match=msg):
        parse_top(fw, "syn")
