"""hls4ml side of the flow: precision derivation, conversion (with our extensions), IR export."""
