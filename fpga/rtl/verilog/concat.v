// concat: channel concatenation of two pixel streams with the same number of beats per frame.
// Output beat = {b, a}: the A_BITS of stream a in the low bits (channels of a first), then
// the B_BITS of b (channels of b follow).
//
// Structure: stream_join (one head register per input) -> output with one spare entry. The
// heads drive m_* directly; when the consumer stalls a beat that was on m_* moves into the
// spare (A_BITS+B_BITS bits) and the heads freeze the cycle after (join ready = !spare_valid,
// a register). a_tready/b_tready (stream_join) and m_tvalid (spare_valid || both heads valid)
// are flip-flops computed a cycle ahead from next-state values; the spare's valid has two
// copies, a handshake one and one (no reset) that selects m_tdata = spare ? spare : {b_q, a_q}
// and enables the spare, so the wide fan-out never sits on a handshake net. No path from any
// input port to any output port except the data mux. One beat per cycle; latency 1
// (fpga/rtl/blocks.py: concat_latency). Cost: blocks.concat_ffs; a 2:1 mux per output bit.
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
    reg                      sp_valid;        // handshake copy (few loads)
    reg                      sp_sel;          // the same without reset: selects/enables the data
    reg                      mv;              // m_tvalid as a flip-flop
    wire [A_BITS-1:0]        a_q;
    wire [B_BITS-1:0]        b_q;
    wire                     j_valid, j_valid_nx;
    // next value of sp_valid (without, then with, the reset)
    wire sp_nr = sp_valid ? !m_tready : (j_valid && !m_tready);
    wire sp_n  = !rst_q && sp_nr;

    stream_join #(.A_BITS(A_BITS), .B_BITS(B_BITS)) u_join (
        .clk(clk), .rst(rst),
        .a_tdata(a_tdata), .a_tvalid(a_tvalid), .a_tready(a_tready),
        .b_tdata(b_tdata), .b_tvalid(b_tvalid), .b_tready(b_tready),
        .a_q(a_q), .b_q(b_q), .j_tvalid(j_valid), .j_tvalid_nx(j_valid_nx),
        .j_tready(!sp_valid), .j_tready_nx(!sp_n));

    assign m_tvalid = mv;
    assign m_tdata  = sp_sel ? sp_data : {b_q, a_q};

    always @(posedge clk) begin
        sp_valid <= sp_n;
        sp_sel   <= sp_nr;                    // (equal to sp_valid except during reset)
        mv       <= sp_n || j_valid_nx;       // = sp_valid || j_valid after this edge
        if (!sp_sel) sp_data <= {b_q, a_q};
    end
endmodule
`default_nettype wire
