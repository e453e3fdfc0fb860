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
// The window is used in place: the mac starts as soon as s_tvalid is high, reads chunk sf
// of s_tdata each step and accepts the beat (s_tready) in the last step, relying on the
// AXI-Stream rule that an offered beat stays valid and stable until accepted (every block
// here obeys it). So it keeps no copy of the window; s_tready depends on s_tvalid.
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
// Pipeline: S0 issue (ROM address, chunk select)
// -> S1 ROM data + input chunk -> S2 products -> S3 accumulate -> S4 requantise into the
// output shift register -> S5 output FIFO. The pipeline never stalls: a window is accepted
// only when the output FIFO has room reserved for its result (credit counter), so
// backpressure on m_* stops new windows instead (s_tready never depends on m_tready).
// Latency from s_tvalid (window start) to m_tvalid: NF*SF + 6 cycles.
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
    parameter         MEM_PREFIX = "mac",
    parameter         ROM_STYLE  = "auto"   // weight banks: "auto", "block", "distributed", "logic"
) (
    input  wire                    clk,
    input  wire                    rst,
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
    // output FIFO depth = credits; enough for full rate with the pipeline latency
    localparam integer FD    = 8 / STEPS + 3;
    localparam integer CRW   = $clog2(FD + 1) + 1;

    /* verilator lint_off WIDTHTRUNC */
    localparam [AW-1:0]  A_LAST  = STEPS - 1;
    localparam [SFW-1:0] S_LAST  = SF - 1;
    localparam [NFW-1:0] N_LAST  = NF - 1;
    localparam [CRW-1:0] CR_MAX  = FD;
    /* verilator lint_on WIDTHTRUNC */

    // ------------------------------------------------------------------ S0: issue
    // The window is read in place from s_tdata while it is offered (AXI-Stream: valid held,
    // data stable until accepted) and accepted in the last step, so no window copy is kept.
    reg  [AW-1:0]   addr;
    reg  [SFW-1:0]  sf;
    reg  [NFW-1:0]  nf;
    reg  [CRW-1:0]  credit;   // windows started whose result has not left m_*

    wire mid       = (addr != {AW{1'b0}});               // inside a window
    wire issue     = s_tvalid && (mid || credit < CR_MAX);
    wire last_step = (addr == A_LAST);
    wire start     = issue && !mid;                      // reserves an output FIFO slot
    assign s_tready = issue && last_step;
    wire m_fire = m_tvalid && m_tready;

    always @(posedge clk) begin
        if (rst) begin
            addr   <= {AW{1'b0}};
            sf     <= {SFW{1'b0}};
            nf     <= {NFW{1'b0}};
            credit <= {CRW{1'b0}};
        end else begin
            credit <= credit + {{(CRW-1){1'b0}}, start} - {{(CRW-1){1'b0}}, m_fire};
            if (issue) begin
                if (last_step) begin
                    addr <= {AW{1'b0}};
                    sf   <= {SFW{1'b0}};
                    nf   <= {NFW{1'b0}};
                end else begin
                    addr <= addr + 1'b1;
                    if (sf == S_LAST) begin
                        sf <= {SFW{1'b0}};
                        nf <= nf + 1'b1;
                    end else begin
                        sf <= sf + 1'b1;
                    end
                end
            end
        end
    end

    // ------------------------------------------------------------------ S1
    reg             v1, first1, last1;
    reg [CHW-1:0]   x1;
    always @(posedge clk) begin
        if (rst) begin
            v1 <= 1'b0;
        end else begin
            v1 <= issue;
        end
        first1 <= (sf == {SFW{1'b0}});
        last1  <= (sf == S_LAST);
        x1     <= s_tdata[sf*CHW +: CHW];                // chunk sf of the window
    end

    wire [PE*B_W-1:0] b1;
    rom #(.WIDTH(PE*B_W), .DEPTH(NF), .FILE({MEM_PREFIX, "_b.mem"})) u_bias (
        .clk(clk), .en(issue), .addr(nf), .data(b1)
    );

    // ------------------------------------------------------------------ S2 / S3 control
    reg v2, first2, last2, v3;
    always @(posedge clk) begin
        if (rst) begin
            v2 <= 1'b0;
            v3 <= 1'b0;
        end else begin
            v2 <= v1;
            v3 <= v2 && last2;
        end
        first2 <= first1;
        last2  <= last1;
    end

    // ------------------------------------------------------------------ per PE datapath
    wire [PE*OUT_W-1:0] q;     // requantised results of the group finishing in S3
    genvar p, s;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            localparam [7:0] D2 = 8'd48 + p / 100;
            localparam [7:0] D1 = 8'd48 + (p / 10) % 10;
            localparam [7:0] D0 = 8'd48 + p % 10;
            wire [WWORD-1:0] w1;
            rom #(.WIDTH(WWORD), .DEPTH(STEPS), .FILE({MEM_PREFIX, "_w", D2, D1, D0, ".mem"}),
                 .STYLE(ROM_STYLE))
                u_w (.clk(clk), .en(issue), .addr(addr), .data(w1));

            reg signed [B_W-1:0] b2;
            always @(posedge clk) b2 <= b1[p*B_W +: B_W];

            // S2: products
            wire [SIMD*PW-1:0] prod;
            for (s = 0; s < SIMD; s = s + 1) begin : g_mul
                wire [IN_W-1:0]       xu = x1[s*IN_W +: IN_W];
                wire signed [XW-1:0]  xs = {(IN_SIGNED != 0) & xu[IN_W-1], xu};
                wire signed [W_W-1:0] ws = w1[s*W_W +: W_W];
                reg  signed [PW-1:0]  pr;
                always @(posedge clk) pr <= xs * ws;
                assign prod[s*PW +: PW] = pr;
            end

            // S3: adder tree (combinational) + accumulate
            reg signed [ACC_W-1:0] sum;
            integer i;
            always @* begin
                sum = {ACC_W{1'b0}};
                for (i = 0; i < SIMD; i = i + 1)
                    sum = sum + {{(ACC_W-PW){prod[i*PW+PW-1]}}, prod[i*PW +: PW]};
            end
            wire signed [ACC_W-1:0] bias_acc =
                {{(ACC_W-B_W){b2[B_W-1]}}, b2} <<< BIAS_SHIFT;
            reg  signed [ACC_W-1:0] acc, res;
            wire signed [ACC_W-1:0] acc_next = (first2 ? bias_acc : acc) + sum;
            always @(posedge clk) begin
                if (v2) acc <= acc_next;
                if (v2 && last2) res <= acc_next;
            end

            requant #(.ACC_W(ACC_W), .OUT_W(OUT_W), .SHIFT(SHIFT), .ROUND(ROUND), .RELU(RELU),
                      .OUT_SIGNED(OUT_SIGNED), .SAT(SAT))
                u_rq (.acc(res), .out(q[p*OUT_W +: OUT_W]));
        end
    endgenerate

    // ------------------------------------------------------------------ S4: collect groups
    reg [COUT*OUT_W-1:0] obuf;
    reg [NFW-1:0]        g;
    reg                  push;
    generate
        if (NF > 1) begin : g_shift
            always @(posedge clk) if (v3) obuf <= {q, obuf[COUT*OUT_W-1:PE*OUT_W]};
        end else begin : g_direct
            always @(posedge clk) if (v3) obuf <= q;
        end
    endgenerate
    always @(posedge clk) begin
        if (rst) begin
            g    <= {NFW{1'b0}};
            push <= 1'b0;
        end else begin
            push <= v3 && (g == N_LAST);
            if (v3) g <= (g == N_LAST) ? {NFW{1'b0}} : g + 1'b1;
        end
    end

    // ------------------------------------------------------------------ S5: output FIFO
    /* verilator lint_off UNUSEDSIGNAL */
    wire fifo_ready;  // always 1 when push (guaranteed by the credit counter)
    /* verilator lint_on UNUSEDSIGNAL */
    fifo #(.WIDTH(COUT*OUT_W), .DEPTH(FD)) u_out (
        .clk(clk), .rst(rst),
        .s_tdata(obuf), .s_tvalid(push), .s_tready(fifo_ready),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready)
    );
endmodule
`default_nettype wire
