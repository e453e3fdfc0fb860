// axis_out: final beat (NCLASS values of OUT_W bits, class i at [i*OUT_W +: OUT_W]) ->
// AXI4-Stream output per fpga/beats.py: one 32-bit beat per class, class 0 first, the raw value
// sign-extended (OUT_SIGNED) or zero-extended to 32 bits, tlast on the last class.
// NCLASS beats per input beat; the next input beat is taken while the last class goes out
// (no bubble between frames). OUT_W <= 32.
// Structure: a shift register of the beat (NCLASS*OUT_W bits) emits one class a cycle into a
// skid of OUT_W+1 bits (value, last), which drives m_axis_*: m_axis_tvalid/tdata/tlast are
// flip-flops (tdata's extension is wiring), m_axis_tready only reaches the skid, and
// s_tready = !busy || (last && skid ready) is one LUT of registers; the buffer's wide load
// enable is another, from copies of busy and last. No path from any input
// port to any output port. Latency 2 (fpga/rtl/blocks.py: axis_out_latency).
// FFs: NCLASS*OUT_W + 2*(OUT_W+1) + index + 6. rst registered here.
`default_nettype none
module axis_out #(
    parameter integer NCLASS     = 10,
    parameter integer OUT_W      = 8,
    parameter integer OUT_SIGNED = 1
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire [NCLASS*OUT_W-1:0] s_tdata,
    input  wire                    s_tvalid,
    output wire                    s_tready,
    output wire [31:0]             m_axis_tdata,
    output wire                    m_axis_tvalid,
    input  wire                    m_axis_tready,
    output wire                    m_axis_tlast
);
    localparam integer IW = (NCLASS > 1) ? $clog2(NCLASS) : 1;
    /* verilator lint_off WIDTHTRUNC */
    localparam [IW-1:0] I_LAST = NCLASS - 1;
    /* verilator lint_on WIDTHTRUNC */

    reg rst_q;
    always @(posedge clk) rst_q <= rst;

    reg [NCLASS*OUT_W-1:0] buf_q;
    reg [IW-1:0]           idx;
    reg                    busy;    // buf_q holds classes still to send
    reg                    last;    // == (idx == I_LAST), a flip-flop
    wire                   k_ready;
    wire [OUT_W:0]         k_data;

    wire emit = busy && k_ready;                     // one class into the skid
    assign s_tready = !rst_q && (!busy || (last && k_ready));
    wire take = s_tvalid && s_tready;
    // buf_q loads whenever it is empty or its last class leaves (valid or not: what it loads
    // without a beat is never sent) and shifts when a class leaves, so its NCLASS*OUT_W
    // enables and selects are each one LUT of flip-flops: copies of busy and last (kept apart:
    // opt_merge leaves flip-flops alone when both carry keep) that feed nothing else, and the
    // skid's registered ready. (Kept wires: ABC maps each as one net instead of folding the
    // flags into every bit's LUT.)
    (* keep *) reg busy_b, last_b;
    (* keep *) wire buf_en = !busy_b || k_ready;
    (* keep *) wire buf_ld = !busy_b || last_b;

    (* keep *) always @(posedge clk) begin
        if (rst_q) begin
            busy <= 1'b0;
            idx  <= {IW{1'b0}};
            last <= (NCLASS == 1);
        end else if (take) begin
            busy <= 1'b1;
            idx  <= {IW{1'b0}};
            last <= (NCLASS == 1);
        end else if (emit) begin
            if (last) busy <= 1'b0;
            idx  <= idx + 1'b1;
            last <= (idx == I_LAST - 1'b1);
        end
        if (buf_en) buf_q <= buf_ld ? s_tdata : buf_q >> OUT_W;
    end
    (* keep *) always @(posedge clk) begin
        busy_b <= !rst_q && (take || (busy && !(emit && last)));
        last_b <= (rst_q || take) ? (NCLASS == 1) : emit ? (idx == I_LAST - 1'b1) : last;
    end

    skid #(.WIDTH(OUT_W + 1)) u_skid (
        .clk(clk), .rst(rst), .s_tdata({last, buf_q[OUT_W-1:0]}), .s_tvalid(busy),
        .s_tready(k_ready), .m_tdata(k_data), .m_tvalid(m_axis_tvalid), .m_tready(m_axis_tready));

    wire [OUT_W-1:0] v = k_data[OUT_W-1:0];
    assign m_axis_tlast = k_data[OUT_W];
    generate
        if (OUT_W < 32) begin : g_ext
            assign m_axis_tdata = {{(32-OUT_W){(OUT_SIGNED != 0) & v[OUT_W-1]}}, v};
        end else begin : g_noext
            assign m_axis_tdata = v[31:0];
        end
    endgenerate
endmodule
`default_nettype wire
