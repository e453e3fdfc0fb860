# A stand-in for the Vivado / Vitis HLS Tcl commands the generated scripts use, for plain tclsh.
#
# THIS CHECKS THE SCRIPTS, IT DOES NOT BUILD ANYTHING. Each vendor command is a proc that:
#   - accepts only the options that command has in tests/tcl_stub/amd_reference.json (taken from
#     the AMD references: UG835 for Vivado, UG1399 for Vitis HLS; see that file for the source of
#     every name), with the right number of values, else errors;
#   - records the call as one JSON line {"cmd": ..., "args": [...], "ret": ...} in the log;
#   - returns a plausible handle, and keeps just enough state to catch real mistakes: a cell
#     made from an IP that is not in the catalog (the IPs of amd_reference.json), a CONFIG.* name
#     that is not a user parameter of that IP in amd_reference.json, a pin that does not exist
#     on that IP, a file added that is not on disk, a run read before it was launched.
# Files the real tools would write (IP component.xml, .hwh, .bit, .xsa, reports) are written as
# small placeholders so the scripts' own file handling runs too.
#
# Use: tclsh run.tcl TOOL LOG SCRIPT ?ARG ...?   (TOOL: vivado or vitis_hls)
# STUB_REFERENCE=FILE reads another reference file instead of amd_reference.json next to this one.

namespace eval ::stub {
    variable tool [expr {[info exists ::stub_tool] ? $::stub_tool : "vivado"}]
    variable log ""
    variable specs [dict create]
    variable handlers [dict create]
    variable ref_file [expr {[info exists ::env(STUB_REFERENCE)] ? $::env(STUB_REFERENCE) :
        [file join [file dirname [file normalize [info script]]] amd_reference.json]}]
    variable ref [dict create]
    # state
    variable cwd_prj ""
    variable project ""
    variable project_dir ""
    variable props [dict create]
    variable files [list]
    variable catalog [list]
    # STUB_CATALOG="vlnv ..." replaces the catalog (e.g. to mimic another release);
    # STUB_NO_BOARD_FILES=1 makes get_board_parts find nothing.
    variable board_files [expr {![info exists ::env(STUB_NO_BOARD_FILES)]}]
    variable repo_ips [list]
    variable bd ""
    variable cells [dict create]
    variable runs_launched [list]
    variable msg_rules [list]
    variable synth_failed 0
    variable core ""
    variable hw_devices [list arm_dap_0 xc7z020_1 xczu7_0 xck26_0 xczu3_0 xczu9_0]
    variable hls [dict create]
}

