"""vivado.tcl: block design (PS + AXI DMA + accelerator), bitstream, and .bit/.hwh/.xsa export.

Run as ``vivado -mode batch -source vivado.tcl``. The design:

    PS M_AXI_GP0 / M_AXI_HPM0_FPD -> ctrl_ic (SmartConnect) -> axi_dma/S_AXI_LITE
    axi_dma M_AXI_MM2S + M_AXI_S2MM -> mem_ic (SmartConnect) -> PS S_AXI_HP0 / S_AXI_HP0_FPD
    axi_dma M_AXIS_MM2S -> accel (s_axis) ... accel (m_axis) -> axi_dma S_AXIS_S2MM
    FCLK_CLK0 / pl_clk0 clocks everything; proc_sys_reset from FCLK_RESET0_N / pl_resetn0.

Both sources give an IP with ``ap_clk``, ``ap_rst_n`` and AXI4-Stream ``s_axis``/``m_axis`` in
the beat format of ``fpga/beats.py`` (tlast included), free-running: the RTL top, or the HLS
wrapper ``<top>_axis`` (``hls_axis.py``, ``ap_ctrl_none``); they are wired the same way.
Synthesis promotes "[Synth 8-4445] could not open $readmem data file" (and any critical
"could not open") to an ERROR, and for the open RTL checks the accelerator's RAMB/URAM cells
against rtl.json's memory plan (out/memory_check.json): URAM must match, and block RAM below 90%
of the plan (ROMs optimised away) fails the build.
The DMA is in simple (register) mode, no scatter-gather; its two interrupts go through an
xlconcat into the PS (IRQ_F2P / pl_ps_irq0). The open RTL's AXI4-Lite control/status port
``s_axi_ctrl`` hangs off the control SmartConnect beside the DMA's registers. Sections are chosen here by PS type and accelerator source; every value
the Tcl needs is a ``set`` at the top of the script.
"""
from __future__ import annotations

from .config import BuildConfig
from .ip import PS_RULE, VLNV
from .rtl_ip_tcl import rtl_ip_section
from .tcl import STEP_PROC, number_steps, set_lines

PROCS = """\
# An IP's VLNV as this Vivado has it: the exact version we follow, else the newest one present.
proc fpga_ip {vlnv} {
    if {[llength [get_ipdefs -all -quiet $vlnv]] > 0} {
        return $vlnv
    }
    set vln [join [lrange [split $vlnv :] 0 2] :]
    set have [lsort -dictionary [get_ipdefs -all -quiet "$vln:*"]]
    if {[llength $have] == 0} {
        error "fpga: IP $vlnv is not in the IP catalog of Vivado [version -short]"
    }
    set use [lindex $have end]
    puts "WARNING: fpga: $vlnv not in this Vivado's catalog; using $use"
    return $use
}
proc fpga_pin {path} {
    set p [get_bd_pins -quiet $path]
    if {[llength $p] != 1} { error "fpga: block design has no pin $path" }
    return $p
}
proc fpga_intf {path} {
    set p [get_bd_intf_pins -quiet $path]
    if {[llength $p] != 1} { error "fpga: block design has no interface pin $path" }
    return $p
}

if {![string match "$vivado_version*" [version -short]]} {
    puts "WARNING: fpga: these scripts follow Vivado $vivado_version; this is [version -short]"
}
"""

HLS_REPO = """\
# ---- the accelerator IP exported by hls.tcl ------------------------------------------------
fpga_step "check HLS IP"
if {![file isdirectory $ip_repo]} {
    error "fpga: no HLS IP in $ip_repo; run 'vitis_hls -f hls.tcl' first"
}
"""

