"""<top>_axis.cpp/.h: an HLS top around the hls4ml io_stream top that speaks our beat format.

hls4ml's io_stream top, ``void <top>(hls::stream<input_t> &in, hls::stream<result_t> &out,
<weights>...)``, moves one ``nnet::array`` word per pixel and per output, with no ``tlast``;
its weights may be top-level array arguments. The AXI DMA and the board driver speak the beat
format of ``fpga/beats.py`` (as the open RTL does). The wrapper written here bridges the two::

    void <top>_axis(hls::stream<axis_beat_in> &s_axis, hls::stream<axis_beat_out> &m_axis)

``ap_ctrl_none`` (free-running, like the RTL: no ``ap_start``), both ports ``axis``, and a
``DATAFLOW`` region of three processes:

  unpack  reads H*W beats; channel c of a beat, ``tdata[c*W, (c+1)*W)``, becomes element c of
          one ``input_t`` word, bit for bit (``.range()``, no float conversion). The frame is
          delimited by the pixel count: input ``tlast`` is not checked (the RTL's sticky
          tlast_err has no counterpart here; a DMA transfer of the right length is required).
  <top>   the hls4ml top, unchanged. Weight arrays it takes as arguments are the globals of
          ``firmware/weights/<name>.h`` (initialised ROMs in synthesis; in C simulation the
          hls4ml top fills them from ``weights/<name>.txt`` under ``WEIGHTS_DIR`` on first call).
  pack    reads the ``result_t`` word(s) and writes one 32-bit beat per class score: the raw
          integer of the output format, sign-extended (zero-extended when unsigned), ``keep``
          all ones, ``last`` on the last class.

Beat types: ``ap_axiu<TDATA_W,0,0,0>`` from ``ap_axi_sdata.h`` when that header is there
(Vitis HLS); else (plain g++ with hls4ml's bundled ap_types) a struct with the same field names
(data, keep, strb, last), so the code is identical. Widths and shapes come from the IR; the
wrapper ``static_assert``s that the hls4ml types agree (channels, element width and integer
bits, scores per word). The generated text depends only on its inputs (deterministic).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import beats
from ..errors import FpgaError

SUFFIX = "_axis"


@dataclass(frozen=True)
class AxisSpec:
    model_top: str          # the hls4ml top function
    in_type: str            # its input stream element type (input_t)
    out_type: str           # its output stream element type (result_t)
    weight_args: tuple      # array arguments after the two streams, in order
    pixels: int             # H*W beats in
    channels: int
    in_width: int
    in_integer: int
    in_signed: bool
    in_tdata_bits: int
    out_words: int          # result_t words per frame
    out_per_word: int       # scores per result_t word
    out_width: int
    out_integer: int
    out_signed: bool

    @property
    def top(self) -> str:
        return self.model_top + SUFFIX

    @property
    def classes(self) -> int:
        return self.out_words * self.out_per_word

    def to_dict(self) -> dict:
        d = asdict(self)
        d["weight_args"] = list(self.weight_args)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "AxisSpec":
        d = dict(d)
        d["weight_args"] = tuple(d["weight_args"])
        return cls(**d)


def wrapper_names(model_top: str) -> tuple:
    """(cpp, h) file names of the wrapper for hls4ml top ``model_top``."""
    return f"{model_top}{SUFFIX}.cpp", f"{model_top}{SUFFIX}.h"


def _split_params(text: str) -> list:
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_STREAM = re.compile(r"^hls::stream\s*<\s*([A-Za-z_]\w*)\s*>\s*&\s*([A-Za-z_]\w*)$")
_ARRAY = re.compile(r"^([A-Za-z_][\w:]*)\s+([A-Za-z_]\w*)\s*\[\s*[^\]]+\]$")


def parse_top(firmware: Path, model_top: str) -> tuple:
    """(in_type, out_type, weight_args) from the prototype in ``firmware/<top>.h``."""
    header = firmware / f"{model_top}.h"
    if not header.is_file():
        raise FpgaError(f"hls4ml top '{model_top}' has no header {header}")
    text = _COMMENT.sub(" ", header.read_text(errors="replace"))
    m = re.search(rf"\bvoid\s+{re.escape(model_top)}\s*\((.*?)\)\s*;", text, re.S)
    if not m:
        raise FpgaError(f"no prototype 'void {model_top}(...)' in {header}")
    params = [" ".join(p.split()) for p in _split_params(m.group(1))]
    streams = [_STREAM.match(p) for p in params[:2]]
    if len(params) < 2 or not all(streams):
        raise FpgaError(f"{header}: '{model_top}' is not an hls4ml io_stream top with one input "
                        f"and one output stream (convert with io_type io_stream)")
    weights = []
    for p in params[2:]:
        a = _ARRAY.match(p)
        if _STREAM.match(p):
            raise FpgaError(f"{header}: '{model_top}' has more than one input or output stream; "
                            f"the beat-format wrapper supports one of each")
        if not a:
            raise FpgaError(f"{header}: cannot supply argument '{p}' of '{model_top}'")
        name = a.group(2)
        if not (firmware / "weights" / f"{name}.h").is_file():
            raise FpgaError(f"{header}: argument '{name}' of '{model_top}' has no "
                            f"{firmware / 'weights' / (name + '.h')}")
        weights.append(name)
    return streams[0].group(1), streams[1].group(1), tuple(weights)


def spec_from_project(project: Path, graph, model_top: str) -> AxisSpec:
    """The wrapper's parameters: types and weight arguments from the hls4ml header, shapes and
    formats from the IR."""
    firmware = Path(project) / "hls" / "firmware"
    in_type, out_type, weights = parse_top(firmware, model_top)
    inp, out = graph.input, graph.output
    h, w, c = (int(v) for v in inp.out_shape)
    *out_sp, out_c = (int(v) for v in out.out_shape)
    out_words = 1
    for v in out_sp:
        out_words *= v
    if out.out_fmt.width > beats.OUT_TDATA_BITS:
        raise FpgaError(f"output format {out.out_fmt.hls()} is wider than the "
                        f"{beats.OUT_TDATA_BITS}-bit score beat")
    return AxisSpec(model_top=model_top, in_type=in_type, out_type=out_type,
                    weight_args=weights, pixels=h * w, channels=c,
                    in_width=int(inp.out_fmt.width), in_integer=int(inp.out_fmt.integer),
                    in_signed=bool(inp.out_fmt.signed),
                    in_tdata_bits=beats.in_tdata_bits(c, int(inp.out_fmt.width)),
                    out_words=out_words, out_per_word=out_c,
                    out_width=int(out.out_fmt.width), out_integer=int(out.out_fmt.integer),
                    out_signed=bool(out.out_fmt.signed))


HEADER = """\
// Generated by `fpga build --from hls` (fpga/vendor/hls_axis.py): the hls4ml top @MODEL@ behind
// the AXI4-Stream beat format of fpga/beats.py. Do not edit; regenerate.
#ifndef @GUARD@
#define @GUARD@

