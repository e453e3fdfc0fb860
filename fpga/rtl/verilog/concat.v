// concat: channel concatenation of two pixel streams with the same number of beats per frame.
// Output beat = {b, a}: the A_BITS of stream a in the low bits (channels of a first), then
// the B_BITS of b (channels of b follow). A beat is taken from both inputs at once, into a
// registered output (one beat per cycle). a_tready/b_tready depend on m_tready and the other
// input's valid (a join); no path from m_tready to m_tvalid.
`default_nettype none
module concat #(
    parameter integer A_BITS = 8,
    parameter integer B_BITS = 8
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire [A_BITS-1:0]        a_tdata,
    input  wire                     a_tvalid,
    output wire                     a_tready,
    input  wire [B_BITS-1:0]        b_tdata,
    input  wire                     b_tvalid,
    output wire                     b_tready,
    output reg  [A_BITS+B_BITS-1:0] m_tdata,
    output reg                      m_tvalid,
    input  wire                     m_tready
);
    wire room = !m_tvalid || m_tready;
    wire take = a_tvalid && b_tvalid && room;

    assign a_tready = b_tvalid && room;
    assign b_tready = a_tvalid && room;

    always @(posedge clk) begin
        if (rst) begin
            m_tvalid <= 1'b0;
        end else if (take) begin
            m_tvalid <= 1'b1;
        end else if (m_tready) begin
            m_tvalid <= 1'b0;
        end
        if (take) m_tdata <= {b_tdata, a_tdata};
    end
endmodule
`default_nettype wire