# ---- JSON log --------------------------------------------------------------------------------
proc ::stub::json_str {s} {
    set map [list \\ \\\\ \" \\\" \n \\n \r \\r \t \\t]
    set out [string map $map $s]
    # remaining control characters
    regsub -all {[\x00-\x1f]} $out {?} out
    return "\"$out\""
}

proc ::stub::record {cmd arglist ret} {
    variable log
    set parts [list]
    foreach a $arglist { lappend parts [json_str $a] }
    set line "{\"cmd\": [json_str $cmd], \"args\": \[[join $parts {, }]\], \"ret\": [json_str $ret]}"
    set fh [open $log a]
    puts $fh $line
    close $fh
}

# ---- the reference (amd_reference.json) --------------------------------------------------------
# A small JSON reader (objects, arrays, strings, numbers, true/false/null) for the reference file:
# objects become dicts, arrays lists, null "".
proc ::stub::json_parse {text} {
    set i 0
    set v [json_value $text i]
    json_ws $text i
    if {$i < [string length $text]} { error "stub: $::stub::ref_file: trailing data at offset $i" }
    return $v
}
proc ::stub::json_ws {text iv} {
    upvar 1 $iv i
    if {[regexp -start $i {\A[ \t\r\n]+} $text m]} { incr i [string length $m] }
}
proc ::stub::json_value {text iv} {
    upvar 1 $iv i
    json_ws $text i
    set c [string index $text $i]
    switch -- $c {
        "\{" {
            incr i
            set out [dict create]
            json_ws $text i
            if {[string index $text $i] eq "\}"} { incr i; return $out }
            while 1 {
                json_ws $text i
                set k [json_value $text i]
                json_ws $text i
                if {[string index $text $i] ne ":"} { error "stub: $::stub::ref_file: ':' expected at offset $i" }
                incr i
                dict set out $k [json_value $text i]
                json_ws $text i
                set c [string index $text $i]
                incr i
                if {$c eq "\}"} { return $out }
                if {$c ne ","} { error "stub: $::stub::ref_file: ',' or '\}' expected at offset $i" }
            }
        }
        "\[" {
            incr i
            set out [list]
            json_ws $text i
            if {[string index $text $i] eq "\]"} { incr i; return $out }
            while 1 {
                lappend out [json_value $text i]
                json_ws $text i
                set c [string index $text $i]
                incr i
                if {$c eq "\]"} { return $out }
                if {$c ne ","} { error "stub: $::stub::ref_file: ',' or '\]' expected at offset $i" }
            }
        }
        "\"" {
            if {![regexp -start $i {\A"((?:[^"\\]|\\.)*)"} $text m body]} {
                error "stub: $::stub::ref_file: bad string at offset $i"
            }
            incr i [string length $m]
            return [subst -nocommands -novariables $body]
        }
        default {
            if {[regexp -start $i {\A(?:true|false|null|-?[0-9][0-9.eE+-]*)} $text m]} {
                incr i [string length $m]
                return [string map {true 1 false 0 null {}} $m]
            }
            error "stub: $::stub::ref_file: unexpected '$c' at offset $i"
        }
    }
}
proc ::stub::load_reference {} {
    variable ref_file
    variable ref
    variable catalog
    set fh [open $ref_file]
    fconfigure $fh -encoding utf-8
    set ref [json_parse [read $fh]]
    close $fh
    set catalog [dict keys [dict get $ref ips]]
    if {[info exists ::env(STUB_CATALOG)]} { set catalog $::env(STUB_CATALOG) }
}
::stub::load_reference
# The allowed CONFIG.* names of an IP: by vendor:library:name, so another version of the same IP
# (STUB_CATALOG) is checked against the same list. Returns -1 for an IP the reference does not
# describe (our accelerator), whose parameters are not checked.
proc ::stub::ip_config_names {vlnv} {
    set vln [join [lrange [split $vlnv :] 0 2] :]
    dict for {v info} [dict get $::stub::ref ips] {
        if {[join [lrange [split $v :] 0 2] :] eq $vln} { return [dict keys [dict get $info config]] }
    }
    return -1
}
proc ::stub::check_config {cmd obj name} {
    variable cells
    set cell [string trimleft $obj /]
    if {![string match CONFIG.* $name] || ![dict exists $cells $cell]} { return }
    set vlnv [dict get $cells $cell vlnv]
    set allowed [ip_config_names $vlnv]
    if {$allowed eq "-1"} { return }
    if {[lsearch -exact $allowed [string range $name 7 end]] < 0} {
        error "stub: $cmd: $name is not a user parameter of IP $vlnv (cell /$cell) in amd_reference.json"
    }
}

# ---- command definitions ---------------------------------------------------------------------
# The options of NAME (option -> number of values, 0 or 1) are its "options" and "extra_options"
# in the reference for the current tool; handler: body run with $opts (dict) $pos (list).
proc ::stub::def {tools name {body {return ""}}} {
    variable tool
    if {[lsearch -exact $tools $tool] < 0} { return }
    variable specs
    variable handlers
    variable ref
    if {![dict exists $ref commands $tool $name]} {
        error "stub: $name: not a $tool command in $::stub::ref_file"
    }
    set spec [dict get $ref commands $tool $name options]
    if {[dict exists $ref commands $tool $name extra_options]} {
        dict for {opt info} [dict get $ref commands $tool $name extra_options] {
            dict set spec $opt [dict get $info values]
        }
    }
    dict set specs $name $spec
    dict set handlers $name [list {opts pos} $body ::stub]
    set ns [namespace qualifiers ::$name]
    if {$ns ne "" && $ns ne "::"} { namespace eval $ns {} }
    # proc ::NAME args {::stub::call NAME $args}
    proc ::$name args "::stub::call [list $name] \$args"
}

proc ::stub::call {name arglist} {
    variable specs
    variable handlers
    set spec [dict get $specs $name]
    set opts [dict create]
    set pos [list]
    for {set i 0} {$i < [llength $arglist]} {incr i} {
        set a [lindex $arglist $i]
        if {[dict exists $spec $a]} {
            if {[dict get $spec $a] == 1} {
                incr i
                if {$i >= [llength $arglist]} {
                    error "stub: $name: option $a needs a value"
                }
                dict set opts $a [lindex $arglist $i]
            } else {
                dict set opts $a 1
            }
        } elseif {[regexp {^-[A-Za-z_]} $a]} {
            error "stub: $name: unknown option '$a' (not in the $::stub::tool reference, amd_reference.json)"
        } else {
            lappend pos $a
        }
    }
    set ret [apply [dict get $handlers $name] $opts $pos]
    record $name $arglist $ret
    return $ret
}