#include "ap_int.h"
#include "hls_stream.h"

// ap_axiu from Vitis HLS when its header is there, else a struct with the same fields.
#if defined(__has_include)
#if __has_include(<ap_axi_sdata.h>)
#define FPGA_AXIS_HAVE_AP_AXI_SDATA 1
#endif
#else
#define FPGA_AXIS_HAVE_AP_AXI_SDATA 1
#endif

#ifdef FPGA_AXIS_HAVE_AP_AXI_SDATA
#include "ap_axi_sdata.h"
typedef ap_axiu<@IN_BITS@, 0, 0, 0> axis_beat_in;
typedef ap_axiu<@OUT_BITS@, 0, 0, 0> axis_beat_out;
#else
#ifndef FPGA_AXIS_BEAT_DEFINED
#define FPGA_AXIS_BEAT_DEFINED
template <int W> struct fpga_axis_beat {
    ap_uint<W> data;
    ap_uint<W / 8> keep;
    ap_uint<W / 8> strb;
    ap_uint<1> last;
};
#endif
typedef fpga_axis_beat<@IN_BITS@> axis_beat_in;
typedef fpga_axis_beat<@OUT_BITS@> axis_beat_out;
#endif

// Input: @PIXELS@ beats a frame (one pixel each, @CHANNELS@ channel(s) x @IN_W@ bits LSB-first in
// tdata[@IN_BITS@]); tlast is not checked, the frame is the pixel count.
// Output: @CLASSES@ beats a frame (one score each, @OUT_W@-bit raw @OUT_KIND@ in
// tdata[@OUT_BITS@]), tlast on the last. Free-running (ap_ctrl_none).
void @TOP@(hls::stream<axis_beat_in> &s_axis, hls::stream<axis_beat_out> &m_axis);

