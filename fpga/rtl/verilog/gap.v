// gap: global average pooling, exactly as the IR contract (fpga/graph.py):
//   out[c] = trunc_toward_zero( (sum_{H*W pixels} x[c]) << EXTRA ) / (H*W) )
// then saturated (SAT=1) or wrapped (SAT=0) to OUT_W bits (OUT_SIGNED). EXTRA = out_frac -
// in_frac >= 0.
// Input : pixels, C values of IN_W bits (IN_SIGNED), H*W beats per frame, back to back.
// Output: one beat per frame, C values of OUT_W bits, channel c at [c*OUT_W +: OUT_W].
//
// Folding: LANES channels per cycle (C % LANES == 0, NCH = C/LANES chunks), so the divider
// and adder cost scales with LANES, not C (C parallel iterative dividers cost ~75 LUT/channel).
// A pixel is used in place (like mac: the AXI-Stream rule keeps an offered beat stable until
// accepted, so no C*IN_W-bit copy is kept): chunk k of s_tdata enters a pipelined NCH:1
// mux_pipe in cycle k and s_tready is high in the last chunk's cycle -> NCH cycles per pixel,
// no bubbles (LANES == C: one pixel per cycle). s_tready is a flip-flop, loaded with the
// value it would have from the next state of the counters, busy and m_tvalid (so the
// producer's enable sees no logic of this block).
// Sums: exact (SUM_W = IN_W + 1 + clog2(H*W+1) bits), LANES per chunk. NCH >= 4: an NCH-word
// ram_sdp (BRAM/LUTRAM) read ahead of the chunk and registered, added, registered, written
// back (read -> write 4 cycles apart, so the same word is reused NCH >= 4 cycles later, never
// a read-during-write); NCH < 4: registers. The first pixel of a frame overwrites. On the last
// pixel each chunk's final sum goes into a pipelined divider per lane (constant divisor
// N = H*W, one quotient bit per stage, one chunk in per cycle, never stalls), so the memory
// is free for the next frame at once. The top RW-1 = clog2(N+1) dividend bits are always < N
// (|sum| <= N*2^IN_W), so DS = IN_W + EXTRA + 1 stages suffice. Stages are non-restoring (add
// or subtract N by the remainder's sign: same quotient bits as restoring, one carry chain, no
// restore mux) and keep only live bits: remainder, unconsumed dividend bits, the low OUT_W
// quotient bits + an overflow flag (SAT only), the sign (signed inputs only).
// Results leave the pipeline in order, get their sign (registered), are saturated and
// shifted into m_tdata chunk by chunk (no decoder); m_tvalid rises with the last chunk. No
// back-pressure inside: the last pixel of a frame is accepted only when m_* is empty and no
// result is in flight.
// Pipeline (cycles after a chunk's issue): mux_pipe ML = mux_pipe_latency(NCH), chunk at
// A = max(ML, 2), sum register A+1, divider input A+2, quotient A+2+DS, signed result
// A+3+DS, m_tdata A+4+DS. So m_tvalid rises gap_latency = DS + max(ML, 2) + 4 cycles after
// the last pixel's last chunk; a frame takes gap_frame_cycles = max(H*W*NCH, NCH +
// gap_latency) cycles at full rate (the second term only for tiny maps, where the next
// frame's last pixel waits for the previous result to leave). fpga/rtl/blocks.py states both.
// Timing: every register-to-register path is at most about 3 LUT levels or a LUT + one
// SUM_W/RW-bit carry chain; the reset is registered locally.
// Cost: LANES x (DS stages of ~RW LUTs/FFs + adder + saturation), the NCH:1 chunk mux_pipe
// (~C*IN_W/3 LUTs + FFs when NCH > 1), the sums memory, C*OUT_W output FFs.
`default_nettype none
module gap #(
    parameter integer H          = 4,
    parameter integer W          = 4,
    parameter integer C          = 1,
    parameter integer IN_W       = 8,
    parameter integer IN_SIGNED  = 0,
    parameter integer EXTRA      = 0,
    parameter integer OUT_W      = 8,
    parameter integer OUT_SIGNED = 0,
    parameter integer SAT        = 1,
    parameter integer LANES      = C,    // channels per cycle, C % LANES == 0
    parameter         RAM_STYLE  = "auto"  // channel sums (NCH > 1), see ram_sdp.v
) (
    input  wire                clk,
    input  wire                rst,
    input  wire [C*IN_W-1:0]   s_tdata,
    input  wire                s_tvalid,
    output reg                 s_tready,
    output reg  [C*OUT_W-1:0]  m_tdata,
    output reg                 m_tvalid,
    input  wire                m_tready
);
    localparam integer N     = H * W;
    localparam integer NCH   = C / LANES;
    localparam integer CW    = (N > 1) ? $clog2(N) : 1;
    localparam integer KW    = (NCH > 1) ? $clog2(NCH) : 1;
    localparam integer SUM_W = IN_W + 1 + $clog2(N + 1);
    localparam integer RW    = $clog2(N + 1) + 1;   // remainder: two's compl. in [-N, N)
    localparam integer DS    = IN_W + EXTRA + 1;    // divider stages = quotient bits
    localparam integer XW    = IN_W + 1;            // dividend bits below the initial remainder
    localparam integer CHI   = LANES * IN_W;        // input chunk width
    localparam integer CHO   = LANES * OUT_W;       // output chunk width
    localparam integer ML    = (KW + 1) / 2;        // mux_pipe latency (blocks.py)
    localparam integer A     = (ML > 2) ? ML : 2;   // cycle of the accumulate stage
    localparam integer CTW   = KW + 3;              // delayed control: {k, klast, last, first}

    /* verilator lint_off WIDTHTRUNC */
    localparam [CW-1:0] C_LAST1 = N - 2;
    localparam [KW-1:0] K_LAST1 = NCH - 2;
    localparam [RW-1:0] R_N     = N;
    /* verilator lint_on WIDTHTRUNC */

    reg rst_q;
    always @(posedge clk) rst_q <= rst;

    // ------------------------------------------------------------------ S0: chunk issue
    reg  [CW-1:0] cnt;        // pixel index in the frame
    reg  [KW-1:0] k;          // chunk index in the pixel
    reg           busy;       // a frame's results are in the pipeline
    reg           k_last, k0, last_px, first_px;  // k == NCH-1, k == 0, cnt == N-1, cnt == 0
    // the last pixel of a frame starts only when m_* is empty and nothing is in flight
    wire          go   = !(k0 && last_px && (busy || m_tvalid));
    wire          step = s_tvalid && go;
    wire          fin;        // last chunk of a frame leaves (below)
    // next state of the flags s_tready is made of (s_tready = go && k_last, registered)
    wire k_last_n  = rst_q ? (NCH == 1) :
                     step  ? ((NCH == 1) || (!k_last && (k == K_LAST1))) : k_last;
    wire k0_n      = rst_q ? 1'b1 : step ? k_last : k0;
    wire last_px_n = rst_q ? (N == 1) :
                     (step && k_last) ? ((N == 1) || (!last_px && (cnt == C_LAST1))) : last_px;
    wire busy_n    = rst_q ? 1'b0 : (step && k0 && last_px) ? 1'b1 : fin ? 1'b0 : busy;
    wire mv_n      = rst_q ? 1'b0 : fin ? 1'b1 : m_tready ? 1'b0 : m_tvalid;

    always @(posedge clk) begin
        k_last   <= k_last_n;
        k0       <= k0_n;
        last_px  <= last_px_n;
        busy     <= busy_n;
        s_tready <= k_last_n && !(k0_n && last_px_n && (busy_n || mv_n));
        if (rst_q) begin
            cnt      <= {CW{1'b0}};
            k        <= {KW{1'b0}};
            first_px <= 1'b1;
        end else begin
            if (step)
                k <= k_last ? {KW{1'b0}} : k + 1'b1;
            if (step && k_last) begin
                cnt      <= last_px ? {CW{1'b0}} : cnt + 1'b1;
                first_px <= last_px;
            end
        end
    end

    // ------------------------------------------------------------------ chunk mux, delays
    wire [CHI-1:0] xm;                                 // chunk, ML cycles after its issue
    mux_pipe #(.WIDTH(CHI), .N(NCH)) u_chunk (
        .clk(clk), .en(1'b1), .sel(k), .din(s_tdata), .dout(xm)
    );

    // control of the chunk issued i cycles ago at cd[i*CTW +: CTW], valid at vd[i]
    reg  [(A+2)*CTW-1:CTW] cd_q;
    reg  [A+1:1]           vd_q;
    wire [(A+2)*CTW-1:0]   cd = {cd_q, k, k_last, last_px, first_px};
    wire [A+1:0]           vd = {vd_q, step};
    always @(posedge clk) begin
        cd_q <= cd[(A+1)*CTW-1:0];
        if (rst_q) vd_q <= {(A+1){1'b0}};
        else       vd_q <= vd[A:0];
    end
    wire          firstA = cd[A*CTW];
    /* verilator lint_off UNUSEDSIGNAL */
    wire [KW-1:0] kA     = cd[A*CTW + 3 +: KW];    // (NCH >= 4: the RAM uses kR, kS)
    wire          vS     = vd[A+1];                    // sum register valid
    wire          lastS  = cd[(A+1)*CTW + 1];
    wire          klastS = cd[(A+1)*CTW + 2];
    wire [KW-1:0] kS     = cd[(A+1)*CTW + 3 +: KW];
    /* verilator lint_on UNUSEDSIGNAL */

    wire [CHI-1:0] xA;                                 // the chunk at cycle A
    generate
        if (A > ML) begin : g_xdly
            reg [(A-ML)*CHI-1:0] xd;
            if (A - ML > 1) begin : g_more
                always @(posedge clk) xd <= {xd[(A-ML-1)*CHI-1:0], xm};
            end else begin : g_one
                always @(posedge clk) xd <= xm;
            end
            assign xA = xd[(A-ML-1)*CHI +: CHI];
        end else begin : g_xnow
            assign xA = xm;
        end
    endgenerate

    // ------------------------------------------------------------------ accumulate
    wire [LANES*SUM_W-1:0] acc_rd;                     // stored sums of chunk kA
    wire [LANES*SUM_W-1:0] sum_nx;
    reg  [LANES*SUM_W-1:0] sum_q;                      // cycle A+1
    always @(posedge clk) sum_q <= sum_nx;
    generate
        if (NCH >= 4) begin : g_ram
            // read issued at cycle A-2 (address kR), registered twice -> cycle A;
            // written at cycle A+1 from sum_q
            wire [KW-1:0]          kR = cd[(A-2)*CTW + 3 +: KW];
            wire [LANES*SUM_W-1:0] rd;
            reg  [LANES*SUM_W-1:0] rd_q;
            ram_sdp #(.WIDTH(LANES * SUM_W), .DEPTH(NCH), .STYLE(RAM_STYLE)) u_sums (
                .clk(clk), .we(vS), .waddr(kS), .wdata(sum_q),
                .re(1'b1), .raddr(kR), .rdata(rd)
            );
            always @(posedge clk) rd_q <= rd;
            assign acc_rd = rd_q;
        end else begin : g_regs
            reg [LANES*SUM_W-1:0] sums [0:NCH-1];
            always @(posedge clk) if (vd[A]) sums[kA] <= sum_nx;
            assign acc_rd = sums[kA];
        end
    endgenerate

    // ------------------------------------------------------------------ divider control
    reg [DS:0] dv;            // stage valid: dv[0] = initial remainder loaded, dv[DS] = done
    reg [DS:0] dl;            // ... and it is the last chunk of the frame
    reg        rv;            // signed result registered (valid)
    reg        fin_q;         // ... and it is the frame's last chunk (rv reaches C*OUT_W
                              // enables: the control logic has this flip-flop of its own)
    always @(posedge clk) begin
        if (rst_q) begin
            dv <= {(DS+1){1'b0}};
            rv <= 1'b0;
            fin_q <= 1'b0;
        end else begin
            dv <= {dv[DS-1:0], vS && lastS};
            rv <= dv[DS];
            fin_q <= dv[DS] && dl[DS];
        end
        dl <= {dl[DS-1:0], klastS};
    end
    assign fin = fin_q;

    // ------------------------------------------------------------------ per lane datapath
    localparam integer EW = OUT_W + 2;                 // signed result width
    localparam integer HB = (OUT_SIGNED != 0) ? OUT_W - 1 : OUT_W;
    localparam [EW-1:0] ONE  = 1;
    localparam [EW-1:0] MAXE = (OUT_SIGNED != 0) ? (ONE << (OUT_W - 1)) - ONE
                                                 : (ONE << OUT_W) - ONE;
    localparam [EW-1:0] MINE = (OUT_SIGNED != 0) ? ~MAXE : {EW{1'b0}};
    wire [CHO-1:0] q;          // saturated results of the chunk in the result register
    genvar l, j;
    generate
        for (l = 0; l < LANES; l = l + 1) begin : g_lane
            wire [IN_W-1:0]         xu  = xA[l*IN_W +: IN_W];
            wire signed [SUM_W-1:0] xe  = {{(SUM_W-IN_W){(IN_SIGNED != 0) & xu[IN_W-1]}}, xu};
            wire signed [SUM_W-1:0] acc = firstA ? {SUM_W{1'b0}} : acc_rd[l*SUM_W +: SUM_W];
            assign sum_nx[l*SUM_W +: SUM_W] = acc + xe;
            wire [SUM_W-1:0]        sq  = sum_q[l*SUM_W +: SUM_W];
            wire                    sgn = (IN_SIGNED != 0) & sq[SUM_W-1]; // unsigned: never
            wire [SUM_W-1:0]        mag = sgn ? -sq : sq;            // |sum| <= N*2^IN_W

            // Non-restoring: the partial remainder r is kept in [-N, N) (RW bits, two's
            // complement); each stage adds N if r < 0 (undoing the last subtraction, doubled)
            // else subtracts it: one carry chain, no restore mux. Quotient bit = new r >= 0,
            // the same bit a restoring divider produces.
            // Stage s holds: r, the XW-s dividend bits not consumed yet (top aligned; the
            // EXTRA low dividend bits are zeros), the low OUT_W quotient bits, quotient
            // overflow beyond OUT_W bits (only kept if SAT), sign. Stages 0..DS-1 divide;
            // stage DS, the result, keeps no remainder/dividend.
            reg [DS*RW-1:0]         rem;
            reg [DS*XW-1:0]         dvd;
            reg [(DS+1)*OUT_W-1:0]  quo;
            reg [DS:0]              ovf, neg;
            /* verilator lint_off UNUSEDSIGNAL */
            wire [DS*RW-1:0]        rem_nx;            // top slice: last remainder, not needed
            wire [DS*XW-1:0]        dvd_nx;
            /* verilator lint_on UNUSEDSIGNAL */
            wire [DS*OUT_W-1:0]     quo_nx;
            wire [DS-1:0]           ovf_nx;
            for (j = 0; j < DS; j = j + 1) begin : g_st
                wire [RW-1:0]  r  = rem[j*RW +: RW];
                wire [XW-1:0]  d  = dvd[j*XW +: XW];
                wire [RW-1:0]  r2 = {r[RW-2:0], d[XW-1]};        // 2r + bit, mod 2^RW
                wire [RW-1:0]  rn = r[RW-1] ? r2 + R_N : r2 - R_N; // exact: in [-N, N)
                wire           ge = !rn[RW-1];
                wire [OUT_W:0] qs = {quo[j*OUT_W +: OUT_W], ge};
                assign rem_nx[j*RW +: RW]       = rn;
                assign dvd_nx[j*XW +: XW]       = {d[XW-2:0], 1'b0};
                assign quo_nx[j*OUT_W +: OUT_W] = qs[OUT_W-1:0];
                assign ovf_nx[j]                = ovf[j] | ((SAT != 0) & qs[OUT_W]);
            end
            // data registers run freely; dv tells which stages hold a valid chunk
            always @(posedge clk) begin
                rem <= {rem_nx[(DS-1)*RW-1:0], 1'b0, mag[SUM_W-1 -: RW-1]};
                dvd <= {dvd_nx[(DS-1)*XW-1:0], mag[XW-1:0]};
                quo <= {quo_nx, {OUT_W{1'b0}}};
                ovf <= {ovf_nx, 1'b0};
                neg <= {neg[DS-1:0], sgn};
            end

            // quotient (with overflow: any value above every OUT_W range; SAT=0 wraps the
            // exact low bits), sign applied and registered, then saturate/wrap
            wire [OUT_W:0]     qf = ovf[DS] ? {(OUT_W+1){1'b1}} : {1'b0, quo[DS*OUT_W +: OUT_W]};
            reg  [EW-1:0]      res;
            always @(posedge clk) res <= neg[DS] ? -{1'b0, qf} : {1'b0, qf};
            /* verilator lint_off UNUSEDSIGNAL */
            wire [EW-2:HB]     high = res[EW-2:HB];
            /* verilator lint_on UNUSEDSIGNAL */
            wire               rneg = res[EW-1];
            wire               ohi  = !rneg && (|high);                                // > max
            wire               olo  = (OUT_SIGNED != 0) ? (rneg && !(&high)) : rneg;  // < min
            assign q[l*OUT_W +: OUT_W] = (SAT == 0) ? res[OUT_W-1:0] :
                                         ohi ? MAXE[OUT_W-1:0] :
                                         olo ? MINE[OUT_W-1:0] : res[OUT_W-1:0];
        end
    endgenerate

    // ------------------------------------------------------------------ output
    // chunks arrive in order 0..NCH-1: shift them in from the top, chunk 0 ends at the bottom
    /* verilator lint_off UNUSEDSIGNAL */
    wire [(C+LANES)*OUT_W-1:0] shifted = {q, m_tdata};
    /* verilator lint_on UNUSEDSIGNAL */
    always @(posedge clk) begin
        m_tvalid <= mv_n;
        if (rv) m_tdata <= shifted[(C+LANES)*OUT_W-1 : CHO];
    end
endmodule
`default_nettype wire
