// fifo: first-word-fall-through stream FIFO, valid/ready on both sides.
//
// Storage is a ram_sdp of DEPTH words whose registered read port is the output register, so
// the FIFO holds up to DEPTH+1 beats (DEPTH in RAM + 1 presented on m_*). m_tdata/m_tvalid are
// registered; s_tready is a flip-flop (next-state `used != DEPTH`, from precomputed compares of
// `used` muxed by push/load), as is the RAM-not-empty flag; no path from any input port to any
// output port. Cycle-for-cycle the same behaviour as a combinational `used != DEPTH` (s_tready
// is 0 during reset and the cycle after). rst is registered here (rst_q).
// Latency: a beat written at clock edge t is presented on m_* after edge t+2.
// Throughput: one beat per cycle in and out (DEPTH 1: half rate). DEPTH need not be a power of
// two (>= 1). fpga/rtl/blocks.py: fifo_latency, fifo_capacity.
`default_nettype none
module fifo #(
    parameter integer WIDTH = 8,
    parameter integer DEPTH = 16,
    parameter         RAM_STYLE = "auto"   // "auto", "block", "distributed", "ultra" (ram_sdp.v)
) (
    input  wire             clk,
    input  wire             rst,
    input  wire [WIDTH-1:0] s_tdata,
    input  wire             s_tvalid,
    output reg              s_tready,
    output wire [WIDTH-1:0] m_tdata,
    output reg              m_tvalid,
    input  wire             m_tready
);
    localparam integer AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam [AW:0]   FULL = DEPTH[AW:0];
    localparam [AW:0]   FULL_1 = FULL - 1'b1;
    localparam [AW:0]   ONE = 1;
    localparam [AW-1:0] LAST = DEPTH[AW-1:0] - 1'b1;

    reg  [AW-1:0] wptr, rptr;
    reg  [AW:0]   used;  // words in the RAM (not counting the output register)
    reg           nonempty;  // == (used != 0), a flip-flop

    reg rst_q;
    always @(posedge clk) rst_q <= rst;

    wire push = s_tvalid && s_tready;
    wire load = nonempty && (!m_tvalid || m_tready);
    // The output register (WIDTH clock enables) loads whenever it is free, data or not: a read
    // of an empty FIFO leaves m_tvalid low, so it is never seen. Its enable comes from mv_c, a
    // copy of m_tvalid without the reset (a flip-flop of its own), so the wide enable net and
    // the counters' `load` share no logic and m_tready is one LUT from either.
    reg  mv_c;
    wire re = !mv_c || m_tready;
    wire inc  = push && !load;
    wire dec  = load && !push;

    ram_sdp #(.WIDTH(WIDTH), .DEPTH(DEPTH), .STYLE(RAM_STYLE)) u_ram (
        .clk(clk), .we(push), .waddr(wptr), .wdata(s_tdata),
        .re(re), .raddr(rptr), .rdata(m_tdata)
    );

    always @(posedge clk) begin
        // next-state flags: used +1 / -1 / unchanged
        s_tready <= !rst_q && (inc ? (used != FULL_1) : dec ? 1'b1 : (used != FULL));
        nonempty <= !rst_q && (inc ? 1'b1 : dec ? (used != ONE) : nonempty);
        mv_c     <= nonempty || (m_tvalid && !m_tready);   // = m_tvalid after this edge
        if (rst_q) begin
            wptr <= 0;
            rptr <= 0;
            used <= 0;
            m_tvalid <= 1'b0;
        end else begin
            if (push) wptr <= (wptr == LAST) ? {AW{1'b0}} : wptr + 1'b1;
            if (load) rptr <= (rptr == LAST) ? {AW{1'b0}} : rptr + 1'b1;
            used <= used + {{AW{1'b0}}, push} - {{AW{1'b0}}, load};
            // (= load ? 1 : m_tready ? 0 : m_tvalid, written without load: one LUT3 from
            // m_tready rather than a chain behind the wide read enable)
            m_tvalid <= nonempty || (m_tvalid && !m_tready);
        end
    end
endmodule
`default_nettype wire