#endif
"""

SOURCE = """\
// Generated by `fpga build --from hls` (fpga/vendor/hls_axis.py): the hls4ml top @MODEL@ behind
// the AXI4-Stream beat format of fpga/beats.py. Do not edit; regenerate.
#include "@TOP@.h"
#include "@MODEL@.h"
@WEIGHT_INCLUDES@
// Frame geometry and formats, from the IR (fpga convert).
#define FPGA_AXIS_PIXELS @PIXELS@
#define FPGA_AXIS_CHANNELS @CHANNELS@
#define FPGA_AXIS_IN_W @IN_W@
#define FPGA_AXIS_OUT_WORDS @OUT_WORDS@
#define FPGA_AXIS_OUT_PER_WORD @OUT_PER_WORD@
#define FPGA_AXIS_OUT_W @OUT_W@

static_assert(@IN_T@::size == FPGA_AXIS_CHANNELS,
              "@IN_T@ must hold one pixel (@CHANNELS@ channel(s))");
static_assert(@IN_T@::value_type::width == @IN_W@ && @IN_T@::value_type::iwidth == @IN_I@,
              "@IN_T@ elements must be @IN_FMT@ as in the IR");
static_assert(@OUT_T@::size == FPGA_AXIS_OUT_PER_WORD, "@OUT_T@ must hold @OUT_PER_WORD@ scores");
static_assert(@OUT_T@::value_type::width == @OUT_W@ && @OUT_T@::value_type::iwidth == @OUT_I@,
              "@OUT_T@ elements must be @OUT_FMT@ as in the IR");

// beats -> input words: channel c = tdata[c*W +: W], raw bits (no conversion)
static void @TOP@_unpack(hls::stream<axis_beat_in> &s_axis, hls::stream<@IN_T@> &image) {
unpack_pixels:
    for (unsigned p = 0; p < FPGA_AXIS_PIXELS; p++) {
        #pragma HLS PIPELINE II=1
        axis_beat_in beat = s_axis.read();
        @IN_T@ word;
    unpack_channels:
        for (unsigned c = 0; c < FPGA_AXIS_CHANNELS; c++) {
            #pragma HLS UNROLL
            ap_uint<FPGA_AXIS_IN_W> raw = beat.data.range(c * FPGA_AXIS_IN_W + FPGA_AXIS_IN_W - 1,
                                                          c * FPGA_AXIS_IN_W);
            word[c].range(FPGA_AXIS_IN_W - 1, 0) = raw;
        }
        image.write(word);
    }
}

// score words -> one beat per score: raw integer @OUT_EXT@ to @OUT_BITS@ bits, tlast on the last
static void @TOP@_pack(hls::stream<@OUT_T@> &scores, hls::stream<axis_beat_out> &m_axis) {
pack_words:
    for (unsigned w = 0; w < FPGA_AXIS_OUT_WORDS; w++) {
        @OUT_T@ word = scores.read();
    pack_scores:
        for (unsigned i = 0; i < FPGA_AXIS_OUT_PER_WORD; i++) {
            #pragma HLS PIPELINE II=1
            ap_uint<FPGA_AXIS_OUT_W> bits = word[i].range(FPGA_AXIS_OUT_W - 1, 0);
            @OUT_RAW@<FPGA_AXIS_OUT_W> raw = bits;
            ap_int<@OUT_BITS@> wide = raw;
            axis_beat_out beat;
            beat.data = wide;
            beat.keep = -1;
            beat.strb = -1;
            beat.last = (w == FPGA_AXIS_OUT_WORDS - 1) && (i == FPGA_AXIS_OUT_PER_WORD - 1);
            m_axis.write(beat);
        }
    }
}

