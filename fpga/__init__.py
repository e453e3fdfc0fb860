"""fpga: QKeras SqueezeNet -> bit-exact streaming FPGA accelerator."""
__version__ = "0.1.0"
