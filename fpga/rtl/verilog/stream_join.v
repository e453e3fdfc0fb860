// stream_join: the input half of a two-stream join (concat, add): one holding register per input
// (`join` is a Verilog keyword).
//
// a and b are taken independently into a_q / b_q (the heads); the joined beat is {b_q, a_q}
// with j_tvalid = a_valid && b_valid, consumed on an edge where j_tvalid && j_tready.
// Readies: a_tready = !a_valid || (j_tready && b_valid) (and symmetrically), kept as
// flip-flops: each is computed one cycle ahead from the next-state values, for which the
// parent gives j_tready_nx (the value j_tready takes after this edge). So a_tready/b_tready
// are registers (no LUT, no internal fan-out on the port), never a function of
// a_tvalid/b_tvalid in the same cycle. The heads load whenever they may (a_ld: the same next
// value without the reset term, a separate flip-flop so the head's WIDTH clock enables are
// not on the port's net): a head loaded without a beat is not valid, so it is never used.
// j_tvalid_nx (a_valid && b_valid after this edge) lets the parent register its own m_tvalid.
// Full throughput (both heads refill in the cycle they are consumed). Latency 1.
// Cost: A_BITS + B_BITS + 6 FFs (+ rst_q). rst is registered here.
`default_nettype none
module stream_join #(
    parameter integer A_BITS = 8,
    parameter integer B_BITS = 8
) (
    input  wire              clk,
    input  wire              rst,
    input  wire [A_BITS-1:0] a_tdata,
    input  wire              a_tvalid,
    output wire              a_tready,
    input  wire [B_BITS-1:0] b_tdata,
    input  wire              b_tvalid,
    output wire              b_tready,
    output reg  [A_BITS-1:0] a_q,
    output reg  [B_BITS-1:0] b_q,
    output wire              j_tvalid,
    output wire              j_tvalid_nx,
    input  wire              j_tready,
    input  wire              j_tready_nx
);
    reg rst_q;
    always @(posedge clk) rst_q <= rst;

    reg a_valid, b_valid;
    reg a_rdy, b_rdy;                          // a_tready, b_tready
    reg a_ld, b_ld;                            // head enables (same value, no reset term)
    wire pop       = a_valid && b_valid && j_tready;
    wire a_valid_n = !rst_q && ((a_tvalid && a_rdy) || (a_valid && !pop));
    wire b_valid_n = !rst_q && ((b_tvalid && b_rdy) || (b_valid && !pop));
    wire a_rdy_n   = !a_valid_n || (j_tready_nx && b_valid_n);
    wire b_rdy_n   = !b_valid_n || (j_tready_nx && a_valid_n);
    assign a_tready    = a_rdy;
    assign b_tready    = b_rdy;
    assign j_tvalid    = a_valid && b_valid;
    assign j_tvalid_nx = a_valid_n && b_valid_n;

    always @(posedge clk) begin
        a_valid <= a_valid_n;
        b_valid <= b_valid_n;
        a_rdy   <= !rst && a_rdy_n;            // (rst: the value of rst_q after this edge)
        b_rdy   <= !rst && b_rdy_n;
        a_ld    <= a_rdy_n;
        b_ld    <= b_rdy_n;
        if (a_ld) a_q <= a_tdata;
        if (b_ld) b_q <= b_tdata;
    end
endmodule
`default_nettype wire
