// add: elementwise add of two pixel streams (bypass / residual), then requantise.
//
//   acc[c] = (a[c] << SHIFT_A) + (b[c] << SHIFT_B)    (exact; the shifts align both inputs
//            to the common acc_frac = max(frac_a, frac_b): SHIFT_A = acc_frac - frac_a, ...)
//   out[c] = requant(acc[c])  with SHIFT = acc_frac - out_frac, ROUND, RELU, OUT_SIGNED, SAT
//            (see requant.v), i.e. fpga.fixed.requantize.
// Streams: a (C values of A_W bits), b (C values of B_W bits), m (C values of OUT_W bits),
// channel c at [c*W +: W]. A beat is taken from both inputs at once into a registered output
// (one beat per cycle); a_tready/b_tready form a join (depend on the other valid and m_tready).
`default_nettype none
module add #(
    parameter integer C          = 1,
    parameter integer A_W        = 8,
    parameter integer A_SIGNED   = 1,
    parameter integer B_W        = 8,
    parameter integer B_SIGNED   = 1,
    parameter integer SHIFT_A    = 0,
    parameter integer SHIFT_B    = 0,
    parameter integer OUT_W      = 8,
    parameter integer OUT_SIGNED = 1,
    parameter integer SHIFT      = 0,
    parameter integer ROUND      = 0,
    parameter integer RELU       = 0,
    parameter integer SAT        = 1
) (
    input  wire                clk,
    input  wire                rst,
    input  wire [C*A_W-1:0]    a_tdata,
    input  wire                a_tvalid,
    output wire                a_tready,
    input  wire [C*B_W-1:0]    b_tdata,
    input  wire                b_tvalid,
    output wire                b_tready,
    output reg  [C*OUT_W-1:0]  m_tdata,
    output reg                 m_tvalid,
    input  wire                m_tready
);
    localparam integer ACC_W = ((A_W + SHIFT_A > B_W + SHIFT_B) ? A_W + SHIFT_A : B_W + SHIFT_B) + 2;

    wire room = !m_tvalid || m_tready;
    wire take = a_tvalid && b_tvalid && room;
    assign a_tready = b_tvalid && room;
    assign b_tready = a_tvalid && room;

    wire [C*OUT_W-1:0] q;
    genvar c;
    generate
        for (c = 0; c < C; c = c + 1) begin : g_ch
            wire [A_W-1:0] au = a_tdata[c*A_W +: A_W];
            wire [B_W-1:0] bu = b_tdata[c*B_W +: B_W];
            wire signed [ACC_W-1:0] ae = {{(ACC_W-A_W){(A_SIGNED != 0) & au[A_W-1]}}, au};
            wire signed [ACC_W-1:0] be = {{(ACC_W-B_W){(B_SIGNED != 0) & bu[B_W-1]}}, bu};
            wire signed [ACC_W-1:0] acc = (ae <<< SHIFT_A) + (be <<< SHIFT_B);
            requant #(.ACC_W(ACC_W), .OUT_W(OUT_W), .SHIFT(SHIFT), .ROUND(ROUND), .RELU(RELU),
                      .OUT_SIGNED(OUT_SIGNED), .SAT(SAT))
                u_rq (.acc(acc), .out(q[c*OUT_W +: OUT_W]));
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            m_tvalid <= 1'b0;
        end else if (take) begin
            m_tvalid <= 1'b1;
        end else if (m_tready) begin
            m_tvalid <= 1'b0;
        end
        if (take) m_tdata <= q;
    end
endmodule
`default_nettype wire
