// axis_in: AXI4-Stream input adapter (format: fpga/beats.py) -> internal pixel stream.
// s_axis: one pixel per beat, channel c at tdata[c*DATA_W +: DATA_W], tdata padded to
// TDATA_W bits (ignored upper bits), tlast on the last pixel of a frame. m: the C*DATA_W
// low bits. Frames are PIXELS pixels, counted here; tlast must sit on pixel PIXELS-1. A
// misplaced tlast is an error event: tlast_err goes (and stays) high and tlast_errs (16 bits,
// saturating) counts the events, both until reset. Framing recovers by itself, so that the
// next well-formed frame is exact:
//   * early tlast (short frame): the frame is completed with zero pixels (s_axis_tready low
//     meanwhile) and goes through the network like any other; 1 event;
//   * missing tlast: the frame ends after PIXELS beats as counted; 1 event;
//   * late tlast (long frame): the first PIXELS beats make a frame (its tlast is missing), the
//     extra beats up to the tlast make another, completed with zeros; 2 events.
// So every beat taken is used, and each frame in gives exactly one frame out.
// The pixel passes a skid (2-entry register slice): s_axis_tready is the AND of two
// flip-flops (the skid's ready and !pad), m_tvalid and m_tdata are flip-flops, no path from an
// input port to an output port. One beat per cycle; latency 1 (fpga/rtl/blocks.py:
// axis_in_latency). FFs: 2*C*DATA_W + counter + 23. rst registered here.
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
    output reg                  tlast_err,
    output reg  [15:0]          tlast_errs
);
    localparam integer CW = (PIXELS > 1) ? $clog2(PIXELS) : 1;
    /* verilator lint_off WIDTHTRUNC */
    localparam [CW-1:0] C_LAST = PIXELS - 1;
    /* verilator lint_on WIDTHTRUNC */

    reg rst_q;
    always @(posedge clk) rst_q <= rst;

    reg  pad;                // completing a frame cut short by an early tlast with zeros
    wire sk_ready;
    skid #(.WIDTH(C*DATA_W)) u_skid (
        .clk(clk), .rst(rst), .s_tdata(pad ? {C*DATA_W{1'b0}} : s_axis_tdata[C*DATA_W-1:0]),
        .s_tvalid(pad || s_axis_tvalid), .s_tready(sk_ready),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready));
    assign s_axis_tready = sk_ready && !pad;

    reg  [CW-1:0] cnt;
    reg           last;      // == (cnt == C_LAST), a flip-flop
    wire take = s_axis_tvalid && s_axis_tready;
    wire fill = pad && sk_ready;          // a zero pixel enters the skid
    wire bad  = take && (s_axis_tlast != last);

    always @(posedge clk) begin
        if (rst_q) begin
            cnt        <= {CW{1'b0}};
            last       <= (PIXELS == 1);
            pad        <= 1'b0;
            tlast_err  <= 1'b0;
            tlast_errs <= 16'd0;
        end else begin
            if (take || fill) begin
                cnt  <= last ? {CW{1'b0}} : cnt + 1'b1;
                last <= (PIXELS == 1) || (cnt == C_LAST - 1'b1);
            end
            if (take && s_axis_tlast && !last) pad <= 1'b1;
            else if (fill && last)             pad <= 1'b0;
            if (bad) begin
                tlast_err <= 1'b1;
                if (~&tlast_errs) tlast_errs <= tlast_errs + 1'b1;
            end
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
