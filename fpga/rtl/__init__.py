"""Open RTL: block library (verilog/), ROM files, folding, generator."""
