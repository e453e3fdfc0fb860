"""RTL co-simulation of a whole project with cocotb + Verilator (``fpga cosim``)."""