PROJECT = """\
# ---- project --------------------------------------------------------------------------------
fpga_step "create project for $part"
create_project $name $prj_dir -part $part -force
set have_board 0
if {$board_part ne ""} {
    set bp [get_board_parts -quiet $board_part]
    if {$bp eq ""} {
        set bp [lindex [get_board_parts -quiet -latest_file_version \\
            "[join [lrange [split $board_part :] 0 2] :]:*"] end]
    }
    if {$bp ne ""} {
        set_property board_part $bp [current_project]
        set have_board 1
    } else {
        puts "WARNING: fpga: board files for $board_part not installed; using the bare part\\
              (PS defaults instead of the board preset)"
    }
}
# A $readmemh file synthesis cannot open would leave the weights zero with only a critical
# warning ([Synth 8-4445] "could not open $readmem data file"): make it, and any other
# "could not open", an error.
set_msg_config -id {Synth 8-4445} -new_severity ERROR
set_msg_config -severity {CRITICAL WARNING} -string {{could not open}} -new_severity ERROR
set_property target_language Verilog [current_project]
set_property ip_repo_paths [list $ip_repo] [current_project]
update_ip_catalog -rebuild
"""

PS7 = """\
# ---- Zynq-7000 processing system ------------------------------------------------------------
fpga_step "block design: processing_system7"
create_bd_design $bd_name
set ps [create_bd_cell -type ip -vlnv [fpga_ip $vlnv_ps] ps]
apply_bd_automation -rule $ps_rule -config [list make_external "FIXED_IO, DDR" \\
    apply_board_preset $have_board Master Disable Slave Disable] $ps
set_property -dict [list \\
    CONFIG.PCW_USE_M_AXI_GP0 1 \\
    CONFIG.PCW_USE_S_AXI_HP0 1 \\
    CONFIG.PCW_S_AXI_HP0_DATA_WIDTH 64 \\
    CONFIG.PCW_EN_CLK0_PORT 1 \\
    CONFIG.PCW_EN_RST0_PORT 1 \\
    CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ $clock_mhz \\
    CONFIG.PCW_USE_FABRIC_INTERRUPT 1 \\
    CONFIG.PCW_IRQ_F2P_INTR 1 \\
] $ps
set ps_irq [fpga_pin ps/IRQ_F2P]
set ps_ctrl [fpga_intf ps/M_AXI_GP0]
set ps_mem [fpga_intf ps/S_AXI_HP0]
set clk [fpga_pin ps/FCLK_CLK0]
set ps_act_freq CONFIG.PCW_ACT_FPGA0_PERIPHERAL_FREQMHZ
set ps_resetn [fpga_pin ps/FCLK_RESET0_N]
set ps_clk_pins [list [fpga_pin ps/M_AXI_GP0_ACLK] [fpga_pin ps/S_AXI_HP0_ACLK]]
"""

PS8 = """\
# ---- Zynq UltraScale+ MPSoC processing system -----------------------------------------------
fpga_step "block design: zynq_ultra_ps_e"
create_bd_design $bd_name
set ps [create_bd_cell -type ip -vlnv [fpga_ip $vlnv_ps] ps]
apply_bd_automation -rule $ps_rule -config [list apply_board_preset $have_board] $ps
# HPM0_FPD = M_AXI_GP0 (control), HP0_FPD = S_AXI_GP2 (DMA to DDR); HPM1_FPD and HPM0_LPD off.
set_property -dict [list \\
    CONFIG.PSU__USE__M_AXI_GP0 1 \\
    CONFIG.PSU__USE__M_AXI_GP1 0 \\
    CONFIG.PSU__USE__M_AXI_GP2 0 \\
    CONFIG.PSU__USE__S_AXI_GP2 1 \\
    CONFIG.PSU__SAXIGP2__DATA_WIDTH 128 \\
    CONFIG.PSU__FPGA_PL0_ENABLE 1 \\
    CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ $clock_mhz \\
    CONFIG.PSU__USE__IRQ0 1 \\
] $ps
set ps_irq [fpga_pin ps/pl_ps_irq0]
set ps_ctrl [fpga_intf ps/M_AXI_HPM0_FPD]
set ps_mem [fpga_intf ps/S_AXI_HP0_FPD]
set clk [fpga_pin ps/pl_clk0]
set ps_act_freq CONFIG.PSU__CRL_APB__PL0_REF_CTRL__ACT_FREQMHZ
set ps_resetn [fpga_pin ps/pl_resetn0]
set ps_clk_pins [list [fpga_pin ps/maxihpm0_fpd_aclk] [fpga_pin ps/saxihp0_fpd_aclk]]
"""

