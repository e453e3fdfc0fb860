// stream_join: the input half of a two-stream join (concat, add): one holding register per input
// (`join` is a Verilog keyword).
//
// a and b are taken independently into a_q / b_q (C*W bits each, the heads); the joined beat
// is {b_q, a_q} with j_tvalid = a_valid && b_valid, consumed on an edge where j_tvalid &&
// j_tready. Readies: a_tready = !a_valid || (j_tready && b_valid) (and symmetrically), a LUT
// of registers provided the parent drives j_tready from a register (add/concat drive it with
// !spare_valid); never a function of a_tvalid/b_tvalid, so no valid->ready path between the
// two producers. Full throughput (both heads refill in the cycle they are consumed).
// Latency 1. Cost: A_BITS + B_BITS + 2 FFs. rst is registered here.
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
    input  wire              j_tready
);
    reg rst_q;
    always @(posedge clk) rst_q <= rst;

    reg a_valid, b_valid;
    wire pop = a_valid && b_valid && j_tready;
    assign j_tvalid = a_valid && b_valid;
    assign a_tready = !rst_q && (!a_valid || (j_tready && b_valid));
    assign b_tready = !rst_q && (!b_valid || (j_tready && a_valid));

    always @(posedge clk) begin
        if (rst_q) begin
            a_valid <= 1'b0;
            b_valid <= 1'b0;
        end else begin
            if (a_tvalid && a_tready) a_valid <= 1'b1;
            else if (pop) a_valid <= 1'b0;
            if (b_tvalid && b_tready) b_valid <= 1'b1;
            else if (pop) b_valid <= 1'b0;
        end
        if (a_tvalid && a_tready) a_q <= a_tdata;
        if (b_tvalid && b_tready) b_q <= b_tdata;
    end
endmodule
`default_nettype wire