# Unknown commands: let Tcl's own autoloader try, then fail loudly.
rename ::unknown ::stub::tcl_unknown
proc ::unknown args {
    set cmd [lindex $args 0]
    if {[catch {uplevel 1 [list ::stub::tcl_unknown {*}$args]} res ropts]} {
        if {[string match "invalid command name*" $res]} {
            ::stub::record "UNKNOWN" $args ""
            return -code error "stub: '$cmd' is not a $::stub::tool command known to the stub"
        }
        return -options $ropts $res
    }
    return $res
}

# ---- helpers ---------------------------------------------------------------------------------
proc ::stub::need_project {name} {
    variable project
    if {$project eq ""} { error "stub: $name: no project is open" }
}
proc ::stub::touch {path {text "placeholder written by tests/tcl_stub\n"}} {
    file mkdir [file dirname $path]
    set fh [open $path w]
    puts -nonewline $fh $text
    close $fh
}
proc ::stub::prop {obj name {default ""}} {
    variable props
    if {[dict exists $props $obj $name]} { return [dict get $props $obj $name] }
    return $default
}
proc ::stub::gen_dir {} {
    variable project_dir
    variable project
    return [file join $project_dir $project.gen]
}
proc ::stub::known_ip {vlnv} {
    variable catalog
    variable repo_ips
    return [expr {[lsearch -exact [concat $catalog $repo_ips] $vlnv] >= 0}]
}
proc ::stub::scan_repo {dir} {
    variable repo_ips
    foreach xml [concat [glob -nocomplain -directory $dir component.xml] \
                        [glob -nocomplain -directory $dir */component.xml]] {
        set fh [open $xml]
        set text [read $fh]
        close $fh
        if {[regexp {vlnv=(\S+)} $text -> v] && [lsearch -exact $repo_ips $v] < 0} {
            lappend repo_ips $v
        }
    }
}
# Pins and interface pins of the IPs (as the real IPs name them).
proc ::stub::ip_pins {vlnv cfg kind} {
    set n [lindex [split $vlnv :] 2]
    switch -- $n {
        processing_system7 {
            if {$kind eq "intf"} { return {M_AXI_GP0 S_AXI_HP0 DDR FIXED_IO} }
            set pins {FCLK_CLK0 FCLK_RESET0_N M_AXI_GP0_ACLK S_AXI_HP0_ACLK}
            # IRQ_F2P exists once fabric interrupts are enabled (PG082)
            if {[dict exists $cfg CONFIG.PCW_USE_FABRIC_INTERRUPT] &&
                [dict get $cfg CONFIG.PCW_USE_FABRIC_INTERRUPT] == 1 &&
                [dict exists $cfg CONFIG.PCW_IRQ_F2P_INTR] && [dict get $cfg CONFIG.PCW_IRQ_F2P_INTR] == 1} {
                lappend pins IRQ_F2P
            }
            return $pins
        }
        zynq_ultra_ps_e {
            if {$kind eq "intf"} { return {M_AXI_HPM0_FPD S_AXI_HP0_FPD} }
            set pins {pl_clk0 pl_resetn0 maxihpm0_fpd_aclk saxihp0_fpd_aclk}
            # pl_ps_irq0 exists once PL-to-PS interrupts group 0 is enabled (PG201)
            if {[dict exists $cfg CONFIG.PSU__USE__IRQ0] && [dict get $cfg CONFIG.PSU__USE__IRQ0] == 1} {
                lappend pins pl_ps_irq0
            }
            return $pins
        }
        axi_dma {
            if {$kind eq "intf"} {
                return {S_AXI_LITE M_AXI_MM2S M_AXI_S2MM M_AXIS_MM2S S_AXIS_S2MM}
            }
            return {s_axi_lite_aclk m_axi_mm2s_aclk m_axi_s2mm_aclk axi_resetn
                    mm2s_introut s2mm_introut}
        }
        smartconnect {
            if {$kind eq "intf"} {
                set out [list]
                set si [expr {[dict exists $cfg CONFIG.NUM_SI] ? [dict get $cfg CONFIG.NUM_SI] : 1}]
                set mi [expr {[dict exists $cfg CONFIG.NUM_MI] ? [dict get $cfg CONFIG.NUM_MI] : 1}]
                for {set i 0} {$i < $si} {incr i} { lappend out [format S%02d_AXI $i] }
                for {set i 0} {$i < $mi} {incr i} { lappend out [format M%02d_AXI $i] }
                return $out
            }
            return {aclk aresetn}
        }
        proc_sys_reset {
            if {$kind eq "intf"} { return {} }
            return {slowest_sync_clk ext_reset_in aux_reset_in mb_debug_sys_rst dcm_locked
                    mb_reset bus_struct_reset peripheral_reset interconnect_aresetn
                    peripheral_aresetn}
        }
        xlconstant {
            if {$kind eq "intf"} { return {} }
            return {dout}
        }
        xlconcat {
            if {$kind eq "intf"} { return {} }
            set n [expr {[dict exists $cfg CONFIG.NUM_PORTS] ? [dict get $cfg CONFIG.NUM_PORTS] : 2}]
            set pins {dout}
            for {set i 0} {$i < $n} {incr i} { lappend pins In$i }
            return $pins
        }
        clk_wiz {
            if {$kind eq "intf"} { return {} }
            return {clk_in1 clk_out1 locked reset resetn}
        }
        default {
            # the accelerator (open RTL, or the HLS beat-format wrapper with ap_ctrl_none):
            # ap_clk, ap_rst_n, one AXI4-Stream in, one out; no ap_start; the open RTL also
            # has its AXI4-Lite control port
            if {$kind eq "intf"} {
                if {[lindex [split $vlnv :] 1] eq "rtl"} { return {s_axis m_axis s_axi_ctrl} }
                return {s_axis m_axis}
            }
            return {ap_clk ap_rst_n}
        }
    }
}
proc ::stub::find_pins {pattern kind} {
    variable cells
    set pattern [string trimleft $pattern /]
    set cell [lindex [split $pattern /] 0]
    set pin [join [lrange [split $pattern /] 1 end] /]
    set out [list]
    dict for {c info} $cells {
        if {![string match $cell $c]} continue
        foreach p [ip_pins [dict get $info vlnv] [dict get $info cfg] $kind] {
            if {[string match $pin $p]} { lappend out "/$c/$p" }
        }
    }
    return $out
}
proc ::stub::check_pins {name handles} {
    if {[llength $handles] < 2} { error "stub: $name: needs at least two pins, got '$handles'" }
    foreach h $handles {
        if {![string match /*/* $h]} { error "stub: $name: '$h' is not a pin" }
    }
}

# ---- common to both tools ---------------------------------------------------------------------
::stub::def vivado version { return 2023.2 }

# ---- Vitis HLS --------------------------------------------------------------------------------
::stub::def vitis_hls open_project {
    if {[llength $pos] != 1} { error "stub: open_project: needs one project name" }
    dict set ::stub::hls prj [file normalize [lindex $pos 0]]
    file mkdir [dict get $::stub::hls prj]
    return [lindex $pos 0]
}
::stub::def vitis_hls set_top {
    if {[llength $pos] != 1} { error "stub: set_top: needs one name" }
    dict set ::stub::hls top [lindex $pos 0]
    return ""
}
::stub::def vitis_hls add_files {
    if {![dict exists $::stub::hls prj]} { error "stub: add_files: no project open" }
    foreach f $pos {
        if {![file exists $f]} { error "stub: add_files: no such file $f" }
        dict lappend ::stub::hls files $f
    }
    return ""
}
::stub::def vitis_hls open_solution {
    if {[llength $pos] != 1} { error "stub: open_solution: needs one name" }
    if {[dict exists $opts -flow_target] &&
        [lsearch -exact {vivado vitis} [dict get $opts -flow_target]] < 0} {
        error "stub: open_solution: -flow_target must be vivado or vitis"
    }
    dict set ::stub::hls sol [lindex $pos 0]
    return [lindex $pos 0]
}
::stub::def vitis_hls set_part {
    dict set ::stub::hls part [lindex $pos 0]
    return ""
}
::stub::def vitis_hls create_clock {
    if {![string is double -strict [dict get $opts -period]]} {
        error "stub: create_clock: bad -period"
    }
    return ""
}
::stub::def vitis_hls csynth_design {
    foreach k {prj sol top part files} {
        if {![dict exists $::stub::hls $k]} { error "stub: csynth_design before $k was set" }
    }
    set h $::stub::hls
    ::stub::touch [file join [dict get $h prj] [dict get $h sol] syn report \
        [dict get $h top]_csynth.rpt]
    dict set ::stub::hls synthesised 1
    return ""
}
::stub::def vitis_hls export_design {
    if {![dict exists $::stub::hls synthesised]} { error "stub: export_design before csynth" }
    if {[dict get $opts -format] ni {ip_catalog xo syn_dcp sysgen}} {
        error "stub: export_design: bad -format"
    }
    set h $::stub::hls
    set v "[dict get $opts -vendor]:[dict get $opts -library]:[dict get $opts -ipname]:[dict get $opts -version]"
    ::stub::touch [file join [dict get $h prj] [dict get $h sol] impl ip component.xml] "vlnv=$v\n"
    return ""
}
::stub::def vitis_hls close_project { return "" }

# ---- Vivado: project, files, IP catalog -------------------------------------------------------
::stub::def vivado create_project {
    if {[llength $pos] != 2} { error "stub: create_project: needs NAME DIR" }
    if {![dict exists $opts -part]} { error "stub: create_project: no -part" }
    set dir [file normalize [lindex $pos 1]]
    if {[file exists [file join $dir [lindex $pos 0].xpr]] && ![dict exists $opts -force]} {
        error "stub: create_project: project exists (no -force)"
    }
    set ::stub::project [lindex $pos 0]
    set ::stub::project_dir $dir
    set ::stub::files [list]
    set ::stub::bd ""
    set ::stub::cells [dict create]
    set ::stub::runs_launched [list]
    set ::stub::props [dict create]
    ::stub::touch [file join $dir [lindex $pos 0].xpr]
    dict set ::stub::props project part [dict get $opts -part]
    return [lindex $pos 0]
}
::stub::def vivado close_project {
    ::stub::need_project close_project
    set ::stub::project ""
    return ""
}
::stub::def vivado current_project { ::stub::need_project current_project; return project }
::stub::def vivado current_fileset { return sources_1 }
::stub::def vivado get_board_parts {
    # Board files count as installed for every board part asked for (unless STUB_NO_BOARD_FILES).
    if {!$::stub::board_files} { return "" }
    set p [lindex $pos 0]
    if {[string first * $p] >= 0} { return [string map {* 9.9} $p] }
    return $p
}
::stub::def vivado set_property {
    if {[dict exists $opts -dict]} {
        set kv [dict get $opts -dict]
        set objs $pos
        if {[llength $kv] % 2} { error "stub: set_property -dict: odd list" }
    } else {
        if {[llength $pos] < 3} { error "stub: set_property: needs NAME VALUE OBJECTS" }
        set kv [lrange $pos 0 1]
        set objs [lrange $pos 2 end]
    }
    if {[llength $objs] == 0 || [lindex $objs 0] eq ""} { error "stub: set_property: no object" }
    foreach obj $objs {
        foreach {k v} $kv {
            ::stub::check_config set_property $obj $k
            dict set ::stub::props $obj $k $v
            if {[dict exists $::stub::cells [string trimleft $obj /]]} {
                dict set ::stub::cells [string trimleft $obj /] cfg $k $v
            }
        }
    }
    return ""
}
::stub::def vivado get_property {
    set name [lindex $pos 0]
    set obj [lindex $pos 1]
    ::stub::check_config get_property $obj $name
    if {[string match run:* $obj]} {
        set run [string range $obj 4 end]
        if {[lsearch -exact $::stub::runs_launched $run] < 0} {
            error "stub: get_property $name of $run before it was launched"
        }
        switch -- $name {
            PROGRESS { return [expr {$run eq "synth_1" && $::stub::synth_failed ? "0%" : "100%"}] }
            STATUS { return "write_bitstream Complete!" }
            DIRECTORY { return [file join $::stub::project_dir $::stub::project.runs $run] }
            STATS.WNS {
                if {[info exists ::env(STUB_WNS)]} { return $::env(STUB_WNS) }
                return 0.250
            }
            STATS.WHS {
                if {[info exists ::env(STUB_WHS)]} { return $::env(STUB_WHS) }
                return 0.031
            }
        }
    }
    # The PS's actual fabric clock: what its PLL and two 6-bit dividers make of the request
    # (IO PLL 1000 MHz on ps7, 1500 MHz on ps8; STUB_PS_ACT_MHZ overrides, to test the clocking
    # wizard path).
    if {$name in {CONFIG.PCW_ACT_FPGA0_PERIPHERAL_FREQMHZ CONFIG.PSU__CRL_APB__PL0_REF_CTRL__ACT_FREQMHZ}} {
        if {[info exists ::env(STUB_PS_ACT_MHZ)]} { return $::env(STUB_PS_ACT_MHZ) }
        set req_name [string map {ACT_FPGA0 FPGA0 ACT_FREQMHZ FREQMHZ} $name]
        set req [::stub::prop $obj $req_name]
        if {$req eq ""} { return "" }
        set pll [expr {[string match *PCW* $name] ? 1000.0 : 1500.0}]
        set best 0.0
        for {set d0 1} {$d0 < 64} {incr d0} {
            for {set d1 1} {$d1 < 64} {incr d1} {
                set f [expr {$pll / ($d0 * $d1)}]
                if {abs($f - $req) < abs($best - $req)} { set best $f }
            }
        }
        return [format %.6f $best]
    }
    return [::stub::prop $obj $name]
}
::stub::def vivado add_files {
    ::stub::need_project add_files
    set n 0
    foreach group $pos {
        foreach f $group {
            if {![file exists $f]} { error "stub: add_files: no such file $f" }
            lappend ::stub::files [file normalize $f]
            incr n
        }
    }
    if {$n == 0} { error "stub: add_files: no files" }
    return ""
}
::stub::def vivado get_files {
    set out [list]
    foreach f $::stub::files {
        foreach p $pos {
            if {[string match $p $f] || [string match $p [file tail $f]]} { lappend out $f }
        }
    }
    return $out
}
::stub::def vivado update_compile_order { return "" }
::stub::def vivado update_ip_catalog {
    ::stub::need_project update_ip_catalog
    foreach dir [::stub::prop project ip_repo_paths] { ::stub::scan_repo $dir }
    return ""
}
::stub::def vivado get_ipdefs {
    set out [list]
    foreach v [concat $::stub::catalog $::stub::repo_ips] {
        foreach p $pos { if {[string match $p $v]} { lappend out $v } }
    }
    return $out
}

# ---- Vivado: IP packager ----------------------------------------------------------------------
::stub::def vivado ipx::package_project {
    ::stub::need_project ipx::package_project
    foreach k {-root_dir -vendor -library} {
        if {![dict exists $opts $k]} { error "stub: ipx::package_project: no $k" }
    }
    set top [::stub::prop sources_1 top]
    if {$top eq ""} { error "stub: ipx::package_project: no top set" }
    if {[llength [lsearch -all -glob $::stub::files *.v]] == 0} {
        error "stub: ipx::package_project: no Verilog added"
    }
    set root [file normalize [dict get $opts -root_dir]]
    file mkdir $root
    set ::stub::core core:$root
    dict set ::stub::props $::stub::core vendor [dict get $opts -vendor]
    dict set ::stub::props $::stub::core library [dict get $opts -library]
    dict set ::stub::props $::stub::core name $top
    dict set ::stub::props $::stub::core version 1.0
    return ""
}
::stub::def vivado ipx::current_core {
    if {$::stub::core eq ""} { error "stub: ipx::current_core: no core" }
    return $::stub::core
}
::stub::def vivado ipx::infer_bus_interfaces {
    if {[llength $pos] != 2} { error "stub: ipx::infer_bus_interfaces: needs BUSDEF CORE" }
    return ""
}
::stub::def vivado ipx::associate_bus_interfaces {
    if {![dict exists $opts -busif]} { error "stub: ipx::associate_bus_interfaces: no -busif" }
    return ""
}
::stub::def vivado ipx::create_xgui_files { return "" }
::stub::def vivado ipx::update_checksums { return "" }
::stub::def vivado ipx::check_integrity { return "" }
::stub::def vivado ipx::save_core {
    set c [lindex $pos 0]
    if {![string match core:* $c]} { error "stub: ipx::save_core: not a core: $c" }
    set v "[::stub::prop $c vendor]:[::stub::prop $c library]:[::stub::prop $c name]:[::stub::prop $c version]"
    ::stub::touch [file join [string range $c 5 end] component.xml] "vlnv=$v\n"
    return ""
}

# ---- Vivado: block design ---------------------------------------------------------------------
::stub::def vivado create_bd_design {
    ::stub::need_project create_bd_design
    set name [lindex $pos 0]
    set ::stub::bd $name
    lappend ::stub::files [file join $::stub::project_dir $::stub::project.srcs sources_1 bd \
        $name $name.bd]
    return $name
}
::stub::def vivado create_bd_cell {
    if {$::stub::bd eq ""} { error "stub: create_bd_cell: no block design" }
    set name [lindex $pos 0]
    if {[dict get $opts -type] eq "ip"} {
        set v [dict get $opts -vlnv]
        if {![::stub::known_ip $v]} { error "stub: create_bd_cell: IP $v is not in the catalog" }
    } else {
        set v module:[dict get $opts -reference]
    }
    if {[dict exists $::stub::cells $name]} { error "stub: create_bd_cell: $name exists" }
    dict set ::stub::cells $name [dict create vlnv $v cfg [dict create]]
    return /$name
}
::stub::def vivado get_bd_cells {
    set out [list]
    dict for {c info} $::stub::cells {
        foreach p $pos { if {[string match [string trimleft $p /] $c]} { lappend out /$c } }
    }
    return $out
}
::stub::def vivado get_bd_pins {
    set out [list]
    foreach p $pos { set out [concat $out [::stub::find_pins $p pin]] }
    return $out
}
::stub::def vivado get_bd_intf_pins {
    if {[dict exists $opts -of_objects]} {
        set out [list]
        set filter [expr {[dict exists $opts -filter] ? [dict get $opts -filter] : ""}]
        foreach c [dict get $opts -of_objects] {
            foreach p [::stub::find_pins "$c/*" intf] {
                # the accelerator's pins: s_axis the stream slave, m_axis the master,
                # s_axi_ctrl the AXI4-Lite (aximm) slave
                set mm [string match {*aximm_rtl*} $filter]
                if {[string match {*MODE == Slave*} $filter] &&
                    ![string match [expr {$mm ? "*/s_axi_ctrl" : "*/s_axis"}] $p]} continue
                if {[string match {*MODE == Master*} $filter] && ![string match */m_axis $p]} continue
                lappend out $p
            }
        }
        return $out
    }
    set out [list]
    foreach p $pos { set out [concat $out [::stub::find_pins $p intf]] }
    return $out
}
::stub::def vivado apply_bd_automation {
    if {![dict exists $opts -rule]} { error "stub: apply_bd_automation: no -rule" }
    if {[llength $pos] == 0 || [lindex $pos 0] eq ""} { error "stub: apply_bd_automation: no object" }
    if {[dict exists $opts -config] && [llength [dict get $opts -config]] % 2} {
        error "stub: apply_bd_automation: -config is not a key/value list"
    }
    return ""
}
::stub::def vivado connect_bd_intf_net {
    if {[llength $pos] != 2} { error "stub: connect_bd_intf_net: needs exactly two pins: $pos" }
    ::stub::check_pins connect_bd_intf_net $pos
    return ""
}
::stub::def vivado connect_bd_net {
    ::stub::check_pins connect_bd_net $pos
    return ""
}
::stub::def vivado assign_bd_address { return "" }
::stub::def vivado validate_bd_design {
    if {$::stub::bd eq ""} { error "stub: validate_bd_design: no block design" }
    return ""
}
::stub::def vivado save_bd_design { return "" }
::stub::def vivado generate_target {
    if {[llength $pos] < 2} { error "stub: generate_target: needs NAME OBJECTS" }
    set bd $::stub::bd
    ::stub::touch [file join [::stub::gen_dir] sources_1 bd $bd hw_handoff $bd.hwh]
    return ""
}
::stub::def vivado make_wrapper {
    if {[dict get $opts -files] eq ""} { error "stub: make_wrapper: no -files" }
    set bd $::stub::bd
    set w [file join [::stub::gen_dir] sources_1 bd $bd hdl ${bd}_wrapper.v]
    ::stub::touch $w "module ${bd}_wrapper; endmodule\n"
    return $w
}