CLOCK = """\
# ---- fabric clock: the PS's own clock when it is within 0.5% of the target, else a clocking
# wizard (MMCM) fed by it. The RTL was pipelined and estimated ('fpga timing') for this clock.
fpga_step "fabric clock $clock_mhz MHz"
set ps_mhz [get_property $ps_act_freq $ps]
if {$ps_mhz eq ""} {
    error "fpga: the PS reports no actual fabric clock ($ps_act_freq)"
}
set clk_locked ""
if {abs($ps_mhz - $clock_mhz) > 0.005 * $clock_mhz} {
    puts "fpga: the PS makes $ps_mhz MHz for $clock_mhz MHz; adding a clocking wizard"
    set clkw [create_bd_cell -type ip -vlnv [fpga_ip $vlnv_clkwiz] clk_wiz]
    set_property -dict [list \\
        CONFIG.PRIM_IN_FREQ $ps_mhz \\
        CONFIG.CLKOUT1_REQUESTED_OUT_FREQ $clock_mhz \\
        CONFIG.USE_LOCKED true \\
        CONFIG.USE_RESET false \\
    ] $clkw
    connect_bd_net $clk [fpga_pin clk_wiz/clk_in1]
    set clk [fpga_pin clk_wiz/clk_out1]
    set clk_locked [fpga_pin clk_wiz/locked]
} else {
    puts "fpga: fabric clock from the PS: $ps_mhz MHz (target $clock_mhz MHz)"
}
"""

