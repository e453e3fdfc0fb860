// Test-only wrapper: a Fire-module-like fork/rejoin, wired as the generator will wire it:
//   s -> stream_fork -> [a] mac 1x1 -> fifo(DEPTH) --\
//                    -> [b] window 3x3 pad 1 -> mac --> concat {b, a} -> m
// Checks that the FIFO sizing rule of README.md (DEPTH >= (KH-PT)*W + 32) avoids deadlock.
`default_nettype none
module fire_tb #(
    parameter integer H = 5, W = 6, CIN = 3, IN_W = 8,
    parameter integer E1 = 4, PE1 = 2, SIMD1 = 3,
    parameter integer E3 = 4, PE3 = 2, SIMD3 = 9,
    parameter integer W_W = 6, B_W = 8, OUT_W = 8, SHIFT = 6,
    parameter integer DEPTH = 44,
    parameter MEM_A = "a", MEM_B = "b"
) (
    input  wire                        clk,
    input  wire                        rst,
    input  wire [CIN*IN_W-1:0]         s_tdata,
    input  wire                        s_tvalid,
    output wire                        s_tready,
    output wire [(E1+E3)*OUT_W-1:0]    m_tdata,
    output wire                        m_tvalid,
    input  wire                        m_tready
);
    wire [CIN*IN_W-1:0] px;
    wire [1:0] f_valid, f_ready;
    stream_fork #(.WIDTH(CIN*IN_W), .N(2)) u_fork (
        .clk(clk), .rst(rst), .s_tdata(s_tdata), .s_tvalid(s_tvalid), .s_tready(s_tready),
        .m_tdata(px), .m_tvalid(f_valid), .m_tready(f_ready));

    // branch a: 1x1 conv + skew FIFO
    wire [E1*OUT_W-1:0] a1, a2;
    wire a1_valid, a1_ready, a2_valid, a2_ready;
    mac #(.K(CIN), .COUT(E1), .IN_W(IN_W), .W_W(W_W), .B_W(B_W), .PE(PE1), .SIMD(SIMD1),
          .OUT_W(OUT_W), .SHIFT(SHIFT), .ROUND(2), .RELU(1), .MEM_PREFIX(MEM_A)) u_mac_a (
        .clk(clk), .rst(rst), .s_tdata(px), .s_tvalid(f_valid[0]), .s_tready(f_ready[0]),
        .m_tdata(a1), .m_tvalid(a1_valid), .m_tready(a1_ready));
    fifo #(.WIDTH(E1*OUT_W), .DEPTH(DEPTH)) u_skew (
        .clk(clk), .rst(rst), .s_tdata(a1), .s_tvalid(a1_valid), .s_tready(a1_ready),
        .m_tdata(a2), .m_tvalid(a2_valid), .m_tready(a2_ready));

    // branch b: 3x3 'same' conv
    wire [9*CIN*IN_W-1:0] win;
    wire win_valid, win_ready;
    wire [E3*OUT_W-1:0] b1;
    wire b1_valid, b1_ready;
    window #(.H(H), .W(W), .C(CIN), .DATA_W(IN_W), .KH(3), .KW(3), .SH(1), .SW(1),
             .PT(1), .PB(1), .PL(1), .PR(1)) u_win (
        .clk(clk), .rst(rst), .s_tdata(px), .s_tvalid(f_valid[1]), .s_tready(f_ready[1]),
        .m_tdata(win), .m_tvalid(win_valid), .m_tready(win_ready));
    mac #(.K(9*CIN), .COUT(E3), .IN_W(IN_W), .W_W(W_W), .B_W(B_W), .PE(PE3), .SIMD(SIMD3),
          .OUT_W(OUT_W), .SHIFT(SHIFT), .ROUND(2), .RELU(1), .MEM_PREFIX(MEM_B)) u_mac_b (
        .clk(clk), .rst(rst), .s_tdata(win), .s_tvalid(win_valid), .s_tready(win_ready),
        .m_tdata(b1), .m_tvalid(b1_valid), .m_tready(b1_ready));

    concat #(.A_BITS(E1*OUT_W), .B_BITS(E3*OUT_W)) u_cat (
        .clk(clk), .rst(rst),
        .a_tdata(a2), .a_tvalid(a2_valid), .a_tready(a2_ready),
        .b_tdata(b1), .b_tvalid(b1_valid), .b_tready(b1_ready),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready));
endmodule
`default_nettype wire
