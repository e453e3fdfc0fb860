"""The Vivado release the scripts follow and the IP versions (VLNVs) it ships.

We follow Vivado / Vitis HLS **2023.2** (the same catalog as 2023.1; PYNQ 3.0/3.1 images load
bitstreams from any of these releases). Each generated script checks every VLNV against the
running Vivado's catalog and falls back to the newest version present, with a warning, so a
nearby release (2022.2-2024.2) still builds.
"""
from __future__ import annotations

VIVADO_VERSION = "2023.2"

VLNV = {
    "processing_system7": "xilinx.com:ip:processing_system7:5.5",
    "zynq_ultra_ps_e": "xilinx.com:ip:zynq_ultra_ps_e:3.5",
    "axi_dma": "xilinx.com:ip:axi_dma:7.1",
    "smartconnect": "xilinx.com:ip:smartconnect:1.0",
    "proc_sys_reset": "xilinx.com:ip:proc_sys_reset:5.0",
    "clk_wiz": "xilinx.com:ip:clk_wiz:6.0",
    "xlconcat": "xilinx.com:ip:xlconcat:2.1",
}

# Block-automation rules (apply_bd_automation -rule) for the two PS types.
PS_RULE = {
    "ps7": "xilinx.com:bd_rule:processing_system7",
    "ps8": "xilinx.com:bd_rule:zynq_ultra_ps_e",
}

# What the accelerator IP is called in the catalog. HLS: export_design -vendor/-library/-ipname/
# -version; RTL: ipx::package_project -vendor/-library plus the core's name/version.
IP_VENDOR = "fpga.local"
IP_VERSION = "1.0"
HLS_LIBRARY = "hls4ml"
RTL_LIBRARY = "rtl"


def accel_vlnv(source: str, top: str) -> str:
    library = HLS_LIBRARY if source == "hls" else RTL_LIBRARY
    return f"{IP_VENDOR}:{library}:{top}:{IP_VERSION}"
