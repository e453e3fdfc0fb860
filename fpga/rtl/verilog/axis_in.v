// axis_in: AXI4-Stream input adapter (format: fpga/beats.py) -> internal pixel stream.
// s_axis: one pixel per beat, channel c at tdata[c*DATA_W +: DATA_W], tdata padded to
// TDATA_W bits (ignored upper bits), tlast on the last pixel of a frame. m: the C*DATA_W
// low bits. Frames are counted (PIXELS beats each); tlast is not needed for framing, but
// tlast_err goes (and stays) high if a tlast does not sit on pixel PIXELS-1 of a frame (or is
// missing there), to help debug a DMA length mismatch.
// The pixel passes a skid (2-entry register slice): s_axis_tready, m_tvalid, m_tdata are
// flip-flops, no path from any input port to any output port. One beat per cycle; latency 1
// (fpga/rtl/blocks.py: axis_in_latency). FFs: 2*C*DATA_W + counter + 5. rst registered here.
`default_nettype none
module axis_in #(
    parameter integer C       = 3,
    parameter integer DATA_W  = 8,
    parameter integer TDATA_W = 32,
    parameter integer PIXELS  = 16
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire [TDATA_W-1:0]   s_axis_tdata,
    input  wire                 s_axis_tvalid,
    output wire                 s_axis_tready,
    input  wire                 s_axis_tlast,
    output wire [C*DATA_W-1:0]  m_tdata,
    output wire                 m_tvalid,
    input  wire                 m_tready,
    output reg                  tlast_err
);
    localparam integer CW = (PIXELS > 1) ? $clog2(PIXELS) : 1;
    /* verilator lint_off WIDTHTRUNC */
    localparam [CW-1:0] C_LAST = PIXELS - 1;
    /* verilator lint_on WIDTHTRUNC */

    reg rst_q;
    always @(posedge clk) rst_q <= rst;

    skid #(.WIDTH(C*DATA_W)) u_skid (
        .clk(clk), .rst(rst), .s_tdata(s_axis_tdata[C*DATA_W-1:0]), .s_tvalid(s_axis_tvalid),
        .s_tready(s_axis_tready), .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready));

    reg  [CW-1:0] cnt;
    reg           last;      // == (cnt == C_LAST), a flip-flop
    wire take = s_axis_tvalid && s_axis_tready;

    always @(posedge clk) begin
        if (rst_q) begin
            cnt       <= {CW{1'b0}};
            last      <= (PIXELS == 1);
            tlast_err <= 1'b0;
        end else if (take) begin
            cnt  <= last ? {CW{1'b0}} : cnt + 1'b1;
            last <= (PIXELS == 1) || (cnt == C_LAST - 1'b1);
            if (s_axis_tlast != last) tlast_err <= 1'b1;
        end
    end

    generate
        if (TDATA_W > C*DATA_W) begin : g_pad
            /* verilator lint_off UNUSEDSIGNAL */
            wire [TDATA_W-C*DATA_W-1:0] unused_pad = s_axis_tdata[TDATA_W-1:C*DATA_W];
            /* verilator lint_on UNUSEDSIGNAL */
        end
    endgenerate
endmodule
`default_nettype wire
