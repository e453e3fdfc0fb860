// add: elementwise add of two pixel streams (bypass / residual), then requantise.
//
//   acc[c] = (a[c] << SHIFT_A) + (b[c] << SHIFT_B)    (exact; the shifts align both inputs
//            to the common acc_frac = max(frac_a, frac_b): SHIFT_A = acc_frac - frac_a, ...)
//   out[c] = requant(acc[c])  with SHIFT = acc_frac - out_frac, ROUND, RELU, OUT_SIGNED, SAT
//            (see requant.v), i.e. fpga.fixed.requantize.
// Streams: a (C values of A_W bits), b (C values of B_W bits), m (C values of OUT_W bits),
// channel c at [c*W +: W].
//
// Pipeline: stream_join heads (a_q, b_q) -> aligned sum register (C*ACC_W) -> requant
// (requant_latency() registered stages) -> m_*, with one spare output entry (C*OUT_W). Every
// stage is enabled by one signal adv = !spare_valid (a register): when the consumer stalls,
// the beat on m_* moves into the spare and the pipeline freezes from the next cycle; the spare
// drains first. Outputs: m_tvalid = spare_valid || last stage valid, a flip-flop computed a
// cycle ahead; m_tdata = spare_valid ? spare : requant out; a_tready/b_tready are stream_join's
// flip-flops. spare_valid has a handshake copy and a copy without reset for the wide loads (adv,
// the data mux). No path from any input port to any output port except the data mux.
// One beat per cycle; latency 2 + requant_latency() (fpga/rtl/blocks.py: add_latency).
// FFs: C*(A_W+B_W) heads + C*ACC_W sum + requant's stages + C*OUT_W spare (was C*OUT_W).
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
    output wire [C*OUT_W-1:0]  m_tdata,
    output wire                m_tvalid,
    input  wire                m_tready
);
    localparam integer ACC_W = ((A_W + SHIFT_A > B_W + SHIFT_B) ? A_W + SHIFT_A : B_W + SHIFT_B) + 2;
    localparam integer RQ_LAT = 2;   // requant.v latency (blocks.py: requant_latency)

    reg rst_q;
    always @(posedge clk) rst_q <= rst;

    reg                 sp_valid;             // handshake copy (few loads)
    reg                 sp_sel;               // the same without reset: the wide loads
    reg                 mv;                   // m_tvalid as a flip-flop
    reg [C*OUT_W-1:0]   sp_data;
    wire                adv = !sp_sel;        // advance every stage (a register)

    // valid of the sum stage (bit 0) and of each requant stage
    reg  [RQ_LAT:0] v;
    wire last_valid   = v[RQ_LAT];
    wire last_valid_n = !rst_q && (adv ? v[RQ_LAT-1] : v[RQ_LAT]);
    // next value of sp_valid (without, then with, the reset)
    wire sp_nr = sp_valid ? !m_tready : (last_valid && !m_tready);
    wire sp_n  = !rst_q && sp_nr;

    wire [C*A_W-1:0] a_q;
    wire [C*B_W-1:0] b_q;
    wire             j_valid;
    /* verilator lint_off UNUSEDSIGNAL */
    wire             j_valid_nx;           // (add registers its own m_tvalid from last_valid)
    /* verilator lint_on UNUSEDSIGNAL */
    stream_join #(.A_BITS(C*A_W), .B_BITS(C*B_W)) u_join (
        .clk(clk), .rst(rst),
        .a_tdata(a_tdata), .a_tvalid(a_tvalid), .a_tready(a_tready),
        .b_tdata(b_tdata), .b_tvalid(b_tvalid), .b_tready(b_tready),
        .a_q(a_q), .b_q(b_q), .j_tvalid(j_valid), .j_tvalid_nx(j_valid_nx),
        .j_tready(!sp_valid), .j_tready_nx(!sp_n));

    always @(posedge clk) begin
        if (rst_q) v <= {(RQ_LAT+1){1'b0}};
        else if (adv) v <= {v[RQ_LAT-1:0], j_valid};
    end

    wire [C*OUT_W-1:0] q;
    genvar c;
    generate
        for (c = 0; c < C; c = c + 1) begin : g_ch
            wire [A_W-1:0] au = a_q[c*A_W +: A_W];
            wire [B_W-1:0] bu = b_q[c*B_W +: B_W];
            wire signed [ACC_W-1:0] ae = {{(ACC_W-A_W){(A_SIGNED != 0) & au[A_W-1]}}, au};
            wire signed [ACC_W-1:0] be = {{(ACC_W-B_W){(B_SIGNED != 0) & bu[B_W-1]}}, bu};
            reg  signed [ACC_W-1:0] sum;
            always @(posedge clk) if (adv) sum <= (ae <<< SHIFT_A) + (be <<< SHIFT_B);
            requant #(.ACC_W(ACC_W), .OUT_W(OUT_W), .SHIFT(SHIFT), .ROUND(ROUND), .RELU(RELU),
                      .OUT_SIGNED(OUT_SIGNED), .SAT(SAT))
                u_rq (.clk(clk), .en(adv), .acc(sum), .out(q[c*OUT_W +: OUT_W]));
        end
    endgenerate

    assign m_tvalid = mv;
    assign m_tdata  = sp_sel ? sp_data : q;

    always @(posedge clk) begin
        sp_valid <= sp_n;
        sp_sel   <= sp_nr;                    // (equal to sp_valid except during reset)
        mv       <= sp_n || last_valid_n;     // = sp_valid || last_valid after this edge
        if (!sp_sel) sp_data <= q;
    end
endmodule
`default_nettype wire
