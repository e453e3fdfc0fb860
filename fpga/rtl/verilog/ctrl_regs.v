// ctrl_regs: AXI4-Lite control and status registers of the accelerator (32-bit data, byte
// addresses; the register map is fpga/beats.py CTRL_REGS, shared with the board driver and the
// tests):
//   0x00 BUILD_ID    RO  the model's hash (rtl.json "build_id")
//   0x04 STATUS      RO  bit 0 tlast_err (sticky until a reset), bit 1 weights ready (always 1:
//                        the bitstream fills the weights), bit 2 soft reset in progress
//   0x08 FRAMES_IN   RO  input frames accepted (s_axis beats with tlast)
//   0x0C FRAMES_OUT  RO  score vectors sent (m_axis beats with tlast)
//   0x10 TLAST_ERRS  RO  frames with a misplaced s_axis tlast (saturating 16-bit count)
//   0x14 CONTROL     WO  bit 0: soft reset (the datapath is held in reset for SOFT_CYCLES
//                        cycles: a misframed stream is cleared, tlast_err/TLAST_ERRS with it),
//                        bit 1: clear FRAMES_IN/FRAMES_OUT; reads 0
//   0x18 MAP_VERSION RO  register-map version (beats.CTRL_MAP_VERSION)
// Other addresses read 0 and ignore writes; every response is OKAY. The frame counters are
// cleared by ap_rst_n and CONTROL bit 1 only, so the driver can see what a soft reset lost.
// One write and one read can be in flight at a time; AW and W may come in either order.
// Every output is a flip-flop; in_frame/out_frame/tlast_* are registered before use.
`default_nettype none
module ctrl_regs #(
    parameter [31:0]  BUILD_ID    = 32'h0,
    parameter integer SOFT_CYCLES = 16,
    parameter [31:0]  MAP_VERSION = 32'h1
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
    output reg         soft_rst          // hold the datapath in reset
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
                    4'd1: s_axi_rdata <= {29'd0, soft_rst, 1'b1, err_q};
                    4'd2: s_axi_rdata <= frames_in;
                    4'd3: s_axi_rdata <= frames_out;
                    4'd4: s_axi_rdata <= {16'd0, errs_q};
                    4'd6: s_axi_rdata <= MAP_VERSION;
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
