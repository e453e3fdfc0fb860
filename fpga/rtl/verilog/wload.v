// wload: one mac's stage of the weight-load chain (`fpga rtl --weights load`).
//
// The load port's payload words (32 bits, fpga/beats.py weight_image) leave ctrl_regs.v and
// pass through every mac in generator order, one register stage per mac. Each stage keeps the
// first WORDS words that reach it after a start token and forwards the rest, so no stage needs
// a global address and every hop is a flip-flop (the chain may cross the whole chip).
// The words a stage keeps, in order (each memory word split into ceil(bits/32) 32-bit pieces,
// least significant piece first; the last piece's unused high bits are ignored):
//   bias memory: NF words of BWORD bits (word nf = bias[nf*PE + p] in field p), then
//   weight bank p = 0..PE-1: STEPS words of WWORD bits each (mac.v's ROM layout).
// WORDS = NF*PB + PE*STEPS*PW (blocks.wload_words). A memory word is written one cycle after
// its last piece arrived, from the assembly register itself (its next piece lands in the same
// edge, which the memory does not see). rst (ap_rst_n, registered by the caller) clears the
// stage; the datapath's soft reset does not touch it. Cost: the assembly register (the wider
// memory word rounded up to 32 bits), 66 chain flip-flops, counters and a one-hot bank select
// of PE flip-flops (blocks.wload_ff / wload_lut).
`default_nettype none
module wload #(
    parameter integer PE    = 1,
    parameter integer NF    = 1,
    parameter integer STEPS = 1,
    parameter integer BWORD = 8,     // bias memory word: PE*B_W
    parameter integer WWORD = 8,     // weight bank word: SIMD*W_W
    parameter integer NFW   = 1,     // bias address width (mac.v's)
    parameter integer AW    = 1      // weight address width (mac.v's)
) (
    input  wire              clk,
    input  wire              rst,
    input  wire              in_start,
    input  wire              in_valid,
    input  wire [31:0]       in_data,
    output reg               out_start,
    output reg               out_valid,
    output reg  [31:0]       out_data,
    output reg               b_we,
    output reg  [NFW-1:0]    b_addr,
    output wire [BWORD-1:0]  b_data,
    output reg  [PE-1:0]     w_we,
    output reg  [AW-1:0]     w_addr,
    output wire [WWORD-1:0]  w_data
);
    localparam integer PB   = (BWORD + 31) / 32;
    localparam integer PW   = (WWORD + 31) / 32;
    localparam integer MAXP = (PB > PW) ? PB : PW;
    localparam integer PCW  = (MAXP > 1) ? $clog2(MAXP) : 1;
    localparam integer WORDS = NF * PB + PE * STEPS * PW;
    localparam integer CW   = $clog2(WORDS + 1);
    /* verilator lint_off WIDTHTRUNC */
    localparam [PCW-1:0] PB_LAST = PB - 1;
    localparam [PCW-1:0] PW_LAST = PW - 1;
    localparam [NFW-1:0] NF_LAST = NF - 1;
    localparam [AW-1:0]  ST_LAST = STEPS - 1;
    localparam [CW-1:0]  N_WORDS = WORDS;
    localparam [PE-1:0]  BANK0   = 1;
    /* verilator lint_on WIDTHTRUNC */

    /* verilator lint_off UNUSEDSIGNAL */
    reg [MAXP*32-1:0] sh;          // the memory word being assembled (the narrower memory
                                   // and the last piece's spare bits leave bits unused)
    /* verilator lint_on UNUSEDSIGNAL */
    reg [PCW-1:0]     piece;
    reg [CW-1:0]      taken;       // words kept since the start token
    reg               mine;        // taken < WORDS
    reg               in_bias;     // assembling a bias word (else a weight word)
    reg [NFW-1:0]     ba;          // next bias address
    reg [AW-1:0]      wa;          // next weight address
    reg [PE-1:0]      bank;        // one-hot: the weight bank being filled

    assign b_data = sh[BWORD-1:0];
    assign w_data = sh[WWORD-1:0];

    wire keep = in_valid && mine;
    wire last_piece = in_bias ? (piece == PB_LAST) : (piece == PW_LAST);

    integer i;
    always @(posedge clk) begin
        if (keep)
            for (i = 0; i < MAXP; i = i + 1)
                if (piece == i[PCW-1:0]) sh[i*32 +: 32] <= in_data;
        b_addr <= ba;
        w_addr <= wa;
        if (rst || in_start) begin
            out_start <= in_start && !rst;
            out_valid <= 1'b0;
            piece <= {PCW{1'b0}};
            taken <= {CW{1'b0}};
            mine <= 1'b1;
            in_bias <= 1'b1;
            ba <= {NFW{1'b0}};
            wa <= {AW{1'b0}};
            bank <= BANK0;
            b_we <= 1'b0;
            w_we <= {PE{1'b0}};
        end else begin
            out_start <= 1'b0;
            out_valid <= in_valid && !mine;
            b_we <= keep && last_piece && in_bias;
            w_we <= (keep && last_piece && !in_bias) ? bank : {PE{1'b0}};
            if (keep) begin
                taken <= taken + 1'b1;
                mine <= (taken + 1'b1) != N_WORDS;
                if (!last_piece) begin
                    piece <= piece + 1'b1;
                end else begin
                    piece <= {PCW{1'b0}};
                    if (in_bias) begin
                        ba <= ba + 1'b1;
                        if (ba == NF_LAST) in_bias <= 1'b0;
                    end else begin
                        if (wa == ST_LAST) begin
                            wa <= {AW{1'b0}};
                            bank <= bank << 1;
                        end else begin
                            wa <= wa + 1'b1;
                        end
                    end
                end
            end
        end
        out_data <= in_data;
    end
endmodule
`default_nettype wire
