// mux_pipe: N:1 multiplexer of WIDTH-bit words, pipelined as a tree of 4:1 muxes with a
// register after every level (a 4:1 mux of one bit is one LUT6 on 7-series and UltraScale+),
// so no path between registers holds more than one LUT level plus the select fan-out.
//
//   dout = din[sel*WIDTH +: WIDTH], LEVELS cycles after (sel, din) were presented with en high
//   LEVELS = ceil(max(1, clog2(N)) / 2)   (fpga/rtl/blocks.py: mux_pipe_latency)
//
// en is a clock enable of every level (tie it high in a pipeline that never stalls). Words with
// index >= N read as 0. Level l consumes select digit l (bits [2l+1:2l]); the select travels
// with the data.
`default_nettype none
module mux_pipe #(
    parameter integer WIDTH = 8,
    parameter integer N     = 4,
    parameter integer SW    = (N > 1) ? $clog2(N) : 1   // do not override
) (
    input  wire               clk,
    input  wire               en,
    input  wire [SW-1:0]      sel,
    input  wire [N*WIDTH-1:0] din,
    output wire [WIDTH-1:0]   dout
);
    localparam integer LEVELS = (SW + 1) / 2;
    localparam integer SWP    = 2 * LEVELS;              // select padded to whole digits
    localparam integer NP     = 4 ** LEVELS;             // inputs padded to a full tree
    localparam integer BW     = NP * WIDTH;              // bus width of one level

    // level l's inputs at bus[l*BW +: BW] (only the first 4^(LEVELS-l) words are used)
    /* verilator lint_off UNUSEDSIGNAL */
    wire [(LEVELS+1)*BW-1:0]  bus;
    wire [(LEVELS+1)*SWP-1:0] sbus;
    /* verilator lint_on UNUSEDSIGNAL */
    assign bus[BW-1:0] = {{((NP - N) * WIDTH){1'b0}}, din};
    assign sbus[SWP-1:0] = {{(SWP - SW){1'b0}}, sel};

    genvar l, o;
    generate
        for (l = 0; l < LEVELS; l = l + 1) begin : g_lvl
            localparam integer NO = 4 ** (LEVELS - l - 1);   // outputs of this level
            /* verilator lint_off UNUSEDSIGNAL */
            wire [BW-1:0]  in    = bus[l*BW +: BW];
            wire [SWP-1:0] s     = sbus[l*SWP +: SWP];
            /* verilator lint_on UNUSEDSIGNAL */
            wire [1:0]     digit = s[2*l +: 2];
            reg  [NO*WIDTH-1:0] q;
            reg  [SWP-1:0]      s_q;
            for (o = 0; o < NO; o = o + 1) begin : g_out
                wire [4*WIDTH-1:0] four = in[4*o*WIDTH +: 4*WIDTH];
                always @(posedge clk)
                    if (en) case (digit)
                        2'd0: q[o*WIDTH +: WIDTH] <= four[0*WIDTH +: WIDTH];
                        2'd1: q[o*WIDTH +: WIDTH] <= four[1*WIDTH +: WIDTH];
                        2'd2: q[o*WIDTH +: WIDTH] <= four[2*WIDTH +: WIDTH];
                        default: q[o*WIDTH +: WIDTH] <= four[3*WIDTH +: WIDTH];
                    endcase
            end
            always @(posedge clk) if (en) s_q <= s;
            if (NO * WIDTH < BW) begin : g_pad
                assign bus[(l+1)*BW +: BW] = {{(BW - NO*WIDTH){1'b0}}, q};
            end else begin : g_full
                assign bus[(l+1)*BW +: BW] = q;
            end
            assign sbus[(l+1)*SWP +: SWP] = s_q;
        end
    endgenerate

    assign dout = bus[LEVELS*BW +: WIDTH];
endmodule
`default_nettype wire
