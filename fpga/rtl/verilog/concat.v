// concat: channel concatenation of two pixel streams with the same number of beats per frame.
// Output beat = {b, a}: the A_BITS of stream a in the low bits (channels of a first), then
// the B_BITS of b (channels of b follow).
//
// Structure: stream_join (one head register per input) -> output with one spare entry. The
// heads drive m_* directly; when the consumer stalls a beat that was on m_* moves into the
// spare (A_BITS+B_BITS bits) and the heads freeze the cycle after (join ready = !spare_valid,
// a register). So: a_tready/b_tready = LUT(heads' valid, spare_valid), m_tvalid =
// spare_valid || both heads valid, m_tdata = spare_valid ? spare : {b_q, a_q}: every output
// is a register or one LUT of registers, no path from any input port to any output port.
// One beat per cycle; latency 1 (fpga/rtl/blocks.py: concat_latency). Cost 2*(A_BITS+B_BITS)
// + 5 FFs (was A_BITS+B_BITS+1) and a 2:1 mux per output bit.
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
    output wire [A_BITS+B_BITS-1:0] m_tdata,
    output wire                     m_tvalid,
    input  wire                     m_tready
);
    reg rst_q;
    always @(posedge clk) rst_q <= rst;

    reg  [A_BITS+B_BITS-1:0] sp_data;
    reg                      sp_valid;
    wire [A_BITS-1:0]        a_q;
    wire [B_BITS-1:0]        b_q;
    wire                     j_valid;

    stream_join #(.A_BITS(A_BITS), .B_BITS(B_BITS)) u_join (
        .clk(clk), .rst(rst),
        .a_tdata(a_tdata), .a_tvalid(a_tvalid), .a_tready(a_tready),
        .b_tdata(b_tdata), .b_tvalid(b_tvalid), .b_tready(b_tready),
        .a_q(a_q), .b_q(b_q), .j_tvalid(j_valid), .j_tready(!sp_valid));

    assign m_tvalid = sp_valid || j_valid;
    assign m_tdata  = sp_valid ? sp_data : {b_q, a_q};

    always @(posedge clk) begin
        if (rst_q) sp_valid <= 1'b0;
        else if (sp_valid) sp_valid <= !m_tready;
        else sp_valid <= j_valid && !m_tready;
        if (!sp_valid) sp_data <= {b_q, a_q};
    end
endmodule
`default_nettype wire
