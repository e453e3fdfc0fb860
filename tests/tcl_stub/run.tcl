# tclsh run.tcl TOOL LOG SCRIPT ?ARG ...?
# Loads the vendor-command stub for TOOL (vivado | vitis_hls), then sources SCRIPT with ARGs as
# its argv, as `vivado -mode batch -source SCRIPT -tclargs ARG...` would. Every vendor command
# called is logged to LOG as one JSON line. This checks a script; it builds nothing.
if {$argc < 3} {
    puts stderr "usage: tclsh run.tcl TOOL LOG SCRIPT ?ARG ...?"
    exit 2
}
set stub_tool [lindex $argv 0]
set stub_log [file normalize [lindex $argv 1]]
set stub_script [file normalize [lindex $argv 2]]
set argv [lrange $argv 3 end]
set argc [llength $argv]
source [file join [file dirname [file normalize [info script]]] stub.tcl]
set ::stub::log $stub_log
close [open $stub_log w]
if {[catch {uplevel #0 [list source $stub_script]} msg opts]} {
    puts stderr "SCRIPT ERROR: $msg"
    puts stderr [dict get $opts -errorinfo]
    exit 1
}
exit 0
