// requant: combinational requantiser, exactly fpga.fixed.requantize on one value.
//
//   acc (ACC_W-bit signed raw integer, acc_frac fractional bits)
//   1. RELU != 0: clamp at 0
//   2. SHIFT = acc_frac - out_frac. SHIFT > 0: arithmetic right shift with rounding
//        ROUND 0 = TRN (floor), 1 = RND (half up, towards +inf), 2 = RND_CONV (half to even);
//      SHIFT <= 0: exact left shift by -SHIFT.
//   3. SAT != 0: clamp to the output range (OUT_SIGNED: [-2^(OUT_W-1), 2^(OUT_W-1)-1],
//      else [0, 2^OUT_W-1]); SAT == 0: wrap (keep the low OUT_W bits).
// All intermediate arithmetic is wide enough to be exact.
`default_nettype none
module requant #(
    parameter integer ACC_W      = 16,
    parameter integer OUT_W      = 8,
    parameter integer SHIFT      = 0,
    parameter integer ROUND      = 0,
    parameter integer RELU       = 0,
    parameter integer OUT_SIGNED = 1,
    parameter integer SAT        = 1
) (
    input  wire [ACC_W-1:0] acc,
    output wire [OUT_W-1:0] out
);
    localparam integer AS = (SHIFT < 0) ? -SHIFT : SHIFT;
    localparam integer EW = ((ACC_W + AS > OUT_W) ? ACC_W + AS : OUT_W) + 2;
    localparam [EW-1:0] ONE = 1;

    wire signed [ACC_W-1:0] a  = acc;
    wire signed [EW-1:0]    ae = {{(EW-ACC_W){a[ACC_W-1]}}, a};  // sign extension
    wire signed [EW-1:0]    x  = (RELU != 0 && a[ACC_W-1]) ? {EW{1'b0}} : ae;
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [EW-1:0]    y;
    /* verilator lint_on UNUSEDSIGNAL */

    generate
        if (SHIFT > 0) begin : g_right
            wire signed [EW-1:0] fl      = x >>> AS;
            wire        [AS-1:0] rem     = x[AS-1:0];
            wire        [AS-1:0] lowmask = {AS{1'b1}} >> 1;
            wire                 half    = rem[AS-1];
            wire                 below   = |(rem & lowmask);
            wire                 up      = (ROUND == 1) ? half :
                                           (ROUND == 2) ? (half & (below | fl[0])) : 1'b0;
            assign y = fl + {{(EW-1){1'b0}}, up};
        end else begin : g_left
            assign y = x <<< AS;
        end
    endgenerate

    wire signed [EW-1:0] maxv = (OUT_SIGNED != 0) ? (ONE << (OUT_W - 1)) - ONE : (ONE << OUT_W) - ONE;
    wire signed [EW-1:0] minv = (OUT_SIGNED != 0) ? ~maxv : {EW{1'b0}};
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [EW-1:0] sat  = (y > maxv) ? maxv : (y < minv) ? minv : y;
    /* verilator lint_on UNUSEDSIGNAL */

    assign out = (SAT != 0) ? sat[OUT_W-1:0] : y[OUT_W-1:0];
endmodule
`default_nettype wire
