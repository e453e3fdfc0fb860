// maxpool: PH x PW max pooling, stride SH x SW, valid padding (no padding), per channel max of
// raw integers (IN_SIGNED: two's complement compare, else unsigned).
//
// Input : pixels, C values of DATA_W bits per beat, H x W per frame (raster, back to back).
// Output: pixels, C values per beat, HOUT x WOUT per frame, HOUT = (H-PH)/SH + 1,
//         WOUT = (W-PW)/SW + 1.
// Built from the window block (line buffers) followed by a registered max over the PH*PW
// window values of each channel; same timing as window (about one output per SW cycles,
// input one pixel per cycle). Overlapping pools (3x3 stride 2) are handled like any window.
`default_nettype none
module maxpool #(
    parameter integer H         = 8,
    parameter integer W         = 8,
    parameter integer C         = 1,
    parameter integer DATA_W    = 8,
    parameter integer IN_SIGNED = 0,
    parameter integer PH        = 2,
    parameter integer PW        = 2,
    parameter integer SH        = 2,
    parameter integer SW        = 2,
    parameter         RAM_STYLE = "auto"   // line buffers, see window.v
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire [C*DATA_W-1:0]  s_tdata,
    input  wire                 s_tvalid,
    output wire                 s_tready,
    output reg  [C*DATA_W-1:0]  m_tdata,
    output reg                  m_tvalid,
    input  wire                 m_tready
);
    localparam integer N = PH * PW;

    wire [N*C*DATA_W-1:0] win;
    wire                  win_valid;
    wire                  win_ready = !m_tvalid || m_tready;

    window #(.H(H), .W(W), .C(C), .DATA_W(DATA_W), .KH(PH), .KW(PW), .SH(SH), .SW(SW),
             .PT(0), .PB(0), .PL(0), .PR(0), .RAM_STYLE(RAM_STYLE)) u_win (
        .clk(clk), .rst(rst),
        .s_tdata(s_tdata), .s_tvalid(s_tvalid), .s_tready(s_tready),
        .m_tdata(win), .m_tvalid(win_valid), .m_tready(win_ready)
    );

    // per channel max over the window (value index n*C + c)
    wire [C*DATA_W-1:0] mx;
    genvar c;
    generate
        for (c = 0; c < C; c = c + 1) begin : g_ch
            reg [DATA_W-1:0] m;
            integer n;
            always @* begin
                m = win[c*DATA_W +: DATA_W];
                for (n = 1; n < N; n = n + 1) begin
                    if (IN_SIGNED != 0) begin
                        if ($signed(win[(n*C + c)*DATA_W +: DATA_W]) > $signed(m))
                            m = win[(n*C + c)*DATA_W +: DATA_W];
                    end else begin
                        if (win[(n*C + c)*DATA_W +: DATA_W] > m)
                            m = win[(n*C + c)*DATA_W +: DATA_W];
                    end
                end
            end
            assign mx[c*DATA_W +: DATA_W] = m;
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            m_tvalid <= 1'b0;
        end else if (win_valid && win_ready) begin
            m_tvalid <= 1'b1;
        end else if (m_tready) begin
            m_tvalid <= 1'b0;
        end
        if (win_valid && win_ready) m_tdata <= mx;
    end
endmodule
`default_nettype wire
