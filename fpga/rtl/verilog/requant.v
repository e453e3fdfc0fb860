// requant: pipelined requantiser, exactly fpga.fixed.requantize on one value.
//
//   acc (ACC_W-bit signed raw integer, acc_frac fractional bits)
//   1. RELU != 0: clamp at 0
//   2. SHIFT = acc_frac - out_frac. SHIFT > 0: arithmetic right shift with rounding
//        ROUND 0 = TRN (floor), 1 = RND (half up, towards +inf), 2 = RND_CONV (half to even);
//      SHIFT <= 0: exact left shift by -SHIFT.
//   3. SAT != 0: clamp to the output range (OUT_SIGNED: [-2^(OUT_W-1), 2^(OUT_W-1)-1],
//      else [0, 2^OUT_W-1]); SAT == 0: wrap (keep the low OUT_W bits).
// All intermediate arithmetic is wide enough to be exact.
//
// Pipeline: stage 1 = steps 1 and 2 (ReLU gate, shift, round: an OR of the dropped bits and
// one increment carry chain), stage 2 = step 3 (range test of the high bits as AND/OR trees,
// no comparator, and the output mux). Both stages are registers that advance when en is high:
//   out = requant(acc presented at the LATENCY-th last clock edge with en high),
//   LATENCY = 2 (fpga/rtl/blocks.py: requant_latency). Tie en high in a pipeline that never
// stalls; then out follows acc by exactly LATENCY cycles.
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
    input  wire             clk,
    input  wire             en,
    input  wire [ACC_W-1:0] acc,
    output wire [OUT_W-1:0] out
);
    localparam integer AS = (SHIFT < 0) ? -SHIFT : SHIFT;
    localparam integer EW = ((ACC_W + AS > OUT_W) ? ACC_W + AS : OUT_W) + 2;
    // high bits that must all equal the sign for the value to be in range
    localparam integer HB = (OUT_SIGNED != 0) ? OUT_W - 1 : OUT_W;

    wire signed [ACC_W-1:0] a  = acc;
    wire signed [EW-1:0]    ae = {{(EW-ACC_W){a[ACC_W-1]}}, a};  // sign extension
    wire signed [EW-1:0]    x  = (RELU != 0 && a[ACC_W-1]) ? {EW{1'b0}} : ae;
    wire signed [EW-1:0]    y;

    // ------------------------------------------------------------------ stage 1
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

    reg [EW-1:0] y1;
    always @(posedge clk) if (en) y1 <= y;

    // ------------------------------------------------------------------ stage 2
    /* verilator lint_off UNUSEDSIGNAL */
    wire [EW-1:0]    yv   = y1;
    /* verilator lint_on UNUSEDSIGNAL */
    wire             neg  = yv[EW-1];
    wire [EW-2:HB]   high = yv[EW-2:HB];
    wire             hi   = !neg && (|high);               // y > max
    wire             lo   = (OUT_SIGNED != 0) ? (neg && !(&high)) : neg;  // y < min
    localparam [EW-1:0] ONE  = 1;
    localparam [EW-1:0] MAXE = (OUT_SIGNED != 0) ? (ONE << (OUT_W - 1)) - ONE : (ONE << OUT_W) - ONE;
    localparam [EW-1:0] MINE = (OUT_SIGNED != 0) ? ~MAXE : {EW{1'b0}};
    wire [OUT_W-1:0] maxv = MAXE[OUT_W-1:0];
    wire [OUT_W-1:0] minv = MINE[OUT_W-1:0];
    wire [OUT_W-1:0] low  = yv[OUT_W-1:0];

    reg [OUT_W-1:0] q;
    always @(posedge clk)
        if (en) q <= (SAT == 0) ? low : hi ? maxv : lo ? minv : low;
    assign out = q;
endmodule
`default_nettype wire