void @TOP@(hls::stream<axis_beat_in> &s_axis, hls::stream<axis_beat_out> &m_axis) {
    #pragma HLS INTERFACE axis port=s_axis
    #pragma HLS INTERFACE axis port=m_axis
    #pragma HLS INTERFACE ap_ctrl_none port=return
    #pragma HLS DATAFLOW

    hls::stream<@IN_T@> image("@TOP@_image");
    hls::stream<@OUT_T@> scores("@TOP@_scores");

    @TOP@_unpack(s_axis, image);
    @MODEL@(@ARGS@);
    @TOP@_pack(scores, m_axis);
}
"""


def _fill(template: str, values: dict) -> str:
    for k, v in values.items():
        template = template.replace(f"@{k}@", str(v))
    left = re.findall(r"@[A-Z_]+@", template)
    assert not left, left
    return template


def _fmt(signed: bool, width: int, integer: int) -> str:
    return f"{'ap_fixed' if signed else 'ap_ufixed'}<{width},{integer}>"


def wrapper_sources(spec: AxisSpec) -> dict:
    """File name -> text of the wrapper (``<top>_axis.cpp`` and ``.h``)."""
    cpp, h = wrapper_names(spec.model_top)
    includes = "".join(f'#include "weights/{n}.h"\n' for n in spec.weight_args)
    if includes:
        includes = ("// The weight arrays the hls4ml top takes as arguments (ROMs in synthesis; "
                    "filled from\n// weights/*.txt by the top in C simulation).\n" + includes)
    values = {
        "TOP": spec.top, "MODEL": spec.model_top, "GUARD": spec.top.upper() + "_H_",
        "IN_T": spec.in_type, "OUT_T": spec.out_type,
        "IN_BITS": spec.in_tdata_bits, "OUT_BITS": beats.OUT_TDATA_BITS,
        "PIXELS": spec.pixels, "CHANNELS": spec.channels, "IN_W": spec.in_width,
        "IN_I": spec.in_integer, "OUT_WORDS": spec.out_words, "OUT_PER_WORD": spec.out_per_word,
        "OUT_W": spec.out_width, "OUT_I": spec.out_integer, "CLASSES": spec.classes,
        "IN_FMT": _fmt(spec.in_signed, spec.in_width, spec.in_integer),
        "OUT_FMT": _fmt(spec.out_signed, spec.out_width, spec.out_integer),
        "OUT_KIND": "two's complement" if spec.out_signed else "unsigned",
        "OUT_EXT": "sign-extended" if spec.out_signed else "zero-extended",
        "OUT_RAW": "ap_int" if spec.out_signed else "ap_uint",
        "WEIGHT_INCLUDES": includes,
        "ARGS": ", ".join(["image", "scores", *spec.weight_args]),
    }
    return {cpp: _fill(SOURCE, values), h: _fill(HEADER, values)}


def write_wrapper(spec: AxisSpec, folder: Path) -> list:
    """Write the wrapper into ``folder``; returns the paths (.cpp first)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = wrapper_sources(spec)
    paths = [folder / name for name in wrapper_names(spec.model_top)]
    for path in paths:
        path.write_text(files[path.name])
    return paths


def csim_command(project: Path, wrapper_cpp: Path, main_cpp: Path, exe: Path,
                 model_top: str) -> list:
    """g++ argv that builds a C-simulation executable of the wrapper, the hls4ml firmware and a
    test main, with the flags of the project's ``build_lib.sh`` (fpga/csim.py): -O3,
    hls4ml's bundled ap_types, ``WEIGHTS_DIR`` at ``firmware/weights``; -std=c++14 as hls.tcl."""
    firmware = (Path(project) / "hls" / "firmware").resolve()
    wrapper_cpp = Path(wrapper_cpp).resolve()
    return ["g++", "-O3", "-std=c++14",
            f"-I{firmware / 'ap_types'}", f"-I{firmware}", f"-I{wrapper_cpp.parent}",
            f'-DWEIGHTS_DIR="{firmware / "weights"}"',
            str(wrapper_cpp), str(firmware / f"{model_top}.cpp"),
            *(str(p) for p in sorted(firmware.glob("*.cpp")) if p.stem != model_top),
            str(Path(main_cpp).resolve()), "-o", str(exe)]
