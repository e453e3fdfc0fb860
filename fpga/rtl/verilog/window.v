// window: sliding-window (im2col) generator with line buffers, zero padding and stride.
//
// Input : one pixel per beat (C channels of DATA_W bits, channel c at [c*DATA_W +: DATA_W]),
//         H x W pixels per frame in raster order, frames back to back (no tlast: counted).
// Output: one beat per output window, KH*KW*C values of DATA_W bits; value index
//         (ky*KW + kx)*C + c at bits [idx*DATA_W +: DATA_W]  (row-major kernel, channel fastest),
//         output positions (oy, ox) in raster order, HOUT x WOUT per frame with
//         HOUT = (H+PT+PB-KH)/SH + 1, WOUT = (W+PL+PR-KW)/SW + 1 (floor, as Keras/hls4ml).
//         Window (oy, ox) covers input rows oy*SH-PT+ky and columns ox*SW-PL+kx; positions
//         outside the image read as 0 (zero padding). Requires PT,PB < KH and PL,PR < KW.
//
// Structure: LB = KH+SH line buffers (one ram_sdp of W pixels per buffered row, row r of the
// stream in bank r mod LB, continuing across frames). The write side accepts one pixel per
// cycle while fewer than LB complete rows are held. The read side, per output row, waits until
// the last input row it needs is complete, releases rows no longer needed, then reads one
// (padded) column of KH pixels per cycle from the banks, shifting it into a KW-column window
// register; after the column that completes window ox it loads the output register.
//
// Timing: the read side issues one column per cycle, columns PL..JN-1 of each output row with
// JN = (WOUT-1)*SW + KW (left padding columns are not read: the window register starts a row
// zeroed), consecutive output rows back to back when their input rows are present; so
// HOUT*(JN-PL) cycles per frame, about one window per SW cycles. The write side takes one
// pixel per cycle; it stalls only while LB rows are held (when the block is input-bound this
// costs about one cycle per output row). Output row oy starts once input row
// min(oy*SH-PT+KH-1, H-1) has been fully received (row granularity).
// m_tdata/m_tvalid are registered. s_tready depends on registers only; m_tready only
// stalls the read pipeline.
`default_nettype none
module window #(
    parameter integer H      = 8,
    parameter integer W      = 8,
    parameter integer C      = 1,
    parameter integer DATA_W = 8,
    parameter integer KH     = 3,
    parameter integer KW     = 3,
    parameter integer SH     = 1,
    parameter integer SW     = 1,
    parameter integer PT     = 0,
    parameter integer PB     = 0,
    parameter integer PL     = 0,
    parameter integer PR     = 0,
    parameter         RAM_STYLE = "auto"   // line buffers: "auto", "block", "distributed"
) (
    input  wire                          clk,
    input  wire                          rst,
    input  wire [C*DATA_W-1:0]           s_tdata,
    input  wire                          s_tvalid,
    output wire                          s_tready,
    output reg  [KH*KW*C*DATA_W-1:0]     m_tdata,
    output reg                           m_tvalid,
    input  wire                          m_tready
);
    localparam integer PXW  = C * DATA_W;
    localparam integer COLW = KH * PXW;
    localparam integer HOUT = (H + PT + PB - KH) / SH + 1;
    localparam integer WOUT = (W + PL + PR - KW) / SW + 1;
    localparam integer LB   = KH + SH;
    localparam integer JN   = (WOUT - 1) * SW + KW;
    localparam integer BW   = $clog2(LB);           // LB >= 2
    localparam integer XW   = (W > 1) ? $clog2(W) : 1;
    localparam integer NW   = $clog2(H + W + PT + PB + PL + PR + KH + KW + SH + SW + LB + 4) + 2;

    /* verilator lint_off WIDTHTRUNC */
    localparam signed [NW-1:0] N_H     = H;
    localparam signed [NW-1:0] N_HM1   = H - 1;
    localparam signed [NW-1:0] N_PT    = PT;
    localparam signed [NW-1:0] N_SH    = SH;
    localparam signed [NW-1:0] N_SW    = SW;
    localparam signed [NW-1:0] N_KH1   = KH - 1;
    localparam signed [NW-1:0] N_KW1   = KW - 1;
    localparam signed [NW-1:0] N_PL    = PL;
    localparam signed [NW-1:0] N_PLW   = PL + W;
    localparam signed [NW-1:0] N_JN1   = JN - 1;
    localparam signed [NW-1:0] N_HOUT1 = HOUT - 1;
    localparam        [BW:0]   B_LB    = LB;
    localparam        [BW-1:0] B_LAST  = LB - 1;
    localparam        [XW-1:0] X_LAST  = W - 1;
    /* verilator lint_on WIDTHTRUNC */

    // ------------------------------------------------------------------ write side
    reg  [XW-1:0] wx;
    reg  [BW-1:0] wbank;
    reg  [BW:0]   rows;      // complete rows held in the line buffers
    wire [BW:0]   rel;       // rows released by the read side this cycle

    assign s_tready = (rows < B_LB);
    wire wr     = s_tvalid && s_tready;
    wire wr_row = wr && (wx == X_LAST);

    always @(posedge clk) begin
        if (rst) begin
            wx    <= {XW{1'b0}};
            wbank <= {BW{1'b0}};
            rows  <= {(BW+1){1'b0}};
        end else begin
            if (wr) wx <= wr_row ? {XW{1'b0}} : wx + 1'b1;
            if (wr_row) wbank <= (wbank == B_LAST) ? {BW{1'b0}} : wbank + 1'b1;
            rows <= rows + {{BW{1'b0}}, wr_row} - rel;
        end
    end

    // ------------------------------------------------------------------ read side control
    localparam [1:0] S_WAIT = 2'd0, S_RUN = 2'd1, S_FEND = 2'd2;
    reg        [1:0]    st;
    reg signed [NW-1:0] oy, iy0, lo, jx, ecol;
    reg        [BW-1:0] rbase;

    // pipeline stall: stage B holds a completed window the output register cannot take
    reg  vB, emitB, colpadB, firstB;
    reg  [KH-1:0]    rowpadB;
    reg  [KH*BW-1:0] rowselB;
    wire stall = vB && emitB && m_tvalid && !m_tready;
    wire adv   = !stall;
    wire issue = adv && (st == S_RUN);

    wire last_col  = (jx == N_JN1);
    wire last_row  = (oy == N_HOUT1);
    wire row_end   = issue && last_col;

    // Can output row with first input row iy_c start? (rows iy_c .. min(iy_c+KH-1, H-1)
    // complete). Checked in S_WAIT for the current row, and in the last column of a row for
    // the next one (so consecutive rows run back to back).
    wire signed [NW-1:0] rows_s = {{(NW-BW-1){1'b0}}, rows};
    wire signed [NW-1:0] iy_c   = (st == S_RUN) ? iy0 + N_SH : iy0;
    wire signed [NW-1:0] hi_a   = iy_c + N_KH1;
    wire signed [NW-1:0] hi     = (hi_a < N_HM1) ? hi_a : N_HM1;
    wire                 can_go = (rows_s >= hi - lo + 1);
    wire                 go     = ((st == S_WAIT) || (row_end && !last_row)) && can_go;
    wire                 ok_end = (st == S_FEND) && (rows_s >= N_H - lo);
    wire signed [NW-1:0] rel_go = (iy_c > lo) ? iy_c - lo : {NW{1'b0}};
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [NW-1:0] rel_s  = go ? rel_go : ok_end ? N_H - lo : {NW{1'b0}};
    /* verilator lint_on UNUSEDSIGNAL */
    assign rel = rel_s[BW:0];

    // rbase advanced by rel (rel <= LB)
    wire [BW:0] rb_sum  = {1'b0, rbase} + rel;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [BW:0] rb_wrap = (rb_sum >= B_LB) ? rb_sum - B_LB : rb_sum;
    wire signed [NW-1:0] ix = jx - N_PL;
    /* verilator lint_on UNUSEDSIGNAL */
    wire colpad = (jx >= N_PLW);          // left padding columns are never issued
    wire emit   = (jx == ecol);
    wire first  = (jx == N_PL);

    // per kernel row: bank and padding (constant during an output row)
    wire [KH-1:0]    rowpad;
    wire [KH*BW-1:0] rowsel;
    genvar ky, kx, b;
    generate
        for (ky = 0; ky < KH; ky = ky + 1) begin : g_rowsel
            /* verilator lint_off WIDTHTRUNC */
            localparam signed [NW-1:0] N_KY = ky;
            /* verilator lint_on WIDTHTRUNC */
            wire signed [NW-1:0] iy = iy0 + N_KY;
            /* verilator lint_off UNUSEDSIGNAL */
            wire signed [NW-1:0] d  = iy - lo;     // 0..LB-1 for rows inside the image
            /* verilator lint_on UNUSEDSIGNAL */
            wire [BW:0] s  = {1'b0, rbase} + d[BW:0];
            /* verilator lint_off UNUSEDSIGNAL */
            wire [BW:0] sw = (s >= B_LB) ? s - B_LB : s;
            /* verilator lint_on UNUSEDSIGNAL */
            assign rowpad[ky] = (iy < 0) || (iy > N_HM1);
            assign rowsel[ky*BW +: BW] = sw[BW-1:0];
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            st    <= S_WAIT;
            oy    <= {NW{1'b0}};
            iy0   <= -N_PT;
            lo    <= {NW{1'b0}};
            jx    <= N_PL;
            ecol  <= N_KW1;
            rbase <= {BW{1'b0}};
            vB    <= 1'b0;
            emitB <= 1'b0;
            colpadB <= 1'b0;
            firstB  <= 1'b0;
            rowpadB <= {KH{1'b0}};
            rowselB <= {(KH*BW){1'b0}};
        end else begin
            rbase <= rb_wrap[BW-1:0];
            if (go) lo <= lo + rel_go;
            case (st)
                S_WAIT: if (go) st <= S_RUN;
                S_RUN: if (issue) begin
                    if (emit) ecol <= ecol + N_SW;
                    if (last_col) begin
                        jx   <= N_PL;
                        ecol <= N_KW1;
                        oy   <= oy + 1;
                        iy0  <= iy0 + N_SH;
                        st   <= last_row ? S_FEND : go ? S_RUN : S_WAIT;
                    end else begin
                        jx <= jx + 1;
                    end
                end
                S_FEND: if (ok_end) begin
                    lo  <= {NW{1'b0}};
                    oy  <= {NW{1'b0}};
                    iy0 <= -N_PT;
                    st  <= S_WAIT;
                end
                default: st <= S_WAIT;
            endcase
            if (adv) begin
                vB      <= issue;
                emitB   <= emit;
                colpadB <= colpad;
                firstB  <= first;
                rowpadB <= rowpad;
                rowselB <= rowsel;
            end
        end
    end

    // ------------------------------------------------------------------ line buffers
    wire [LB*PXW-1:0] rd;
    generate
        for (b = 0; b < LB; b = b + 1) begin : g_bank
            /* verilator lint_off WIDTHTRUNC */
            localparam [BW-1:0] B_ID = b;
            /* verilator lint_on WIDTHTRUNC */
            ram_sdp #(.WIDTH(PXW), .DEPTH(W), .STYLE(RAM_STYLE)) u_ram (
                .clk(clk),
                .we(wr && (wbank == B_ID)), .waddr(wx), .wdata(s_tdata),
                .re(issue), .raddr(ix[XW-1:0]), .rdata(rd[b*PXW +: PXW])
            );
        end
    endgenerate

    // ------------------------------------------------------------------ stage B: column, window
    wire [COLW-1:0] ncol;
    generate
        for (ky = 0; ky < KH; ky = ky + 1) begin : g_col
            wire [BW-1:0] sel = rowselB[ky*BW +: BW];
            reg  [PXW-1:0] px;
            integer i;
            always @* begin
                px = {PXW{1'b0}};
                for (i = 0; i < LB; i = i + 1)
                    if (sel == i[BW-1:0]) px = rd[i*PXW +: PXW];
            end
            assign ncol[ky*PXW +: PXW] = (colpadB || rowpadB[ky]) ? {PXW{1'b0}} : px;
        end
    endgenerate

    // all KW columns of the window, kx = 0 (oldest) at the low bits
    wire [KW*COLW-1:0] cols;
    generate
        if (KW > 1) begin : g_wreg
            reg  [(KW-1)*COLW-1:0] wreg;
            // the first column issued in a row is column PL: older columns are left padding
            wire [(KW-1)*COLW-1:0] wcur = firstB ? {((KW-1)*COLW){1'b0}} : wreg;
            if (KW > 2) begin : g_shift
                always @(posedge clk)
                    if (adv && vB) wreg <= {ncol, wcur[(KW-1)*COLW-1:COLW]};
            end else begin : g_one
                always @(posedge clk)
                    if (adv && vB) wreg <= ncol;
            end
            assign cols = {ncol, wcur};
        end else begin : g_nowreg
            /* verilator lint_off UNUSEDSIGNAL */
            wire unused_first = firstB;  // KW == 1: no older columns
            /* verilator lint_on UNUSEDSIGNAL */
            assign cols = ncol;
        end
    endgenerate

    // reorder (kx, ky) columns into (ky, kx, c) output order
    wire [KH*KW*PXW-1:0] win;
    generate
        for (ky = 0; ky < KH; ky = ky + 1) begin : g_oy
            for (kx = 0; kx < KW; kx = kx + 1) begin : g_ox
                assign win[(ky*KW + kx)*PXW +: PXW] = cols[(kx*KH + ky)*PXW +: PXW];
            end
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            m_tvalid <= 1'b0;
        end else if (adv && vB && emitB) begin
            m_tvalid <= 1'b1;
        end else if (m_tready) begin
            m_tvalid <= 1'b0;
        end
        if (adv && vB && emitB) m_tdata <= win;
    end
endmodule
`default_nettype wire
