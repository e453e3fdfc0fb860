// skid: 2-entry register slice (skid buffer) that cuts every combinational path of a stream.
//
// s_tready, m_tvalid and m_tdata are flip-flops: no path from any input port to any output
// port, so m_tready is not seen by the producer in the same cycle (it only enables registers
// here). Entries: `main` (drives m_*) and `spare`; a beat that arrives while main is stalled
// goes to spare, and s_tready drops the cycle after (s_tready = !spare_valid, registered).
// Full throughput (one beat a cycle in and out); latency 1 (a beat accepted at edge t is on
// m_* after edge t); capacity 2 beats. Cost: 2*WIDTH + 3 FFs; a WIDTH-bit 2:1 mux in front
// of main (main loads from s_tdata or from spare). fpga/rtl/blocks.py: skid_latency,
// skid_capacity. rst is registered here (rst_q) before use; s_tready is 0 during reset.
`default_nettype none
module skid #(
    parameter integer WIDTH = 8
) (
    input  wire             clk,
    input  wire             rst,
    input  wire [WIDTH-1:0] s_tdata,
    input  wire             s_tvalid,
    output reg              s_tready,
    output reg  [WIDTH-1:0] m_tdata,
    output reg              m_tvalid,
    input  wire             m_tready
);
    reg rst_q;
    always @(posedge clk) rst_q <= rst;

    reg [WIDTH-1:0] sp_data;
    reg             sp_valid;

    wire take = s_tvalid && s_tready;      // beat accepted from s (s_tready is a register)
    wire room = !m_tvalid || m_tready;     // main is free at the edge

    always @(posedge clk) begin
        if (rst_q) begin
            m_tvalid <= 1'b0;
            sp_valid <= 1'b0;
            s_tready <= 1'b0;
        end else begin
            if (room) begin
                // main takes the oldest beat: spare first, else the incoming one
                m_tvalid <= sp_valid || take;
                sp_valid <= 1'b0;
                s_tready <= 1'b1;
            end else if (take) begin
                // main stalled: the incoming beat waits in spare, stop accepting
                sp_valid <= 1'b1;
                s_tready <= 1'b0;
            end
        end
    end

    // spare is loaded with every accepted beat: when main takes the beat at once spare is not
    // marked valid, so the copy is unused; its enable is then `take` alone (m_tready reaches
    // only main's enable, one LUT)
    always @(posedge clk) begin
        if (room) m_tdata <= sp_valid ? sp_data : s_tdata;
        if (take) sp_data <= s_tdata;
    end
endmodule
`default_nettype wire
