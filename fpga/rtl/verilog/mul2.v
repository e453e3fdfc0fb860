// mul2: two products that share one operand, from one multiplier (one DSP48 slice):
//   p0 = a0 * w,   p1 = a1 * w
// Packing: X = a1 * 2^S + a0 with S = A_W + W_W (the width of one product), so that
//   P = X * w = p1 * 2^S + p0.
// Recovery: the low S bits of P are p0 in two's complement. floor(P / 2^S) is p1 when p0 >= 0
// and p1 - 1 when p0 < 0 (the borrow a negative low product takes from the high one), so
//   p0 = P[S-1:0] (signed),   p1 = P[2S-1:S] + P[S-1].
// Exact for every operand of these widths, signed or unsigned activations, signed weights: a
// product of an A_W-bit and a W_W-bit operand always fits S signed bits (the extreme
// -2^(A_W-1) * -2^(W_W-1) = 2^(S-2); unsigned (2^A_W - 1) * -2^(W_W-1) > -2^(S-1)). No guard
// bits are needed because the two products are separated here, before any accumulation (a
// packed accumulator would need ceil(log2(terms)) guard bits per field).
// Which operand is shared: the weight, across two output pixels (a0, a1 are the same input
// channel of two windows), so one weight word feeds two MACs and the weight memory serves
// half the reads per MAC. Sharing the activation across two output channels would need two
// different weights per multiply, i.e. the same weight bandwidth as two DSPs.
// Widths: X has S + A_W bits (+1 when signed): 24 or 25 at 8 x 8, within the DSP48E1's 25 x 18
// and the DSP48E2's 27 x 18 multiplier (fpga/rtl/blocks.py: mul2_fits says where it applies).
// Pipeline, every register enabled by en (Yosys/Vivado put 1-3 inside the DSP):
//   1 X and w (the DSP's A/B registers; X is a1 and a0 side by side, plus for signed a0 the
//     borrow: one (A_W+1)-bit add of the caller's registers)
//   2 M (the product)   3 P   4 p0, p1 (the correction: one S-bit add)
// Latency 4 cycles (blocks.mul2_latency).
`default_nettype none
module mul2 #(
    parameter integer A_W      = 8,     // activation bits
    parameter integer A_SIGNED = 0,
    parameter integer W_W      = 8      // weight bits, signed
) (
    input  wire                     clk,
    input  wire                     en,
    input  wire [A_W-1:0]           a0,
    input  wire [A_W-1:0]           a1,
    input  wire [W_W-1:0]           w,
    output reg  [A_W+W_W-1:0]       p0,  // a0 * w, signed
    output reg  [A_W+W_W-1:0]       p1   // a1 * w, signed
);
    localparam integer S  = A_W + W_W;
    localparam integer XW = S + A_W + 1;       // packed operand, signed
    localparam integer PW = XW + W_W;          // full product

    // the packed operand: unsigned a0 is a1 and a0 side by side (no logic); signed a0 adds
    // its sign extension, i.e. a1 - 1 in the high field when a0 < 0
    wire [XW-1:0] x_n;
    generate
        if (A_SIGNED != 0) begin : g_signed
            wire [XW-1:0] a1s = {a1[A_W-1], a1, {S{1'b0}}};
            wire [XW-1:0] a0e = {{(XW-A_W){a0[A_W-1]}}, a0};
            assign x_n = a1s + a0e;
        end else begin : g_unsigned
            assign x_n = {1'b0, a1, {(S-A_W){1'b0}}, a0};
        end
    endgenerate

    reg signed [XW-1:0]  x_q;
    reg signed [W_W-1:0] w_q;
    reg signed [PW-1:0]  m_q;
    /* verilator lint_off UNUSEDSIGNAL */
    reg signed [PW-1:0]  p_q;       // the top bit (above 2S) is p1's sign again
    /* verilator lint_on UNUSEDSIGNAL */
    always @(posedge clk) begin
        if (en) begin
            x_q <= x_n;
            w_q <= w;
            m_q <= x_q * w_q;
            p_q <= m_q;
            p0  <= p_q[S-1:0];
            p1  <= p_q[2*S-1:S] + {{(S-1){1'b0}}, p_q[S-1]};
        end
    end
endmodule
`default_nettype wire