DESIGN = """\
# ---- AXI DMA: simple mode, MM2S feeds the accelerator, S2MM takes its scores ----------------
fpga_step "block design: axi_dma (MM2S $in_bits bits, S2MM $out_bits bits)"
set dma [create_bd_cell -type ip -vlnv [fpga_ip $vlnv_dma] axi_dma]
set_property -dict [list \\
    CONFIG.c_include_sg 0 \\
    CONFIG.c_sg_include_stscntrl_strm 0 \\
    CONFIG.c_include_mm2s 1 \\
    CONFIG.c_include_s2mm 1 \\
    CONFIG.c_sg_length_width 26 \\
    CONFIG.c_addr_width $dma_addr_bits \\
    CONFIG.c_m_axis_mm2s_tdata_width $in_bits \\
    CONFIG.c_m_axi_mm2s_data_width $in_bits \\
    CONFIG.c_s_axis_s2mm_tdata_width $out_bits \\
    CONFIG.c_m_axi_s2mm_data_width $out_bits \\
    CONFIG.c_mm2s_burst_size 16 \\
    CONFIG.c_s2mm_burst_size 16 \\
] $dma

# ---- the accelerator ------------------------------------------------------------------------
fpga_step "block design: accelerator $accel_vlnv"
set accel [create_bd_cell -type ip -vlnv $accel_vlnv accel]
set accel_in [get_bd_intf_pins -quiet -of_objects $accel \\
    -filter {MODE == Slave && VLNV =~ "xilinx.com:interface:axis_rtl:*"}]
set accel_out [get_bd_intf_pins -quiet -of_objects $accel \\
    -filter {MODE == Master && VLNV =~ "xilinx.com:interface:axis_rtl:*"}]
if {[llength $accel_in] != 1 || [llength $accel_out] != 1} {
    error "fpga: $accel_vlnv needs one AXI4-Stream slave and one master (has: $accel_in / $accel_out)"
}
# Both accelerators (the open RTL and the HLS beat-format wrapper, ap_ctrl_none) run free:
# no block-level handshake, just ap_clk, ap_rst_n and the two streams.
if {[get_bd_pins -quiet accel/ap_start] ne ""} {
    error "fpga: $accel_vlnv has ap_start; it must be free-running (ap_ctrl_none)"
}
# The open RTL's AXI4-Lite control/status registers (fpga/beats.py CTRL_REGS); the HLS IP has none.
set accel_ctrl [get_bd_intf_pins -quiet -of_objects $accel \\
    -filter {MODE == Slave && VLNV =~ "xilinx.com:interface:aximm_rtl:*"}]

# ---- interconnect, clock and reset ----------------------------------------------------------
fpga_step "block design: interconnect, clock, reset"
set ctrl_ic [create_bd_cell -type ip -vlnv [fpga_ip $vlnv_smc] ctrl_ic]
set_property -dict [list CONFIG.NUM_SI 1 CONFIG.NUM_MI [expr {$accel_ctrl eq "" ? 1 : 2}]] $ctrl_ic
set mem_ic [create_bd_cell -type ip -vlnv [fpga_ip $vlnv_smc] mem_ic]
set_property -dict [list CONFIG.NUM_SI 2 CONFIG.NUM_MI 1] $mem_ic
set rst [create_bd_cell -type ip -vlnv [fpga_ip $vlnv_rst] rst_ps]

connect_bd_intf_net $ps_ctrl [fpga_intf ctrl_ic/S00_AXI]
connect_bd_intf_net [fpga_intf ctrl_ic/M00_AXI] [fpga_intf axi_dma/S_AXI_LITE]
if {$accel_ctrl ne ""} {
    connect_bd_intf_net [fpga_intf ctrl_ic/M01_AXI] $accel_ctrl
}
# the DMA's two interrupts (MM2S done, S2MM done) into the PS: the driver waits on them
set irq [create_bd_cell -type ip -vlnv [fpga_ip $vlnv_concat] irq_concat]
set_property -dict [list CONFIG.NUM_PORTS 2] $irq
connect_bd_net [fpga_pin axi_dma/mm2s_introut] [fpga_pin irq_concat/In0]
connect_bd_net [fpga_pin axi_dma/s2mm_introut] [fpga_pin irq_concat/In1]
connect_bd_net [fpga_pin irq_concat/dout] $ps_irq
connect_bd_intf_net [fpga_intf axi_dma/M_AXI_MM2S] [fpga_intf mem_ic/S00_AXI]
connect_bd_intf_net [fpga_intf axi_dma/M_AXI_S2MM] [fpga_intf mem_ic/S01_AXI]
connect_bd_intf_net [fpga_intf mem_ic/M00_AXI] $ps_mem
connect_bd_intf_net [fpga_intf axi_dma/M_AXIS_MM2S] $accel_in
connect_bd_intf_net $accel_out [fpga_intf axi_dma/S_AXIS_S2MM]

connect_bd_net $clk {*}$ps_clk_pins [fpga_pin rst_ps/slowest_sync_clk] \\
    [fpga_pin axi_dma/s_axi_lite_aclk] [fpga_pin axi_dma/m_axi_mm2s_aclk] \\
    [fpga_pin axi_dma/m_axi_s2mm_aclk] [fpga_pin ctrl_ic/aclk] [fpga_pin mem_ic/aclk] \\
    [fpga_pin accel/ap_clk]
connect_bd_net $ps_resetn [fpga_pin rst_ps/ext_reset_in]
if {$clk_locked ne ""} {
    connect_bd_net $clk_locked [fpga_pin rst_ps/dcm_locked]
}
connect_bd_net [fpga_pin rst_ps/peripheral_aresetn] [fpga_pin axi_dma/axi_resetn] \\
    [fpga_pin accel/ap_rst_n]
connect_bd_net [fpga_pin rst_ps/interconnect_aresetn] [fpga_pin ctrl_ic/aresetn] \\
    [fpga_pin mem_ic/aresetn]

fpga_step "assign addresses, validate"
assign_bd_address
validate_bd_design
save_bd_design

# ---- wrapper, synthesis, implementation -----------------------------------------------------
fpga_step "generate block design and wrapper"
set bd_file [get_files $bd_name.bd]
generate_target all $bd_file
add_files -norecurse [make_wrapper -files $bd_file -top]
set_property top ${bd_name}_wrapper [current_fileset]
update_compile_order -fileset sources_1

fpga_step "synthesis (synth_1)"
launch_runs synth_1 -jobs $jobs
wait_on_runs synth_1
if {[get_property PROGRESS [get_runs synth_1]] ne "100%"} {
    error "fpga: synthesis failed; see [get_property DIRECTORY [get_runs synth_1]]/runme.log"
}

fpga_step "check block RAM / URAM against the memory plan"
if {$plan_bram36 eq ""} {
    puts "fpga: no memory plan (HLS IP, or RTL without rtl.json): block RAM / URAM not checked"
} else {
    open_run synth_1 -name synth_1
    set n36 [llength [get_cells -quiet -hierarchical -filter {NAME =~ */accel/* && REF_NAME =~ RAMB36*}]]
    set n18 [llength [get_cells -quiet -hierarchical -filter {NAME =~ */accel/* && REF_NAME =~ RAMB18*}]]
    set nuram [llength [get_cells -quiet -hierarchical -filter {NAME =~ */accel/* && REF_NAME =~ URAM288*}]]
    set tiles [expr {$n36 + $n18 / 2.0}]
    file mkdir $out_dir
    set fh [open [file join $out_dir memory_check.json] w]
    puts $fh [format {{"plan_bram36": %s, "bram36": %s, "ramb36": %s, "ramb18": %s, "plan_uram": %s, "uram": %s}} \
        $plan_bram36 $tiles $n36 $n18 $plan_uram $nuram]
    close $fh
    puts "FPGA-MEMORY: accelerator $tiles BRAM36 ($n36 RAMB36 + $n18 RAMB18), $nuram URAM; plan $plan_bram36 BRAM36, $plan_uram URAM"
    if {$nuram != $plan_uram} {
        error "fpga: synthesis placed $nuram URAM in the accelerator, the memory plan $plan_uram; see memory_check.json"
    }
    if {$tiles < 0.9 * $plan_bram36} {
        error "fpga: synthesis kept $tiles BRAM36 in the accelerator, the memory plan $plan_bram36: ROMs were optimised away (weights missing?); see memory_check.json"
    }
    if {$tiles != $plan_bram36} {
        puts "WARNING: fpga: $tiles BRAM36 in the accelerator against $plan_bram36 planned (Vivado packs the memories its own way)"
    }
    close_design
}

fpga_step "implementation and bitstream (impl_1)"
launch_runs impl_1 -to_step write_bitstream -jobs $jobs
wait_on_runs impl_1
if {[get_property PROGRESS [get_runs impl_1]] ne "100%"} {
    error "fpga: implementation failed; see [get_property DIRECTORY [get_runs impl_1]]/runme.log"
}

# ---- timing after route: fail on negative setup (WNS) or hold (WHS) slack --------------------
fpga_step "check timing after route (WNS, WHS)"
file mkdir $out_dir
open_run impl_1
report_timing_summary -file [file join $out_dir timing_summary.rpt]
set wns [get_property STATS.WNS [get_runs impl_1]]
set whs [get_property STATS.WHS [get_runs impl_1]]
if {$wns eq "" || $whs eq ""} {
    error "fpga: Vivado reported no WNS/WHS for impl_1; see timing_summary.rpt"
}
set period_ns [expr {1000.0 / $clock_mhz}]
set achieved_mhz [format %.1f [expr {1000.0 / ($period_ns - $wns)}]]
set fh [open [file join $out_dir timing.json] w]
puts $fh [format {{"target_mhz": %s, "wns_ns": %s, "whs_ns": %s, "achieved_mhz": %s}} \\
    $clock_mhz $wns $whs $achieved_mhz]
close $fh
puts "FPGA-TIMING: target $clock_mhz MHz, WNS $wns ns, WHS $whs ns, achievable $achieved_mhz MHz"
if {$wns < 0 || $whs < 0} {
    error "fpga: timing not met at $clock_mhz MHz after route (WNS $wns ns, WHS $whs ns; achievable $achieved_mhz MHz); see [file join $out_dir timing_summary.rpt]"
}

# ---- results: out/<name>.bit, .hwh (same base name, as PYNQ wants), .xsa, reports ------------
fpga_step "export .bit .hwh .xsa and reports"
set impl_dir [get_property DIRECTORY [get_runs impl_1]]
file copy -force [file join $impl_dir ${bd_name}_wrapper.bit] [file join $out_dir $name.bit]
set hwh [lindex [glob -nocomplain -directory $prj_dir \\
    */sources_1/bd/$bd_name/hw_handoff/$bd_name.hwh] 0]
if {$hwh eq ""} {
    error "fpga: no hardware handoff $bd_name.hwh under $prj_dir"
}
file copy -force $hwh [file join $out_dir $name.hwh]
write_hw_platform -fixed -include_bit -force -file [file join $out_dir $name.xsa]
report_utilization -file [file join $out_dir utilization.rpt]
puts "FPGA-DONE: [file join $out_dir $name.bit]"
"""


