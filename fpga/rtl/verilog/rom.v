// rom: synchronous-read ROM initialised by $readmemh(FILE). One word per line in FILE, hex,
// word 0 first. Two-cycle read: the memory's read register, then an output register (Vivado
// packs it into the block RAM's DO_REG, or a LUT ROM's second FF stage), both enabled by en:
// data = mem[addr presented at the second-to-last clock edge with en high] (tie en high in a
// pipeline that never stalls: data follows addr by 2 cycles). So Yosys/Vivado map it to block
// RAM (or LUT RAM when small). STYLE: "auto", "block", "distributed" or "logic" sets the
// rom_style attribute.
// WRITABLE = 1 (the weight-load port, `fpga rtl --weights load`): no init file; the memory is a
// RAM (ram_sdp.v, STYLE as its ram_style: "auto", "block", "distributed" or "ultra") filled
// through we/waddr/wdata, read with the same two-cycle timing. WRITABLE = 0 ignores those ports.
`default_nettype none
module rom #(
    parameter integer WIDTH = 8,
    parameter integer DEPTH = 16,
    parameter         FILE  = "rom.mem",
    parameter         STYLE = "auto",
    parameter integer WRITABLE = 0,
    parameter integer AW = (DEPTH > 1) ? $clog2(DEPTH) : 1  // do not override
) (
    input  wire             clk,
    input  wire             en,
    input  wire [AW-1:0]    addr,
    output wire [WIDTH-1:0] data,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire             we,          // WRITABLE only
    input  wire [AW-1:0]    waddr,
    input  wire [WIDTH-1:0] wdata
    /* verilator lint_on UNUSEDSIGNAL */
);
    // (string parameter compares: widths differ by design)
    // Address register, then the read into the output register: the same 2 cycles as a
    // block RAM's address latch + DO_REG. Registering the address (kept) rather than the raw
    // read stops Yosys from pulling the caller's address-counter logic into a LUT ROM's
    // decoder (measured: a 128-word LUT ROM behind the mac's address counter had 6 logic
    // levels and an adder, 173 MHz on xc7; with the kept address register 234 MHz).
    // One per ROM: keep on the register (Vivado) and on its process (Yosys puts it on the
    // flip-flop cells, which opt_merge then leaves alone), so the PE banks of a mac do not
    // share one address register whose net reaches every bank's decoder (v1.1 conv1: ~860
    // LUT loads on one net).
    (* keep *) reg [AW-1:0] a_q;
    (* keep *) always @(posedge clk) if (en) a_q <= addr;

    /* verilator lint_off WIDTHEXPAND */
    generate
        if (WRITABLE != 0) begin : g_ram
            ram_sdp #(.WIDTH(WIDTH), .DEPTH(DEPTH), .STYLE(STYLE)) u_ram (
                .clk(clk), .we(we), .waddr(waddr), .wdata(wdata), .re(en), .raddr(a_q),
                .rdata(data)
            );
        end else begin : g_rom
            reg [WIDTH-1:0] q;
            assign data = q;
            if (STYLE == "block") begin : g_block
                (* rom_style = "block" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
                initial $readmemh(FILE, mem);
                always @(posedge clk) if (en) q <= mem[a_q];
            end else if (STYLE == "distributed") begin : g_dist
                (* rom_style = "distributed" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
                initial $readmemh(FILE, mem);
                always @(posedge clk) if (en) q <= mem[a_q];
            end else if (STYLE == "logic") begin : g_logic
                (* rom_style = "logic" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
                initial $readmemh(FILE, mem);
                always @(posedge clk) if (en) q <= mem[a_q];
            end else begin : g_auto
                reg [WIDTH-1:0] mem [0:DEPTH-1];
                initial $readmemh(FILE, mem);
                always @(posedge clk) if (en) q <= mem[a_q];
            end
        end
    endgenerate
    /* verilator lint_on WIDTHEXPAND */
endmodule
`default_nettype wire
