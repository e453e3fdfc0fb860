// maxpool: PH x PW max pooling, stride SH x SW, valid padding, per channel max of raw integers
// (IN_SIGNED: two's complement compare, else unsigned). Overlapping pools (3x3 stride 2) are
// supported up to PH <= 2*SH and PW <= 2*SW (at most two pools open per axis).
//
// Input : pixels, C values of DATA_W bits per beat, H x W per frame (raster, back to back).
// Output: pixels, C values per beat, HOUT x WOUT per frame, HOUT = (H-PH)/SH + 1,
//         WOUT = (W-PW)/SW + 1 (raster order).
//
// Why not a window + compare tree: a 3x3xC window register and 8 comparators per channel cost
// about 240 LUTs per channel (31k LUTs for 128 channels), while pooled layers see one pixel
// every tens of cycles. So the max is separable and channel-serial:
//   * an accepted pixel is registered and processed LANES channels (one chunk) per cycle,
//     NCH = C/LANES cycles per pixel; the next pixel is accepted in the last chunk's cycle;
//   * stage 0 (horizontal): two running maxima per chunk (pool column ox in slot ox mod 2),
//     small arrays indexed by chunk; a pixel updates the pool(s) whose columns contain it and
//     the pool ending at this column goes on to
//   * stage 1 (vertical): two running maxima per (pool column, chunk) in one ram_sdp of
//     WOUT*NCH words of 2*LANES*DATA_W bits (pool row oy in half oy mod 2), read in stage 0,
//     updated in stage 1; a pool ending at this row writes its chunk into the output buffer,
//     the last chunk loads the output register.
// So LUTs scale with LANES (comparators) plus a C*DATA_W/4-ish chunk mux; FFs with C*DATA_W
// (pixel register, output buffer, output register). Throughput: one pixel per NCH cycles;
// output back-pressure stalls both stages only when a finished pixel cannot be handed on.
// Outputs come in bursts (a pool row ends on every SH-th input row), so OUT_FIFO pixels of
// output FIFO (fifo.v) keep a slower consumer from stalling the input during the burst.
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
    parameter integer LANES     = C,       // channels per cycle, divides C
    parameter integer OUT_FIFO  = 0,       // output FIFO depth in pixels (0: none)
    parameter         RAM_STYLE = "auto"   // column maxima memory, see ram_sdp.v
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire [C*DATA_W-1:0]  s_tdata,
    input  wire                 s_tvalid,
    output wire                 s_tready,
    output wire [C*DATA_W-1:0]  m_tdata,
    output wire                 m_tvalid,
    input  wire                 m_tready
);
    // the pool's own output register (p_*), then the optional output FIFO
    reg  [C*DATA_W-1:0] p_tdata;
    reg                 p_tvalid;
    wire                p_tready;
    localparam integer NCH  = C / LANES;
    localparam integer LW   = LANES * DATA_W;
    localparam integer HOUT = (H - PH) / SH + 1;
    localparam integer WOUT = (W - PW) / SW + 1;
    localparam integer KW_  = (NCH > 1) ? $clog2(NCH) : 1;
    localparam integer DEP  = WOUT * NCH;
    localparam integer AW   = (DEP > 1) ? $clog2(DEP) : 1;
    localparam integer XW   = $clog2(W + 2 * SW + 2) + 1;  // x, x phase, ox counters
    localparam integer YW   = $clog2(H + 2 * SH + 2) + 1;
    localparam integer BW   = $clog2(DEP + 2 * NCH + 2) + 1;  // ox*NCH address base

    /* verilator lint_off WIDTHTRUNC */
    localparam [KW_-1:0] K_LAST = NCH - 1;
    localparam [XW-1:0]  X_LAST = W - 1, X_SW1 = SW - 1, X_PW1 = PW - 1, X_PW = PW,
                         X_SW = SW, X_WOUT = WOUT;
    localparam [YW-1:0]  Y_LAST = H - 1, Y_SH1 = SH - 1, Y_PH1 = PH - 1, Y_PH = PH,
                         Y_SH = SH, Y_HOUT = HOUT;
    localparam [BW-1:0]  B_NCH  = NCH;
    /* verilator lint_on WIDTHTRUNC */

    function [LW-1:0] vmax(input [LW-1:0] a, input [LW-1:0] b);
        integer l;
        begin
            for (l = 0; l < LANES; l = l + 1) begin
                if (IN_SIGNED != 0)
                    vmax[l*DATA_W +: DATA_W] =
                        ($signed(b[l*DATA_W +: DATA_W]) > $signed(a[l*DATA_W +: DATA_W]))
                        ? b[l*DATA_W +: DATA_W] : a[l*DATA_W +: DATA_W];
                else
                    vmax[l*DATA_W +: DATA_W] = (b[l*DATA_W +: DATA_W] > a[l*DATA_W +: DATA_W])
                        ? b[l*DATA_W +: DATA_W] : a[l*DATA_W +: DATA_W];
            end
        end
    endfunction

    // ------------------------------------------------------------------ input pixel, chunk
    reg  [C*DATA_W-1:0] pix;
    reg                 busy;                 // pix holds a pixel not fully processed
    reg  [KW_-1:0]      k;                    // chunk being issued
    wire                stall;
    wire                adv   = !stall;
    wire                issue = busy && adv;
    wire                last_k = (k == K_LAST);
    assign s_tready = !busy || (last_k && adv);
    wire                take  = s_tvalid && s_tready;

    // position of the pixel in pix: x = ox1*SW + xph, y = oy1*SH + yph
    reg  [XW-1:0] x, xph, ox1;
    reg  [YW-1:0] y, yph, oy1;
    reg  [BW-1:0] base1;                      // ox1 * NCH

    always @(posedge clk) begin
        if (rst) begin
            busy <= 1'b0;
            k    <= {KW_{1'b0}};
            x    <= {XW{1'b0}};
            xph  <= {XW{1'b0}};
            ox1  <= {XW{1'b0}};
            base1 <= {BW{1'b0}};
            y    <= {YW{1'b0}};
            yph  <= {YW{1'b0}};
            oy1  <= {YW{1'b0}};
        end else begin
            if (issue && last_k) begin
                k <= {KW_{1'b0}};
                if (x == X_LAST) begin
                    x <= {XW{1'b0}};
                    xph <= {XW{1'b0}};
                    ox1 <= {XW{1'b0}};
                    base1 <= {BW{1'b0}};
                    if (y == Y_LAST) begin
                        y <= {YW{1'b0}};
                        yph <= {YW{1'b0}};
                        oy1 <= {YW{1'b0}};
                    end else begin
                        y <= y + 1'b1;
                        if (yph == Y_SH1) begin
                            yph <= {YW{1'b0}};
                            oy1 <= oy1 + 1'b1;
                        end else begin
                            yph <= yph + 1'b1;
                        end
                    end
                end else begin
                    x <= x + 1'b1;
                    if (xph == X_SW1) begin
                        xph <= {XW{1'b0}};
                        ox1 <= ox1 + 1'b1;
                        base1 <= base1 + B_NCH;
                    end else begin
                        xph <= xph + 1'b1;
                    end
                end
            end else if (issue) begin
                k <= k + 1'b1;
            end
            if (issue && last_k) busy <= s_tvalid;
            else if (!busy) busy <= s_tvalid;
        end
        if (take) pix <= s_tdata;
    end

    // pools containing this column (1: the one starting at ox1*SW, 0: the previous one)
    wire in1x  = (ox1 < X_WOUT) && (xph < X_PW);
    wire end1x = in1x && (xph == X_PW1);
    wire fst1x = in1x && (xph == {XW{1'b0}});
    wire in0x  = (ox1 != {XW{1'b0}}) && (ox1 <= X_WOUT) && (xph + X_SW < X_PW);
    wire end0x = in0x && (xph + X_SW == X_PW1);
    wire in1y  = (oy1 < Y_HOUT) && (yph < Y_PH);
    wire end1y = in1y && (yph == Y_PH1);
    wire fst1y = in1y && (yph == {YW{1'b0}});
    wire in0y  = (oy1 != {YW{1'b0}}) && (oy1 <= Y_HOUT) && (yph + Y_SH < Y_PH);
    wire end0y = in0y && (yph + Y_SH == Y_PH1);

    // ------------------------------------------------------------------ stage 0: horizontal
    /* verilator lint_off WIDTHEXPAND */
    wire [LW-1:0] px = pix[k * LW +: LW];
    /* verilator lint_on WIDTHEXPAND */
    reg  [LW-1:0] hs0 [0:NCH-1];              // running max of the pool column in slot 0
    reg  [LW-1:0] hs1 [0:NCH-1];              // ... slot 1
    wire          s1  = ox1[0];               // slot of pool ox1; pool ox1-1 is in !s1
    wire [LW-1:0] h_a = s1 ? hs1[k] : hs0[k]; // pool ox1
    wire [LW-1:0] h_b = s1 ? hs0[k] : hs1[k]; // pool ox1-1
    wire [LW-1:0] a1  = fst1x ? px : vmax(h_a, px);
    wire [LW-1:0] a0  = vmax(h_b, px);
    wire          we1 = issue && in1x && !end1x;
    wire          we0 = issue && in0x && !end0x;
    always @(posedge clk) begin
        if (s1 ? we0 : we1) hs0[k] <= s1 ? a0 : a1;
        if (s1 ? we1 : we0) hs1[k] <= s1 ? a1 : a0;
    end
    wire          hemit = end1x || end0x;     // a pool column ends at this pixel
    wire [LW-1:0] hv    = end0x ? a0 : a1;
    /* verilator lint_off WIDTHEXPAND */
    /* verilator lint_off WIDTHTRUNC */
    wire [AW-1:0] raddr = (end0x ? base1 - B_NCH : base1) + k;
    /* verilator lint_on WIDTHTRUNC */
    /* verilator lint_on WIDTHEXPAND */
    wire          re    = issue && hemit;

    // ------------------------------------------------------------------ stage 1: vertical
    reg           vB, fst1B, in1B, end1B, in0B, end0B, sy1B, lastB, fwdB;
    reg  [LW-1:0] hvB;
    reg  [AW-1:0] waddrB;
    reg  [2*LW-1:0] fwd_data;
    wire [2*LW-1:0] rd_ram;
    wire [2*LW-1:0] rd = fwdB ? fwd_data : rd_ram;   // RAM read-during-write forwarding
    wire [LW-1:0] v_a = sy1B ? rd[LW +: LW] : rd[0 +: LW];   // pool row oy1
    wire [LW-1:0] v_b = sy1B ? rd[0 +: LW] : rd[LW +: LW];   // pool row oy1-1
    wire [LW-1:0] b1  = fst1B ? hvB : vmax(v_a, hvB);
    wire [LW-1:0] b0  = vmax(v_b, hvB);
    wire [LW-1:0] n_a = (in1B && !end1B) ? b1 : v_a;
    wire [LW-1:0] n_b = (in0B && !end0B) ? b0 : v_b;
    wire [2*LW-1:0] wdata = sy1B ? {n_a, n_b} : {n_b, n_a};
    wire          vemit = vB && (end1B || end0B);
    wire [LW-1:0] vout  = end0B ? b0 : b1;
    wire          done  = vemit && lastB;      // last chunk of an output pixel
    assign stall = done && p_tvalid && !p_tready;
    wire          we    = vB && adv;

    ram_sdp #(.WIDTH(2 * LW), .DEPTH(DEP), .STYLE(RAM_STYLE)) u_cols (
        .clk(clk), .we(we), .waddr(waddrB), .wdata(wdata),
        .re(re), .raddr(raddr), .rdata(rd_ram)
    );

    always @(posedge clk) begin
        if (rst) begin
            vB <= 1'b0;
        end else if (adv) begin
            vB <= re;
        end
        if (adv) begin
            fst1B  <= fst1y;
            in1B   <= in1y;
            end1B  <= end1y;
            in0B   <= in0y;
            end0B  <= end0y;
            sy1B   <= oy1[0];
            lastB  <= last_k;
            hvB    <= hv;
            waddrB <= raddr;
            fwdB   <= we && (waddrB == raddr);
            fwd_data <= wdata;
        end
    end

    // ------------------------------------------------------------------ output
    generate
        if (NCH > 1) begin : g_obuf
            reg [(NCH-1)*LW-1:0] obuf;            // chunks 0..NCH-2 of the pixel being built
            reg [KW_-1:0] kB;
            always @(posedge clk) if (adv) kB <= k;
            genvar j;
            for (j = 0; j < NCH - 1; j = j + 1) begin : g_chunk
                /* verilator lint_off WIDTHTRUNC */
                localparam [KW_-1:0] K_J = j;
                /* verilator lint_on WIDTHTRUNC */
                always @(posedge clk)
                    if (adv && vemit && kB == K_J) obuf[j*LW +: LW] <= vout;
            end
            always @(posedge clk) if (adv && done) p_tdata <= {vout, obuf};
        end else begin : g_direct
            always @(posedge clk) if (adv && done) p_tdata <= vout;
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) p_tvalid <= 1'b0;
        else if (adv && done) p_tvalid <= 1'b1;
        else if (p_tready) p_tvalid <= 1'b0;
    end

    generate
        if (OUT_FIFO > 0) begin : g_fifo
            fifo #(.WIDTH(C * DATA_W), .DEPTH(OUT_FIFO)) u_out (
                .clk(clk), .rst(rst),
                .s_tdata(p_tdata), .s_tvalid(p_tvalid), .s_tready(p_tready),
                .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready)
            );
        end else begin : g_nofifo
            assign m_tdata  = p_tdata;
            assign m_tvalid = p_tvalid;
            assign p_tready = m_tready;
        end
    endgenerate
endmodule
`default_nettype wire
