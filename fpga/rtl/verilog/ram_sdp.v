// ram_sdp: simple dual-port RAM, one synchronous write port and one synchronous read port
// with read enable. The read data register holds its value while `re` is low, so it can be
// used as a pipeline/output register. Written so Yosys/Vivado infer block RAM or LUT RAM.
// Read-during-write of the same address is never relied on by the blocks of this library.
// STYLE: "auto" (tool decides), "block", "distributed" or "ultra" (UltraRAM, xcup): sets the
// ram_style attribute (fpga/fit.py memory_plan decides it per memory; rtl.json "memory_plan").
`default_nettype none
module ram_sdp #(
    parameter integer WIDTH = 8,
    parameter integer DEPTH = 16,
    parameter         STYLE = "auto",
    parameter integer AW = (DEPTH > 1) ? $clog2(DEPTH) : 1  // do not override
) (
    input  wire             clk,
    input  wire             we,
    input  wire [AW-1:0]    waddr,
    input  wire [WIDTH-1:0] wdata,
    input  wire             re,
    input  wire [AW-1:0]    raddr,
    output reg  [WIDTH-1:0] rdata
);
    // (string parameter compares: widths differ by design)
    /* verilator lint_off WIDTHEXPAND */
    generate
        if (STYLE == "block") begin : g_block
            (* ram_style = "block" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
            always @(posedge clk) begin
                if (we) mem[waddr] <= wdata;
                if (re) rdata <= mem[raddr];
            end
        end else if (STYLE == "distributed") begin : g_dist
            (* ram_style = "distributed" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
            always @(posedge clk) begin
                if (we) mem[waddr] <= wdata;
                if (re) rdata <= mem[raddr];
            end
        end else if (STYLE == "ultra") begin : g_ultra
            (* ram_style = "ultra" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
            always @(posedge clk) begin
                if (we) mem[waddr] <= wdata;
                if (re) rdata <= mem[raddr];
            end
        end else begin : g_auto
            reg [WIDTH-1:0] mem [0:DEPTH-1];
            always @(posedge clk) begin
                if (we) mem[waddr] <= wdata;
                if (re) rdata <= mem[raddr];
            end
        end
    endgenerate
    /* verilator lint_on WIDTHEXPAND */
endmodule
`default_nettype wire
