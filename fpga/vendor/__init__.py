"""Vendor (AMD/Xilinx) build scripts: Vitis HLS and Vivado Tcl generated from the project.

One module per job: ``config`` (what a build is made from), ``hls_axis`` (the beat-format HLS
wrapper top around hls4ml's), ``hls_tcl``, ``vivado_tcl`` (with ``rtl_ip_tcl`` for the open-RTL
IP packaging), ``jtag_tcl``, ``scripts`` (write the set, all or nothing), ``runner`` (run a tool
with progress), ``layout`` (where files go), ``ip`` (the Vivado release followed and its IP
VLNVs). See README.md here.
"""
