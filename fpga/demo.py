"""`make demo`: the whole flow on the shipped default model, ending in a ten-second summary.

Each stage is one call of the corresponding `fpga` command's machinery; the summary says what
each stage proved and what was not run (vendor tools are never run here).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .cli import main as fpga

MODEL = Path("models/squeezenet_mini_digits.h5")
PROJECT = Path("hls_projects/squeezenet_mini_digits")
FRAMES = 100


def step(title: str) -> None:
    print(f"\n== {title}", file=sys.stderr, flush=True)


def run_json(args) -> tuple[int, dict]:
    """Run an fpga command with --json, capturing its stdout."""
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = fpga([*map(str, args), "--json"])
    text = buf.getvalue().strip()
    return code, (json.loads(text) if text else {})


def main() -> int:
    rows = []
    t_all = time.time()

    step(f"1/2 convert {MODEL} -> {PROJECT} (hls4ml 1.3, Vitis, io_stream)")
    code, conv = run_json(["convert", MODEL, "-o", PROJECT, "--force"])
    if code:
        return code
    rows.append(("convert", "ok", f"{conv['params']:,} params, {conv['macs']:,} MACs/frame, "
                                  f"{conv['weight_bytes']:,} B weights in {conv['weights_rom_bram36']} BRAM36 ROMs"))

    step(f"2/2 C simulation (g++) vs bit-exact reference, {FRAMES} frames")
    code, cs = run_json(["csim", PROJECT, "--frames", FRAMES])
    rows.append(("C-sim", "BIT-EXACT" if code == 0 else "MISMATCH",
                 f"{cs.get('mismatches')} mismatches / {cs.get('outputs_compared')} outputs "
                 f"({cs.get('inputs')}); QKeras max |diff| {cs.get('qkeras_max_abs_diff')}"))

    print(f"\nfpga demo summary — {PROJECT} ({time.time() - t_all:.0f} s)")
    for name, verdict, detail in rows:
        print(f"  {name:9} {verdict:10} {detail}")
    print("  not run   vendor tools (Vitis HLS / Vivado) and boards: not available here")
    return 0 if all(v not in ("MISMATCH", "FAIL") for _, v, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
