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


def mac_out_fifo(k: int, cout: int, pe: int, simd: int) -> int:
    """Depth of mac.v's output FIFO (OUT_FIFO) = its credits (windows in flight): a window
    holds a credit from its first step until its result leaves m_*, mac_latency cycles at
    full rate, and one starts every NF*SF cycles, so latency // steps are held when the next
    one starts; one more lets it start."""
    return mac_latency(k, cout, pe, simd) // mac_steps(k, cout, pe, simd) + 1


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
    """Flip-flops of concat.v: heads (A+B), spare (A+B), valids and two rst_q."""
    return 2 * (a_bits + b_bits) + 5


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
        requant_latency() + 7


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


def maxpool_out_fifo(wout: int) -> int:
    """OUT_FIFO the generator gives maxpool.v: one output row (the burst a pool row ends in)
    + 2; the block uses at least MAXPOOL_MIN_FIFO (its credits for full rate)."""
    return wout + 2


def maxpool_fifo_depth(out_fifo: int) -> int:
    """The output FIFO depth maxpool.v builds (= its credits): FD = max(OUT_FIFO, 6)."""
    return max(out_fifo, MAXPOOL_MIN_FIFO)


def maxpool_latency(nch: int) -> int:
    """Clock edges from accepting the last pixel of a pool to its m_tvalid: NCH chunk issues,
    stages H, V1, V2, the output register p, then the output FIFO (fifo_latency; derived
    from the RTL, not measured)."""
    return nch + 4 + fifo_latency()
