// ctrl_regs: AXI4-Lite control and status registers of the accelerator (32-bit data, byte
// addresses; the register map is fpga/beats.py CTRL_REGS, shared with the board driver and the
// tests):
//   0x00 BUILD_ID    RO  the model's hash (rtl.json "build_id")
//   0x04 STATUS      RO  bit 0 tlast_err (sticky until a reset), bit 1 weights ready (always 1
//                        when the bitstream fills the weights, LOAD = 0), bit 2 soft reset in
//                        progress, bit 3 weight image rejected, bit 4 weight load in progress
//   0x08 FRAMES_IN   RO  input frames accepted (s_axis beats with tlast)
//   0x0C FRAMES_OUT  RO  score vectors sent (m_axis beats with tlast)
//   0x10 TLAST_ERRS  RO  frames with a misplaced s_axis tlast (saturating 16-bit count)
//   0x14 CONTROL     WO  bit 0: soft reset (the datapath is held in reset for SOFT_CYCLES
//                        cycles: a misframed stream is cleared, tlast_err/TLAST_ERRS with it),
//                        bit 1: clear FRAMES_IN/FRAMES_OUT; bit 2: begin a weight load (LOAD);
//                        reads 0
//   0x18 MAP_VERSION RO  register-map version (beats.CTRL_MAP_VERSION)
//   0x1C WLOAD_DATA  WO  the next 32-bit word of the weight image (LOAD; all 4 bytes)
//   0x20 WLOAD_COUNT RO  image words taken since the last begin (LOAD)
//   0x24 WLOAD_WORDS RO  the image's size in words (LOAD; 0 without the load port)
// Weight load (LOAD = 1, `fpga rtl --weights load`; image format: fpga/beats.py weight_image):
// CONTROL bit 2 clears "weights ready" (the top then holds the datapath in reset and refuses
// input) and sends a start token down the weight-load chain (wload.v in every mac); then the
// image's words are written to WLOAD_DATA in order: WEIGHT_MAGIC, BUILD_ID, WL_WORDS (payload
// size), the payload (forwarded to the chain, summed) and the 32-bit sum of the payload. A
// wrong magic, build ID, size or sum rejects the image (STATUS bit 3; words after it are
// ignored) until the next begin; a correct one sets "weights ready" WL_DRAIN cycles later,
// once the chain has delivered its last word. ap_rst_n aborts a load in progress (weights not
// ready) but keeps a completed one: the memories are not cleared by a reset.
// Other addresses read 0 and ignore writes; every response is OKAY. The frame counters are
// cleared by ap_rst_n and CONTROL bit 1 only, so the driver can see what a soft reset lost.
// One write and one read can be in flight at a time; AW and W may come in either order.
// Every output is a flip-flop; in_frame/out_frame/tlast_* are registered before use.
`default_nettype none
module ctrl_regs #(
    parameter [31:0]  BUILD_ID    = 32'h0,
    parameter integer SOFT_CYCLES = 16,
    parameter [31:0]  MAP_VERSION = 32'h1,
    parameter integer LOAD        = 0,       // 1: weights through the load port
    parameter [31:0]  WL_WORDS    = 32'h0,   // LOAD: payload words (beats.weight_image)
    parameter [31:0]  WL_MAGIC    = 32'h0,   // LOAD: beats.WEIGHT_MAGIC
    parameter integer WL_DRAIN    = 8        // LOAD: cycles for the chain to deliver a word
) (
    input  wire        clk,
    input  wire        rst,              // registered, active high (from ap_rst_n)
    input  wire [5:0]  s_axi_awaddr,
    input  wire        s_axi_awvalid,
    output reg         s_axi_awready,
    input  wire [31:0] s_axi_wdata,
    input  wire [3:0]  s_axi_wstrb,
    input  wire        s_axi_wvalid,
    output reg         s_axi_wready,
    output wire [1:0]  s_axi_bresp,
    output reg         s_axi_bvalid,
    input  wire        s_axi_bready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [5:0]  s_axi_araddr,     // word addresses: bits 1:0 unused
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire        s_axi_arvalid,
    output reg         s_axi_arready,
    output reg  [31:0] s_axi_rdata,
    output wire [1:0]  s_axi_rresp,
    output reg         s_axi_rvalid,
    input  wire        s_axi_rready,
    input  wire        in_frame,         // a frame's last input beat accepted this cycle
    input  wire        out_frame,        // a frame's last output beat accepted this cycle
    input  wire        tlast_err,
    input  wire [15:0] tlast_errs,
    output reg         soft_rst,         // hold the datapath in reset
    output wire        weights_ready,    // a flip-flop (1 when LOAD = 0)
    output reg         wl_start,         // weight-load chain: start token
    output reg         wl_valid,         // ... a payload word
    output reg  [31:0] wl_data
);
    localparam integer CW = $clog2(SOFT_CYCLES + 1);
    /* verilator lint_off WIDTHTRUNC */
    localparam [CW-1:0] SOFT_N = SOFT_CYCLES;
    /* verilator lint_on WIDTHTRUNC */
    assign s_axi_bresp = 2'b00;
    assign s_axi_rresp = 2'b00;

    reg        in_q, out_q, err_q;
    reg [15:0] errs_q;
    reg [31:0] frames_in, frames_out;
    reg [CW-1:0] soft_cnt;

    // write channel: hold AW and W until both are here, then write and respond
    reg        aw_have, w_have;
    /* verilator lint_off UNUSEDSIGNAL */
    reg  [5:0] aw_addr;                  // bits 1:0 unused (word registers)
    reg [31:0] w_data;                   // CONTROL uses bits 1:0
    reg  [3:0] w_strb;                   // ... so only byte lane 0
    /* verilator lint_on UNUSEDSIGNAL */
    wire       do_write = aw_have && w_have && !s_axi_bvalid;
    wire       ctl_write = do_write && aw_addr[5:2] == 4'd5 && w_strb[0];
    /* verilator lint_off UNUSEDSIGNAL */
    wire       wl_write  = do_write && aw_addr[5:2] == 4'd7;   // (LOAD only)

    // weight-load state (LOAD); the power-up value is "no weights"
    localparam [2:0] W_EMPTY = 3'd0, W_LOADING = 3'd1, W_DRAIN = 3'd2, W_READY = 3'd3,
                     W_ERROR = 3'd4;
    localparam integer DRW = $clog2(WL_DRAIN + 1);
    /* verilator lint_off WIDTHTRUNC */
    localparam [DRW-1:0] DRAIN_N = WL_DRAIN;
    /* verilator lint_on WIDTHTRUNC */
    reg  [2:0]     wst;
    reg  [31:0]    wcnt;
    reg  [31:0]    wsum;
    reg  [DRW-1:0] drain;
    /* verilator lint_on UNUSEDSIGNAL */
    reg            ready_q;
    initial begin                        // power-up (FPGA flip-flop init values)
        wst = W_EMPTY;
        wcnt = 32'd0;
        ready_q = (LOAD == 0);
    end
    wire           w_err = (LOAD != 0) && wst == W_ERROR;
    wire           w_loading = (LOAD != 0) && (wst == W_LOADING || wst == W_DRAIN);
    assign weights_ready = ready_q;
    generate
        if (LOAD != 0) begin : g_load
            always @(posedge clk) begin
                wl_start <= 1'b0;
                wl_valid <= 1'b0;
                wl_data <= w_data;
                ready_q <= wst == W_READY;
                if (rst) begin
                    if (wst == W_LOADING || wst == W_DRAIN) wst <= W_EMPTY;
                end else if (ctl_write && w_data[2]) begin
                    wst <= W_LOADING;
                    wcnt <= 32'd0;
                    wsum <= 32'd0;
                    wl_start <= 1'b1;
                end else if (wst == W_LOADING && wl_write) begin
                    wcnt <= wcnt + 32'd1;
                    if (wcnt == 32'd0) begin
                        if (w_data != WL_MAGIC) wst <= W_ERROR;
                    end else if (wcnt == 32'd1) begin
                        if (w_data != BUILD_ID) wst <= W_ERROR;
                    end else if (wcnt == 32'd2) begin
                        if (w_data != WL_WORDS) wst <= W_ERROR;
                    end else if (wcnt < WL_WORDS + 32'd3) begin
                        wl_valid <= 1'b1;
                        wsum <= wsum + w_data;
                    end else if (w_data == wsum) begin
                        wst <= W_DRAIN;
                        drain <= DRAIN_N;
                    end else begin
                        wst <= W_ERROR;
                    end
                end else if (wst == W_DRAIN) begin
                    if (drain == {DRW{1'b0}}) wst <= W_READY;
                    else drain <= drain - 1'b1;
                end
            end
        end else begin : g_noload
            always @(posedge clk) begin
                wl_start <= 1'b0;
                wl_valid <= 1'b0;
                wl_data <= 32'd0;
            end
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            aw_have <= 1'b0;
            w_have <= 1'b0;
            s_axi_awready <= 1'b0;
            s_axi_wready <= 1'b0;
            s_axi_bvalid <= 1'b0;
        end else begin
            if (s_axi_awvalid && s_axi_awready) begin
                aw_have <= 1'b1;
                aw_addr <= s_axi_awaddr;
            end else if (do_write) begin
                aw_have <= 1'b0;
            end
            if (s_axi_wvalid && s_axi_wready) begin
                w_have <= 1'b1;
                w_data <= s_axi_wdata;
                w_strb <= s_axi_wstrb;
            end else if (do_write) begin
                w_have <= 1'b0;
            end
            // ready again once the held beat has been written
            s_axi_awready <= !(aw_have || (s_axi_awvalid && s_axi_awready)) || do_write;
            s_axi_wready  <= !(w_have || (s_axi_wvalid && s_axi_wready)) || do_write;
            if (do_write) s_axi_bvalid <= 1'b1;
            else if (s_axi_bready) s_axi_bvalid <= 1'b0;
        end
    end

    // read channel: one read at a time, data registered
    always @(posedge clk) begin
        if (rst) begin
            s_axi_arready <= 1'b0;
            s_axi_rvalid <= 1'b0;
        end else begin
            if (s_axi_arvalid && s_axi_arready) begin
                s_axi_rvalid <= 1'b1;
                s_axi_arready <= 1'b0;
                case (s_axi_araddr[5:2])
                    4'd0: s_axi_rdata <= BUILD_ID;
                    4'd1: s_axi_rdata <= {27'd0, w_loading, w_err, soft_rst, weights_ready,
                                          err_q};
                    4'd2: s_axi_rdata <= frames_in;
                    4'd3: s_axi_rdata <= frames_out;
                    4'd4: s_axi_rdata <= {16'd0, errs_q};
                    4'd6: s_axi_rdata <= MAP_VERSION;
                    4'd8: s_axi_rdata <= (LOAD != 0) ? wcnt : 32'd0;
                    4'd9: s_axi_rdata <= (LOAD != 0) ? WL_WORDS + 32'd4 : 32'd0;
                    default: s_axi_rdata <= 32'd0;
                endcase
            end else if (s_axi_rvalid && s_axi_rready) begin
                s_axi_rvalid <= 1'b0;
                s_axi_arready <= 1'b1;
            end else if (!s_axi_rvalid) begin
                s_axi_arready <= 1'b1;
            end
        end
    end

    // status inputs and counters
    always @(posedge clk) begin
        in_q <= in_frame;
        out_q <= out_frame;
        err_q <= tlast_err;
        errs_q <= tlast_errs;
        if (rst || (ctl_write && w_data[1])) begin
            frames_in <= 32'd0;
            frames_out <= 32'd0;
        end else begin
            if (in_q) frames_in <= frames_in + 32'd1;
            if (out_q) frames_out <= frames_out + 32'd1;
        end
        if (rst) begin
            soft_cnt <= {CW{1'b0}};
            soft_rst <= 1'b0;
        end else begin
            if (ctl_write && w_data[0]) soft_cnt <= SOFT_N;
            else if (soft_cnt != {CW{1'b0}}) soft_cnt <= soft_cnt - 1'b1;
            soft_rst <= (ctl_write && w_data[0]) || (soft_cnt > {{(CW-1){1'b0}}, 1'b1});
        end
    end
endmodule
`default_nettype wire
