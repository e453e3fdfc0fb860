// stream_fork: one stream to N consumers (`fork` is a Verilog keyword); every beat is delivered
// to all N, each exactly once, in order.
//
// The input goes through a skid (2-entry register slice), so s_tready, m_tdata and the beat
// valid are flip-flops. Eager fork behind it: output i sees m_tvalid[i] = v && !done[i]
// (one LUT of registers); done[i] records that consumer i took the current beat while others
// have not yet. The beat leaves the skid in the cycle where every consumer has either taken it
// before or takes it now. m_tdata is shared (the skid's output register). No path from any
// input port to any output port; m_tready only reaches register enables.
// Latency 1 (fpga/rtl/blocks.py: stream_fork_latency), one beat per cycle when all consumers
// are ready. Cost: 2*WIDTH + N + 3 FFs (the skid), was N.
`default_nettype none
module stream_fork #(
    parameter integer WIDTH = 8,
    parameter integer N     = 2
) (
    input  wire              clk,
    input  wire              rst,
    input  wire [WIDTH-1:0]  s_tdata,
    input  wire              s_tvalid,
    output wire              s_tready,
    output wire [WIDTH-1:0]  m_tdata,
    output wire [N-1:0]      m_tvalid,
    input  wire [N-1:0]      m_tready
);
    reg rst_q;
    always @(posedge clk) rst_q <= rst;

    reg  [N-1:0] done;
    wire v;                                // beat held in the skid's output register
    wire all_taken = &(done | m_tready);   // every consumer has it after this edge

    skid #(.WIDTH(WIDTH)) u_in (
        .clk(clk), .rst(rst), .s_tdata(s_tdata), .s_tvalid(s_tvalid), .s_tready(s_tready),
        .m_tdata(m_tdata), .m_tvalid(v), .m_tready(all_taken));

    assign m_tvalid = {N{v}} & ~done;

    always @(posedge clk) begin
        if (rst_q || (v && all_taken)) done <= {N{1'b0}};
        else done <= done | (m_tvalid & m_tready);
    end
endmodule
`default_nettype wire
