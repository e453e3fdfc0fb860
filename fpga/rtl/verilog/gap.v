// gap: global average pooling, exactly as the IR contract (fpga/graph.py):
//   out[c] = trunc_toward_zero( (sum_{H*W pixels} x[c]) << EXTRA ) / (H*W) )
// then saturated (SAT=1) or wrapped (SAT=0) to OUT_W bits (OUT_SIGNED). EXTRA = out_frac -
// in_frac >= 0.
// Input : pixels, C values of IN_W bits (IN_SIGNED), H*W beats per frame, back to back.
// Output: one beat per frame, C values of OUT_W bits, channel c at [c*OUT_W +: OUT_W].
// Sums are exact (IN_W + 1 + clog2(H*W) bits). At the last pixel of a frame the sums go to
// C parallel restoring dividers (one quotient bit per cycle, DW = sum bits + EXTRA cycles),
// while the next frame is already being summed; the last pixel of the next frame waits only
// if the previous division/output is still pending. Input: one pixel per cycle.
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
    parameter integer SAT        = 1
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
    localparam integer CW    = (N > 1) ? $clog2(N) : 1;
    localparam integer SUM_W = IN_W + 1 + $clog2(N + 1);
    localparam integer DW    = SUM_W + EXTRA;       // signed dividend width
    localparam integer RW    = $clog2(N + 1) + 1;   // remainder width (holds 2N-1)
    localparam integer IW    = $clog2(DW + 1);

    /* verilator lint_off WIDTHTRUNC */
    localparam [CW-1:0] C_LAST = N - 1;
    localparam [RW-1:0] R_N    = N;
    localparam [IW-1:0] I_LAST = DW - 1;
    /* verilator lint_on WIDTHTRUNC */

    reg  [CW-1:0] cnt;
    reg           dbusy;      // dividing, or holding a result for the output register
    reg  [IW-1:0] it;
    wire          last_px = (cnt == C_LAST);
    assign s_tready = !(last_px && dbusy);
    wire          acc_in  = s_tvalid && s_tready;
    wire          start   = acc_in && last_px;
    wire          ddone   = dbusy && (it == I_LAST);     // last quotient bit this cycle
    wire          room    = !m_tvalid || m_tready;
    reg           dfin;                                  // quotients complete
    wire [C*OUT_W-1:0] q;

    always @(posedge clk) begin
        if (rst) begin
            cnt      <= {CW{1'b0}};
            dbusy    <= 1'b0;
            dfin     <= 1'b0;
            it       <= {IW{1'b0}};
            m_tvalid <= 1'b0;
        end else begin
            if (acc_in) cnt <= last_px ? {CW{1'b0}} : cnt + 1'b1;
            if (start) begin
                dbusy <= 1'b1;
                dfin  <= 1'b0;
                it    <= {IW{1'b0}};
            end else if (dbusy && !dfin) begin
                it <= it + 1'b1;
                if (ddone) dfin <= 1'b1;
            end else if (dfin && room) begin
                dbusy <= 1'b0;
                dfin  <= 1'b0;
            end
            if (dfin && room) m_tvalid <= 1'b1;
            else if (m_tready) m_tvalid <= 1'b0;
        end
        if (dfin && room) m_tdata <= q;
    end

    genvar c;
    generate
        for (c = 0; c < C; c = c + 1) begin : g_ch
            wire [IN_W-1:0]        xu  = s_tdata[c*IN_W +: IN_W];
            wire signed [SUM_W-1:0] xe = {{(SUM_W-IN_W){(IN_SIGNED != 0) & xu[IN_W-1]}}, xu};
            reg  signed [SUM_W-1:0] sum;
            wire signed [SUM_W-1:0] sum_next = (cnt == {CW{1'b0}} ? {SUM_W{1'b0}} : sum) + xe;
            always @(posedge clk) if (acc_in) sum <= sum_next;

            // divider: |sum << EXTRA| / N, one quotient bit per cycle, MSB first
            wire signed [DW-1:0] sum_ext = {{(DW-SUM_W){sum_next[SUM_W-1]}}, sum_next};
            wire signed [DW-1:0] dvd = sum_ext <<< EXTRA;
            wire [DW-1:0] mag = dvd[DW-1] ? -dvd : dvd;
            reg  [DW-1:0] num, quo;
            reg  [RW-2:0] rem;                  // < N
            reg           neg;
            wire [RW-1:0] r2  = {rem, num[DW-1]};
            wire          ge  = (r2 >= R_N);
            /* verilator lint_off UNUSEDSIGNAL */
            wire [RW-1:0] r3  = ge ? r2 - R_N : r2;   // < N: top bit always 0
            /* verilator lint_on UNUSEDSIGNAL */
            always @(posedge clk) begin
                if (start) begin
                    num <= mag;
                    neg <= dvd[DW-1];
                    rem <= {(RW-1){1'b0}};
                end else if (dbusy && !dfin) begin
                    num <= {num[DW-2:0], 1'b0};
                    rem <= r3[RW-2:0];
                    quo <= {quo[DW-2:0], ge};
                end
            end
            wire signed [DW:0] res = neg ? -{1'b0, quo} : {1'b0, quo};
            requant #(.ACC_W(DW + 1), .OUT_W(OUT_W), .SHIFT(0), .ROUND(0), .RELU(0),
                      .OUT_SIGNED(OUT_SIGNED), .SAT(SAT))
                u_sat (.acc(res), .out(q[c*OUT_W +: OUT_W]));
        end
    endgenerate
endmodule
`default_nettype wire
