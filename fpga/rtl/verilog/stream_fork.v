// stream_fork: one stream to N consumers (`fork` is a Verilog keyword); every beat is delivered to all N (each exactly once).
//
// Eager fork: output i sees m_tvalid[i] = s_tvalid && !done[i]; done[i] records that consumer
// i took the current beat while others have not yet. The input beat is accepted
// (s_tready = 1) in the cycle where every consumer has either taken it before or takes it
// now. m_tdata is shared. Combinational paths: s_tvalid -> m_tvalid and m_tready -> s_tready
// only (m_tvalid never depends on m_tready), so no combinational loop can form. No added
// latency; one beat per cycle when all consumers are ready.
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
    reg [N-1:0] done;

    assign m_tdata  = s_tdata;
    assign m_tvalid = {N{s_tvalid}} & ~done;
    assign s_tready = &(done | m_tready);

    always @(posedge clk) begin
        if (rst) begin
            done <= {N{1'b0}};
        end else if (s_tvalid && s_tready) begin
            done <= {N{1'b0}};
        end else begin
            done <= done | (m_tvalid & m_tready);
        end
    end
endmodule
`default_nettype wire