# ---- Vivado: runs and results -----------------------------------------------------------------
::stub::def vivado get_runs {
    ::stub::need_project get_runs
    set out [list]
    foreach r {synth_1 impl_1} {
        foreach p $pos { if {[string match $p $r]} { lappend out run:$r } }
    }
    return $out
}
::stub::def vivado launch_runs {
    ::stub::need_project launch_runs
    foreach r $pos {
        set r [string map {run: {}} $r]
        if {$r ni {synth_1 impl_1}} { error "stub: launch_runs: no run $r" }
        if {$r eq "impl_1" && [lsearch -exact $::stub::runs_launched synth_1] < 0} {
            error "stub: launch_runs impl_1 before synth_1"
        }
        lappend ::stub::runs_launched $r
        if {$r eq "synth_1"} { ::stub::synth_messages }
        if {$r eq "impl_1" && [dict exists $opts -to_step] &&
            [dict get $opts -to_step] eq "write_bitstream"} {
            set top [::stub::prop sources_1 top]
            ::stub::touch [file join $::stub::project_dir $::stub::project.runs impl_1 $top.bit]
        }
    }
    return ""
}
::stub::def vivado wait_on_runs { return "" }
# Message rules: STUB_MISSING_MEM=FILE makes synthesis report that it could not open FILE (as
# Vivado does when out-of-context synthesis cannot resolve a $readmemh path): a CRITICAL WARNING
# that leaves the run complete, unless a set_msg_config rule made it an ERROR (run then fails).
::stub::def vivado set_msg_config {
    lappend ::stub::msg_rules $opts
    return ""
}
proc ::stub::synth_messages {} {
    if {![info exists ::env(STUB_MISSING_MEM)]} { return }
    set id {Synth 8-4445}
    set text "could not open \$readmem data file '$::env(STUB_MISSING_MEM)'"
    set sev {CRITICAL WARNING}
    foreach r $::stub::msg_rules {
        if {![dict exists $r -new_severity]} { continue }
        set hit 1
        if {[dict exists $r -id] && [dict get $r -id] ne $id} { set hit 0 }
        if {[dict exists $r -severity] && [dict get $r -severity] ne {CRITICAL WARNING}} { set hit 0 }
        if {[dict exists $r -string]} {
            foreach str [dict get $r -string] {
                if {[string first $str $text] < 0} { set hit 0 }
            }
        }
        if {$hit} { set sev [dict get $r -new_severity] }
    }
    puts "$sev: \[$id\] $text"
    if {$sev eq "ERROR"} { set ::stub::synth_failed 1 }
}
# The synthesised accelerator's memory cells: STUB_RAMB36 / STUB_RAMB18 / STUB_URAM, else what
# the script's memory plan says (plan_bram36, plan_uram), so that a clean build checks clean.
::stub::def vivado get_cells {
    if {![dict exists $opts -filter] ||
        ![regexp {REF_NAME =~ (RAMB36|RAMB18|URAM288)} [dict get $opts -filter] -> kind]} {
        return [list]
    }
    set plan [expr {[info exists ::plan_bram36] && $::plan_bram36 ne "" ? $::plan_bram36 : 0}]
    set uplan [expr {[info exists ::plan_uram] && $::plan_uram ne "" ? $::plan_uram : 0}]
    switch -- $kind {
        RAMB36 { set env STUB_RAMB36; set n [expr {int($plan)}] }
        RAMB18 { set env STUB_RAMB18; set n [expr {int(round(2 * ($plan - int($plan))))}] }
        URAM288 { set env STUB_URAM; set n $uplan }
    }
    if {[info exists ::env($env)]} { set n $::env($env) }
    set out [list]
    for {set i 0} {$i < $n} {incr i} { lappend out "system_i/accel/inst/mem_$i/${kind}_cell" }
    return $out
}
::stub::def vivado close_design { return "" }
::stub::def vivado open_run {
    set r [string map {run: {}} [lindex $pos 0]]
    if {[lsearch -exact $::stub::runs_launched $r] < 0} { error "stub: open_run $r: not run" }
    return $r
}
::stub::def vivado write_hw_platform {
    set f [expr {[dict exists $opts -file] ? [dict get $opts -file] : [lindex $pos 0]}]
    ::stub::touch $f
    return $f
}
::stub::def vivado report_utilization {
    ::stub::touch [dict get $opts -file]
    return ""
}
::stub::def vivado report_timing_summary {
    ::stub::touch [dict get $opts -file]
    return ""
}

# ---- Vivado: hardware manager -----------------------------------------------------------------
::stub::def vivado open_hw_manager { dict set ::stub::props hw open 1; return "" }
::stub::def vivado connect_hw_server {
    if {![dict exists $::stub::props hw open]} { error "stub: connect_hw_server: no hw manager" }
    return [dict get $opts -url]
}
::stub::def vivado open_hw_target { return target0 }
::stub::def vivado get_hw_devices {
    if {[llength $pos] == 0} { return $::stub::hw_devices }
    set out [list]
    foreach d $::stub::hw_devices {
        foreach p $pos { if {[string match $p $d]} { lappend out $d } }
    }
    return $out
}
::stub::def vivado current_hw_device { return [lindex $pos 0] }
::stub::def vivado refresh_hw_device { return "" }
::stub::def vivado program_hw_devices {
    if {![file exists [::stub::prop [lindex $pos 0] PROGRAM.FILE]]} {
        error "stub: program_hw_devices: PROGRAM.FILE does not exist"
    }
    return ""
}
::stub::def vivado close_hw_target { return "" }
::stub::def vivado disconnect_hw_server { return "" }
::stub::def vivado close_hw_manager { return "" }
