// axis_out: final beat (NCLASS values of OUT_W bits, class i at [i*OUT_W +: OUT_W]) ->
// AXI4-Stream output per fpga/beats.py: one 32-bit beat per class, class 0 first, the raw value
// sign-extended (OUT_SIGNED) or zero-extended to 32 bits, tlast on the last class.
// NCLASS beats per input beat; the next input beat is taken while the last class goes out
// (no bubble between frames). m_axis_* are driven from registers. OUT_W <= 32.
`default_nettype none
module axis_out #(
    parameter integer NCLASS     = 10,
    parameter integer OUT_W      = 8,
    parameter integer OUT_SIGNED = 1
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire [NCLASS*OUT_W-1:0] s_tdata,
    input  wire                    s_tvalid,
    output wire                    s_tready,
    output wire [31:0]             m_axis_tdata,
    output reg                     m_axis_tvalid,
    input  wire                    m_axis_tready,
    output wire                    m_axis_tlast
);
    localparam integer IW = (NCLASS > 1) ? $clog2(NCLASS) : 1;
    /* verilator lint_off WIDTHTRUNC */
    localparam [IW-1:0] I_LAST = NCLASS - 1;
    /* verilator lint_on WIDTHTRUNC */

    reg [NCLASS*OUT_W-1:0] buf_q;
    reg [IW-1:0]           idx;

    wire fire = m_axis_tvalid && m_axis_tready;
    assign m_axis_tlast = (idx == I_LAST);
    assign s_tready = !m_axis_tvalid || (m_axis_tlast && m_axis_tready);
    wire take = s_tvalid && s_tready;

    wire [OUT_W-1:0] v = buf_q[OUT_W-1:0];
    generate
        if (OUT_W < 32) begin : g_ext
            assign m_axis_tdata = {{(32-OUT_W){(OUT_SIGNED != 0) & v[OUT_W-1]}}, v};
        end else begin : g_noext
            assign m_axis_tdata = v[31:0];
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            m_axis_tvalid <= 1'b0;
            idx <= {IW{1'b0}};
        end else if (take) begin
            m_axis_tvalid <= 1'b1;
            idx <= {IW{1'b0}};
        end else if (fire) begin
            if (m_axis_tlast) m_axis_tvalid <= 1'b0;
            idx <= idx + 1'b1;
        end
        if (take) buf_q <= s_tdata;
        else if (fire) buf_q <= buf_q >> OUT_W;
    end
endmodule
`default_nettype wire