def vivado_tcl(cfg: BuildConfig) -> str:
    ps7 = cfg.ps == "ps7"
    head = (f"# Vivado {cfg.vivado_version}: Zynq block design + bitstream for board "
            f"{cfg.board['name']} ({cfg.part}).\n"
            f"# Accelerator from {cfg.source}: {cfg.accel_vlnv}. Generated by `fpga build`.\n"
            f"# Run: vivado -mode batch -source vivado.tcl   "
            f"(results in out/{cfg.name}.bit .hwh .xsa)\n\n")
    here = ("set here [file dirname [file normalize [info script]]]\n"
            "set project_dir [file normalize [file join $here .. ..]]\n")
    ip_repo = ("[file join $here ip_repo]" if cfg.source == "rtl"
               else "[file join $here hls_prj solution1 impl ip]")
    values = set_lines([
        ("vivado_version", cfg.vivado_version),
        ("name", cfg.name),
        ("part", cfg.part),
        ("board_part", cfg.board.get("board_part", "")),
        ("clock_mhz", cfg.clock_mhz),
        ("top", cfg.top),
        ("accel_vlnv", cfg.accel_vlnv),
        ("in_bits", cfg.in_tdata_bits),
        ("out_bits", cfg.out_tdata_bits),
        ("dma_addr_bits", 32 if ps7 else 64),
        ("jobs", cfg.jobs),
        ("plan_bram36", "" if cfg.plan_bram36 is None else f"{cfg.plan_bram36:g}"),
        ("plan_uram", "" if cfg.plan_uram is None else cfg.plan_uram),
        ("bd_name", "system"),
        ("ps_rule", PS_RULE[cfg.ps]),
        ("vlnv_ps", VLNV["processing_system7" if ps7 else "zynq_ultra_ps_e"]),
        ("vlnv_dma", VLNV["axi_dma"]),
        ("vlnv_smc", VLNV["smartconnect"]),
        ("vlnv_rst", VLNV["proc_sys_reset"]),
        ("vlnv_clkwiz", VLNV["clk_wiz"]),
        ("vlnv_concat", VLNV["xlconcat"]),
    ])
    paths = ("set prj_dir [file join $here vivado]\n"
             f"set ip_repo {ip_repo}\n"
             "set out_dir [file join $here out]\n")
    accel = rtl_ip_section(cfg) if cfg.source == "rtl" else HLS_REPO
    body = [head, here, values, paths, "\n", STEP_PROC, "\n", PROCS, "\n", accel, "\n",
            PROJECT, "\n", PS7 if ps7 else PS8, "\n", CLOCK, "\n", DESIGN]
    return number_steps("".join(body))
