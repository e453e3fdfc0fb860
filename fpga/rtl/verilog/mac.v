// mac: folded convolution compute (matrix-vector unit) with bias and requantisation.
//
// Input : one window per beat, K values of IN_W bits (IN_SIGNED: two's complement, else
//         unsigned), value k at s_tdata[k*IN_W +: IN_W]. For a conv from the window block,
//         k = (ky*KW + kx)*CIN + c, K = KH*KW*CIN (a 1x1 conv takes the pixel beat directly).
// Output: one beat per window, COUT values of OUT_W bits, channel o at m_tdata[o*OUT_W +: OUT_W],
//         out[o] = requant( sum_k x[k]*w[k][o] + (bias[o] << BIAS_SHIFT) )   (see requant.v:
//         SHIFT, ROUND, RELU, OUT_SIGNED, SAT), exact integer accumulation in ACC_W bits.
//
// Folding: PE output channels in parallel (COUT % PE == 0), SIMD inputs per cycle
// (K % SIMD == 0). NF = COUT/PE output groups, SF = K/SIMD input chunks; a window takes
// NF*SF cycles (loop order: for nf { for sf { ... } }), back to back without bubbles.
// The window is used in place: the mac starts as soon as s_tvalid is high (and a credit is
// free, below), reads chunk sf of s_tdata each step and accepts the beat (s_tready) in the
// last step, relying on the AXI-Stream rule that an offered beat stays valid and stable until
// accepted (every block here obeys it). So it keeps no copy of the window, and once a window
// has started its last step is known a cycle ahead: s_tready is a register (STEPS == 1: the
// registered "credit free" flag), with no combinational path from s_tvalid or m_tready.
//
// Weights, one ROM bank per PE (file "<MEM_PREFIX>_w<ppp>.mem", ppp = 3-digit decimal PE
// index), NF*SF words of SIMD*W_W bits, word address a = nf*SF + sf holds, for s = 0..SIMD-1,
//     bits [s*W_W +: W_W] = w[k = sf*SIMD + s][o = nf*PE + p]   (two's complement)
// Bias ROM (file "<MEM_PREFIX>_b.mem"), NF words of PE*B_W bits, word nf holds
//     bits [p*B_W +: B_W] = bias[nf*PE + p]                    (two's complement)
// Files are plain $readmemh text: one word per line, hex, word 0 first
// (fpga/rtl/memfiles.py writes them). MEM_PREFIX is a path prefix (relative paths are
// resolved by the simulator/synthesis tool from its working directory).
//
// Pipeline (t = cycle of a step's issue; every stage runs freely, the pipeline never stalls):
//   t        issue: ROM addresses (weights nf*SF+sf), chunk select sf
//   t+2      weight ROM data (rom.v: read + output register)
//   t+LM     input chunk from a mux_pipe of the SF chunks (LM = blocks.mux_pipe_latency(SF),
//            0 when SF == 1); the earlier of the two is delayed to t+D, D = max(2, LM)
//   t+D+1    multiplier inputs registered (DSP A/B registers), per PE and lane
//   t+D+2    products (DSP M register)
//   t+D+2+T  SIMD products summed by a registered binary adder tree, T = clog2(SIMD) levels
//            (a register after every level; Yosys packs the first into the DSP post-adder)
//   +1       accumulator: bias (bias ROM read with nf delayed, on the first chunk) + sum
//   +2       requantised (requant.v, blocks.requant_latency)
//   +1       collected into the output shift register -> push into the output FIFO (+2 to m_*)
// A window is accepted only when the output FIFO has room reserved for its result (credit
// counter), so backpressure on m_* stops new windows instead (s_tready never depends on
// m_tready). OUT_FIFO (depth = credits) must cover the latency for full rate: the generator
// passes fpga/rtl/blocks.py mac_out_fifo(K, COUT, PE, SIMD); latency from a window's first
// step to m_tvalid: blocks.mac_latency(K, COUT, PE, SIMD) (NF*SF + D + T + 7).
// rst is registered once (rst_q) and used inside.
// LOAD = 1 (`fpga rtl --weights load`): the bias and weight memories have no init file; they
// are RAMs (ROM_STYLE/BIAS_STYLE as ram_style) filled by this mac's wload.v stage of the
// weight-load chain (wl_in_* from ctrl_regs.v or the previous mac, wl_out_* to the next),
// reset by wl_rst (ap_rst_n) only. LOAD = 0: the chain passes straight through, unused.
`default_nettype none
module mac #(
    parameter integer K          = 9,
    parameter integer COUT       = 4,
    parameter integer IN_W       = 8,
    parameter integer IN_SIGNED  = 0,
    parameter integer W_W        = 8,
    parameter integer B_W        = 8,
    parameter integer BIAS_SHIFT = 0,
    parameter integer PE         = 1,
    parameter integer SIMD       = 1,
    parameter integer ACC_W      = (IN_W + 1 + W_W + $clog2(K) > B_W + BIAS_SHIFT ?
                                    IN_W + 1 + W_W + $clog2(K) : B_W + BIAS_SHIFT) + 2,
    parameter integer OUT_W      = 8,
    parameter integer OUT_SIGNED = 0,
    parameter integer SHIFT      = 0,
    parameter integer ROUND      = 0,
    parameter integer RELU       = 0,
    parameter integer SAT        = 1,
    parameter integer OUT_FIFO   = 16,      // output FIFO depth: blocks.mac_out_fifo(...)
    parameter         MEM_PREFIX = "mac",
    parameter         ROM_STYLE  = "auto",  // weight banks: "auto", "block", "distributed", "logic"
    parameter         BIAS_STYLE = "auto",  // bias ROM: as ROM_STYLE (rom.v)
    parameter         FIFO_STYLE = "auto",  // output FIFO: see ram_sdp.v
    parameter integer LOAD       = 0        // 1: memories filled through the weight-load chain
) (
    input  wire                    clk,
    input  wire                    rst,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire                    wl_rst,     // LOAD only: the chain's reset (ap_rst_n)
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                    wl_in_start,
    input  wire                    wl_in_valid,
    input  wire [31:0]             wl_in_data,
    output wire                    wl_out_start,
    output wire                    wl_out_valid,
    output wire [31:0]             wl_out_data,
    input  wire [K*IN_W-1:0]       s_tdata,
    input  wire                    s_tvalid,
    output wire                    s_tready,
    output wire [COUT*OUT_W-1:0]   m_tdata,
    output wire                    m_tvalid,
    input  wire                    m_tready
);
    localparam integer NF    = COUT / PE;
    localparam integer SF    = K / SIMD;
    localparam integer STEPS = NF * SF;
    localparam integer XW    = IN_W + 1;            // input as signed
    localparam integer PW    = XW + W_W;            // product width
    localparam integer CHW   = SIMD * IN_W;         // input chunk width
    localparam integer WWORD = SIMD * W_W;          // weight ROM word
    localparam integer AW    = (STEPS > 1) ? $clog2(STEPS) : 1;
    localparam integer NFW   = (NF > 1) ? $clog2(NF) : 1;
    localparam integer SFW   = (SF > 1) ? $clog2(SF) : 1;
    localparam integer LM    = (SF > 1) ? ($clog2(SF) + 1) / 2 : 0;  // mux_pipe latency
    localparam integer D     = (LM > 2) ? LM : 2;   // issue -> weights and chunk aligned
    localparam integer T     = (SIMD > 1) ? $clog2(SIMD) : 0;        // adder tree levels
    localparam integer DS    = D + 2 + T;           // issue -> sum register
    localparam integer RQ    = 2;                   // requant.v latency (blocks.requant_latency)
    localparam integer DQ    = DS + 1 + RQ;         // issue -> requantised result
    localparam integer DB    = DS - 2;              // issue -> bias ROM address (nf delayed)
    localparam integer TW    = ACC_W;               // adder tree slot width
    localparam integer FD    = OUT_FIFO;
    localparam integer CRW   = $clog2(FD + 1) + 1;

    /* verilator lint_off WIDTHTRUNC */
    localparam [AW-1:0]  A_PEN   = (STEPS > 1) ? STEPS - 2 : 0;
    localparam [SFW-1:0] S_LAST1 = (SF > 1) ? SF - 2 : 0;
    localparam [NFW-1:0] N_LAST  = NF - 1;
    localparam [CRW-1:0] CR_MAX  = FD;
    localparam [CRW-1:0] CR_PEN  = FD - 1;
    /* verilator lint_on WIDTHTRUNC */

    reg rst_q;
    always @(posedge clk) rst_q <= rst;

    // ------------------------------------------------------------------ issue
    reg  [AW-1:0]   addr;
    reg  [SFW-1:0]  sf;
    reg  [NFW-1:0]  nf;
    reg             mid;      // inside a window: a step after the first is due
    reg             lastq;    // the step due is the last of the window (STEPS > 1)
    reg  [CRW-1:0]  credit;   // windows started whose result has not left m_*
    reg             cr_ok;    // credit < FD
    reg             sf_last;  // sf == SF-1 (a flag kept with sf)
    /* verilator lint_off UNUSEDSIGNAL */
    reg  [SFW-1:0]  sf_sel;   // sf's value without its reset: the input mux select (wide
                              // fan-out), a flip-flop apart from the counter's (SF > 1)
    /* verilator lint_on UNUSEDSIGNAL */

    wire m_fire    = m_tvalid && m_tready;
    wire start     = s_tvalid && !mid && cr_ok;          // reserves an output FIFO slot
    wire issue     = mid || start;                       // (the window stays offered)
    wire last_step = (STEPS == 1) ? 1'b1 : lastq;
    assign s_tready = (STEPS == 1) ? cr_ok : lastq;

    // next chunk index (and its "last" flag), shared by sf and sf_sel
    wire [SFW-1:0] sf_n = !issue ? sf : (last_step || sf_last) ? {SFW{1'b0}} : sf + 1'b1;
    wire sf_last_n = !issue ? sf_last : (last_step || sf_last) ? (SF == 1) : (sf == S_LAST1);

    always @(posedge clk) begin
        if (rst_q) begin
            addr   <= {AW{1'b0}};
            sf     <= {SFW{1'b0}};
            sf_last <= (SF == 1);
            nf     <= {NFW{1'b0}};
            mid    <= 1'b0;
            lastq  <= 1'b0;
            credit <= {CRW{1'b0}};
            cr_ok  <= 1'b0;
        end else begin
            credit <= credit + {{(CRW-1){1'b0}}, start} - {{(CRW-1){1'b0}}, m_fire};
            if (start && !m_fire)      cr_ok <= (credit != CR_PEN);
            else if (!start && m_fire) cr_ok <= 1'b1;
            else                       cr_ok <= (credit < CR_MAX);
            lastq <= (STEPS > 1) && issue && (addr == A_PEN);
            sf      <= sf_n;
            sf_last <= sf_last_n;
            if (issue) begin
                if (last_step) begin
                    addr <= {AW{1'b0}};
                    nf   <= {NFW{1'b0}};
                    mid  <= 1'b0;
                end else begin
                    addr <= addr + 1'b1;
                    mid  <= 1'b1;
                    if (sf_last) nf <= nf + 1'b1;
                end
            end
        end
        sf_sel <= sf_n;
    end

    // ------------------------------------------------------------------ control delay lines
    wire first0 = (sf == {SFW{1'b0}});               // first chunk: start from the bias
    wire done0  = issue && sf_last;                  // last chunk: a group is complete
    reg  [DS-2:0]     first_d;                         // (the last stage is per PE)
    reg  [DQ-1:0]     done_d;
    reg  [(DB-1)*NFW-1:0] nf_d;                            // (last stage: nf_b)
    reg  [NFW-1:0]    nf_b;
    wire [DB*NFW-1:0] nf_cat = {nf_d, nf};
    always @(posedge clk) begin
        first_d <= {first_d[DS-3:0], first0};
        nf_d    <= nf_cat[(DB-1)*NFW-1:0];
        if (rst_q) begin
            done_d <= {DQ{1'b0}};
            nf_b   <= {NFW{1'b0}};                     // (reset: a FF, not a shift-register LUT)
        end else begin
            done_d <= {done_d[DQ-2:0], done0};
            nf_b   <= nf_cat[(DB-1)*NFW +: NFW];
        end
    end
    wire            done_q  = done_d[DQ-1];            // with the requantised group

    // ------------------------------------------------------------------ weight load
    wire              lb_we;
    wire [NFW-1:0]    lb_addr;
    wire [PE*B_W-1:0] lb_data;
    wire [PE-1:0]     lw_we;
    wire [AW-1:0]     lw_addr;
    wire [WWORD-1:0]  lw_data;
    generate
        if (LOAD != 0) begin : g_load
            wload #(.PE(PE), .NF(NF), .STEPS(STEPS), .BWORD(PE*B_W), .WWORD(WWORD), .NFW(NFW),
                    .AW(AW)) u_wload (
                .clk(clk), .rst(wl_rst), .in_start(wl_in_start), .in_valid(wl_in_valid),
                .in_data(wl_in_data), .out_start(wl_out_start), .out_valid(wl_out_valid),
                .out_data(wl_out_data), .b_we(lb_we), .b_addr(lb_addr), .b_data(lb_data),
                .w_we(lw_we), .w_addr(lw_addr), .w_data(lw_data)
            );
        end else begin : g_noload
            assign wl_out_start = wl_in_start;
            assign wl_out_valid = wl_in_valid;
            assign wl_out_data = wl_in_data;
            assign lb_we = 1'b0;
            assign lb_addr = {NFW{1'b0}};
            assign lb_data = {PE*B_W{1'b0}};
            assign lw_we = {PE{1'b0}};
            assign lw_addr = {AW{1'b0}};
            assign lw_data = {WWORD{1'b0}};
        end
    endgenerate

    wire [PE*B_W-1:0] bias;                            // DS cycles after issue
    rom #(.WIDTH(PE*B_W), .DEPTH(NF), .FILE({MEM_PREFIX, "_b.mem"}), .STYLE(BIAS_STYLE),
          .WRITABLE(LOAD)) u_bias (
        .clk(clk), .en(1'b1), .addr(nf_b), .data(bias), .we(lb_we), .waddr(lb_addr),
        .wdata(lb_data)
    );

    // ------------------------------------------------------------------ input chunk
    wire [CHW-1:0] xm;                                 // chunk sf, LM cycles after issue
    wire [CHW-1:0] xd;                                 // D cycles after issue
    generate
        if (SF > 1) begin : g_sel
            mux_pipe #(.WIDTH(CHW), .N(SF)) u_sel (
                .clk(clk), .en(1'b1), .sel(sf_sel), .din(s_tdata), .dout(xm)
            );
        end else begin : g_nosel
            assign xm = s_tdata;
        end
        if (D > LM + 1) begin : g_xdly
            reg [(D-LM)*CHW-1:0] sh;
            always @(posedge clk) sh <= {sh[(D-LM-1)*CHW-1:0], xm};
            assign xd = sh[(D-LM-1)*CHW +: CHW];
        end else if (D == LM + 1) begin : g_xdly1
            reg [CHW-1:0] sh;
            always @(posedge clk) sh <= xm;
            assign xd = sh;
        end else begin : g_xnodly
            assign xd = xm;
        end
    endgenerate

    // ------------------------------------------------------------------ per PE datapath
    wire [PE*OUT_W-1:0] q;     // requantised results, DQ cycles after the last chunk's issue
    genvar p, l;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            localparam [7:0] D2 = 8'd48 + p / 100;
            localparam [7:0] D1 = 8'd48 + (p / 10) % 10;
            localparam [7:0] D0 = 8'd48 + p % 10;
            wire [WWORD-1:0] w2;                       // 2 cycles after issue
            wire [WWORD-1:0] wd;                       // D cycles after issue
            rom #(.WIDTH(WWORD), .DEPTH(STEPS), .FILE({MEM_PREFIX, "_w", D2, D1, D0, ".mem"}),
                 .STYLE(ROM_STYLE), .WRITABLE(LOAD))
                u_w (.clk(clk), .en(1'b1), .addr(addr), .data(w2), .we(lw_we[p]),
                     .waddr(lw_addr), .wdata(lw_data));
            if (D > 3) begin : g_wdly
                reg [(D-2)*WWORD-1:0] sh;
                always @(posedge clk) sh <= {sh[(D-3)*WWORD-1:0], w2};
                assign wd = sh[(D-3)*WWORD +: WWORD];
            end else if (D == 3) begin : g_wdly1
                reg [WWORD-1:0] sh;
                always @(posedge clk) sh <= w2;
                assign wd = sh;
            end else begin : g_wnodly
                assign wd = w2;
            end

            // Products and adder tree, in procedural loops (few named scopes: quick to build in
            // simulation). Level l entry j at tree[(l*SIMD + j)*TW +: TW] (sign-extended to TW);
            // level 0 = the products, level l entry j = entries 2j and 2j+1 of level l-1
            // (2j alone when 2j+1 is past the end), exact in PW+l bits, registered.
            /* verilator lint_off UNUSEDSIGNAL */
            wire [(T+1)*SIMD*TW-1:0] tree;
            /* verilator lint_on UNUSEDSIGNAL */
            reg  [SIMD*XW-1:0]  xa;                    // DSP A registers
            reg  [SIMD*W_W-1:0] wb;                    // DSP B registers
            reg  [SIMD*PW-1:0]  pr;                    // DSP M registers
            reg  [SIMD*TW-1:0]  ext0;
            integer j;
            always @(posedge clk)
                for (j = 0; j < SIMD; j = j + 1) begin
                    xa[j*XW +: XW]   <= {(IN_SIGNED != 0) & xd[j*IN_W + IN_W - 1], xd[j*IN_W +: IN_W]};
                    wb[j*W_W +: W_W] <= wd[j*W_W +: W_W];
                    pr[j*PW +: PW]   <= $signed(xa[j*XW +: XW]) * $signed(wb[j*W_W +: W_W]);
                end
            always @*
                for (j = 0; j < SIMD; j = j + 1)
                    ext0[j*TW +: TW] = {{(TW-PW){pr[j*PW + PW - 1]}}, pr[j*PW +: PW]};
            assign tree[0 +: SIMD*TW] = ext0;
            for (l = 1; l <= T; l = l + 1) begin : g_lvl
                localparam integer NI = (SIMD + (1 << (l - 1)) - 1) >> (l - 1);  // inputs
                localparam integer NO = (SIMD + (1 << l) - 1) >> l;              // outputs
                localparam integer WL = (PW + l < TW) ? PW + l : TW - 1;        // exact width
                localparam integer BI = (l - 1) * SIMD * TW;                     // input base
                reg [NO*WL-1:0]   r;
                reg [SIMD*TW-1:0] ext;
                integer k;
                // (a lone entry is passed on with a reset: chains of them would otherwise
                // become shift-register LUTs, whose clock-to-out is slow)
                always @(posedge clk)
                    for (k = 0; k < NO; k = k + 1)
                        if (2*k + 1 < NI)
                            r[k*WL +: WL] <= tree[BI + 2*k*TW +: WL] +
                                             tree[BI + (2*k + 1)*TW +: WL];
                        else if (rst_q)
                            r[k*WL +: WL] <= {WL{1'b0}};
                        else
                            r[k*WL +: WL] <= tree[BI + 2*k*TW +: WL];
                always @* begin
                    ext = {(SIMD*TW){1'b0}};
                    for (k = 0; k < NO; k = k + 1)
                        ext[k*TW +: TW] = {{(TW-WL){r[k*WL + WL - 1]}}, r[k*WL +: WL]};
                end
                assign tree[l*SIMD*TW +: SIMD*TW] = ext;
            end
            wire signed [ACC_W-1:0] sum = tree[T*SIMD*TW +: TW];

            // accumulate: bias on the first chunk of a group
            wire signed [B_W-1:0]   b = bias[p*B_W +: B_W];
            wire signed [ACC_W-1:0] bias_acc = {{(ACC_W-B_W){b[B_W-1]}}, b} <<< BIAS_SHIFT;
            // first_s: a plain FF per PE (the reset keeps it out of a shift-register LUT, whose
            // clock-to-out is slow; one per PE keeps the fan-out low)
            (* keep = "true" *) reg first_s;                 // with the sum
            reg  signed [ACC_W-1:0] acc;
            always @(posedge clk) begin
                if (rst_q) first_s <= 1'b0;
                else       first_s <= first_d[DS-2];
                acc <= (first_s ? bias_acc : acc) + sum;
            end

            requant #(.ACC_W(ACC_W), .OUT_W(OUT_W), .SHIFT(SHIFT), .ROUND(ROUND), .RELU(RELU),
                      .OUT_SIGNED(OUT_SIGNED), .SAT(SAT))
                u_rq (.clk(clk), .en(1'b1), .acc(acc), .out(q[p*OUT_W +: OUT_W]));
        end
    endgenerate

    // ------------------------------------------------------------------ collect groups
    reg [COUT*OUT_W-1:0] obuf;
    reg [NFW-1:0]        g;
    reg                  push;
    generate
        if (NF > 1) begin : g_shift
            always @(posedge clk) if (done_q) obuf <= {q, obuf[COUT*OUT_W-1:PE*OUT_W]};
        end else begin : g_direct
            always @(posedge clk) if (done_q) obuf <= q;
        end
    endgenerate
    always @(posedge clk) begin
        if (rst_q) begin
            g    <= {NFW{1'b0}};
            push <= 1'b0;
        end else begin
            push <= done_q && (g == N_LAST);
            if (done_q) g <= (g == N_LAST) ? {NFW{1'b0}} : g + 1'b1;
        end
    end

    // ------------------------------------------------------------------ output FIFO
    /* verilator lint_off UNUSEDSIGNAL */
    wire fifo_ready;  // always 1 when push (guaranteed by the credit counter)
    /* verilator lint_on UNUSEDSIGNAL */
    fifo #(.WIDTH(COUT*OUT_W), .DEPTH(FD), .RAM_STYLE(FIFO_STYLE)) u_out (
        .clk(clk), .rst(rst_q),
        .s_tdata(obuf), .s_tvalid(push), .s_tready(fifo_ready),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready)
    );
endmodule
`default_nettype wire
