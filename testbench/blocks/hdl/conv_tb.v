// Test-only wrapper: window -> mac, i.e. one conv layer as the generator will wire it.
`default_nettype none
module conv_tb #(
    parameter integer H = 8, W = 8, CIN = 2, IN_W = 8, IN_SIGNED = 0,
    parameter integer KH = 3, KW = 3, SH = 1, SW = 1, PT = 1, PB = 1, PL = 1, PR = 1,
    parameter integer COUT = 4, W_W = 8, B_W = 8, BIAS_SHIFT = 0, PE = 1, SIMD = 1,
    parameter integer OUT_W = 8, OUT_SIGNED = 0, SHIFT = 0, ROUND = 0, RELU = 0, SAT = 1,
    parameter MEM_PREFIX = "conv"
) (
    input  wire                  clk,
    input  wire                  rst,
    input  wire [CIN*IN_W-1:0]   s_tdata,
    input  wire                  s_tvalid,
    output wire                  s_tready,
    output wire [COUT*OUT_W-1:0] m_tdata,
    output wire                  m_tvalid,
    input  wire                  m_tready
);
    localparam integer K = KH * KW * CIN;
    wire [K*IN_W-1:0] win;
    wire win_valid, win_ready;

    window #(.H(H), .W(W), .C(CIN), .DATA_W(IN_W), .KH(KH), .KW(KW), .SH(SH), .SW(SW),
             .PT(PT), .PB(PB), .PL(PL), .PR(PR)) u_win (
        .clk(clk), .rst(rst), .s_tdata(s_tdata), .s_tvalid(s_tvalid), .s_tready(s_tready),
        .m_tdata(win), .m_tvalid(win_valid), .m_tready(win_ready));

    mac #(.K(K), .COUT(COUT), .IN_W(IN_W), .IN_SIGNED(IN_SIGNED), .W_W(W_W), .B_W(B_W),
          .BIAS_SHIFT(BIAS_SHIFT), .PE(PE), .SIMD(SIMD), .OUT_W(OUT_W), .OUT_SIGNED(OUT_SIGNED),
          .SHIFT(SHIFT), .ROUND(ROUND), .RELU(RELU), .SAT(SAT), .MEM_PREFIX(MEM_PREFIX)) u_mac (
        .clk(clk), .rst(rst), .s_tdata(win), .s_tvalid(win_valid), .s_tready(win_ready),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready));
endmodule
`default_nettype wire
