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
// accepted, so no C*IN_W-bit copy is kept): chunk k of s_tdata is registered in cycle k and
// s_tready is high in the last chunk's cycle -> NCH cycles per pixel, no bubbles (LANES == C:
// one pixel per cycle). s_tready depends on state only (not on s_tvalid or m_tready).
// Sums: exact (SUM_W = IN_W + 1 + clog2(H*W+1) bits), LANES per chunk in an NCH-word memory
// (read-modify-write in one cycle; Yosys makes it LUTRAM, BRAM when deep, registers when
// NCH == 1); the first pixel of a frame overwrites. On the last pixel each chunk's final sum
// goes straight into a pipelined divider per lane (constant divisor N = H*W, one quotient bit
// per stage, one chunk in per cycle, never stalls), so the memory is free for the next frame
// at once. The top RW-1 = clog2(N+1) dividend bits are always < N (|sum| <= N*2^IN_W), so
// DS = IN_W + EXTRA + 1 stages suffice. Stages are non-restoring (add or subtract N by the
// remainder's sign: same quotient bits as restoring, one carry chain, no restore mux) and
// keep only live bits: remainder, unconsumed dividend bits, the low OUT_W quotient bits + an
// overflow flag (SAT only), the sign (signed inputs only).
// Results leave the pipeline in order and are shifted into m_tdata chunk by chunk (no
// decoder); m_tvalid rises with the last chunk. No back-pressure inside: the last pixel of a
// frame is accepted only when m_* is empty and no result is in flight.
// Timing: m_tvalid DS + 3 cycles after the last pixel's last chunk; a frame takes
// max(H*W*NCH, NCH + DS + 3) cycles at full rate (the second term only for tiny maps, where
// the next frame's last pixel waits for the previous result to leave).
// Cost: LANES x (DS stages of ~RW LUTs/FFs + adder + requant), a C*IN_W -> LANES*IN_W chunk
// mux (~0.45 LUT per input bit when NCH > 1), the sums memory, C*OUT_W output FFs.
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
    parameter integer LANES      = C     // channels per cycle, C % LANES == 0
) (
    input  wire                clk,
    input  wire                rst,
    input  wire [C*IN_W-1:0]   s_tdata,
    input  wire                s_tvalid,
    output wire                s_tready,
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

    /* verilator lint_off WIDTHTRUNC */
    localparam [CW-1:0] C_LAST = N - 1;
    localparam [KW-1:0] K_LAST = NCH - 1;
    localparam [RW-1:0] R_N    = N;
    /* verilator lint_on WIDTHTRUNC */

    // ------------------------------------------------------------------ S0: chunk issue
    reg  [CW-1:0] cnt;        // pixel index in the frame
    reg  [KW-1:0] k;          // chunk index in the pixel
    reg           busy;       // a frame's results are in the divider pipeline
    wire          last_px = (cnt == C_LAST);
    wire          k0      = (k == {KW{1'b0}});
    wire          k_last  = (k == K_LAST);
    // the last pixel of a frame starts only when m_* is empty and nothing is in flight
    wire          go      = !(k0 && last_px && (busy || m_tvalid));
    wire          step    = s_tvalid && go;
    assign s_tready = go && k_last;
    wire          fin;        // last chunk of a frame leaves the divider (below)

    always @(posedge clk) begin
        if (rst) begin
            cnt  <= {CW{1'b0}};
            k    <= {KW{1'b0}};
            busy <= 1'b0;
        end else begin
            if (step) k <= k_last ? {KW{1'b0}} : k + 1'b1;
            if (step && k_last) cnt <= last_px ? {CW{1'b0}} : cnt + 1'b1;
            if (step && k0 && last_px) busy <= 1'b1;
            else if (fin) busy <= 1'b0;
        end
    end

    // ------------------------------------------------------------------ S1: accumulate
    reg           v1;
    reg           first1, last1, klast1;
    reg [KW-1:0]  k1;
    reg [CHI-1:0] x1;
    always @(posedge clk) begin
        if (rst) v1 <= 1'b0;
        else     v1 <= step;
        first1 <= (cnt == {CW{1'b0}});
        last1  <= last_px;
        klast1 <= k_last;
        k1     <= k;
        x1     <= s_tdata[k*CHI +: CHI];               // chunk k of the pixel
    end

    reg  [LANES*SUM_W-1:0] sums [0:NCH-1];            // per chunk: LANES exact sums
    wire [LANES*SUM_W-1:0] sum_rd = sums[k1];
    wire [LANES*SUM_W-1:0] sum_nx;
    always @(posedge clk) if (v1) sums[k1] <= sum_nx;

    // ------------------------------------------------------------------ divider control
    reg [DS:0] dv;            // stage valid: dv[0] = initial remainder loaded, dv[DS] = done
    reg [DS:0] dl;            // ... and it is the last chunk of the frame
    always @(posedge clk) begin
        if (rst) dv <= {(DS+1){1'b0}};
        else     dv <= {dv[DS-1:0], v1 && last1};
        dl <= {dl[DS-1:0], klast1};
    end
    assign fin = dv[DS] && dl[DS];

    // ------------------------------------------------------------------ per lane datapath
    wire [CHO-1:0] q;          // requantised results of the chunk leaving the divider
    genvar l, j;
    generate
        for (l = 0; l < LANES; l = l + 1) begin : g_lane
            wire [IN_W-1:0]         xu  = x1[l*IN_W +: IN_W];
            wire signed [SUM_W-1:0] xe  = {{(SUM_W-IN_W){(IN_SIGNED != 0) & xu[IN_W-1]}}, xu};
            wire signed [SUM_W-1:0] acc = first1 ? {SUM_W{1'b0}} : sum_rd[l*SUM_W +: SUM_W];
            wire signed [SUM_W-1:0] sn  = acc + xe;
            assign sum_nx[l*SUM_W +: SUM_W] = sn;
            wire                    sgn = (IN_SIGNED != 0) & sn[SUM_W-1]; // unsigned: never
            wire [SUM_W-1:0]        mag = sgn ? -sn : sn;          // |sum| <= N*2^IN_W

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
            // exact low bits), sign applied, then saturate/wrap
            wire [OUT_W:0]          qf  = ovf[DS] ? {(OUT_W+1){1'b1}}
                                                  : {1'b0, quo[DS*OUT_W +: OUT_W]};
            wire signed [OUT_W+1:0] res = neg[DS] ? -{1'b0, qf} : {1'b0, qf};
            requant #(.ACC_W(OUT_W + 2), .OUT_W(OUT_W), .SHIFT(0), .ROUND(0), .RELU(0),
                      .OUT_SIGNED(OUT_SIGNED), .SAT(SAT))
                u_sat (.acc(res), .out(q[l*OUT_W +: OUT_W]));
        end
    endgenerate

    // ------------------------------------------------------------------ output
    // chunks arrive in order 0..NCH-1: shift them in from the top, chunk 0 ends at the bottom
    /* verilator lint_off UNUSEDSIGNAL */
    wire [(C+LANES)*OUT_W-1:0] shifted = {q, m_tdata};
    /* verilator lint_on UNUSEDSIGNAL */
    always @(posedge clk) begin
        if (rst) m_tvalid <= 1'b0;
        else if (fin) m_tvalid <= 1'b1;
        else if (m_tready) m_tvalid <= 1'b0;
        if (dv[DS]) m_tdata <= shifted[(C+LANES)*OUT_W-1 : CHO];
    end
endmodule
`default_nettype wire
