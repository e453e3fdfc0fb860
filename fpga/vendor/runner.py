"""Run a vendor tool (vivado, vitis_hls) on a generated script, showing progress.

The scripts print ``FPGA-STEP: n/total what`` before each step; those drive a progress bar.
Every line of the tool's output goes to ``<build>/<tool>.out.log``; ``ERROR``/``CRITICAL
WARNING`` lines are also shown as they come. A failing tool raises FpgaError naming the log.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import FpgaError, ToolMissingError

_STEP = re.compile(r"^FPGA-STEP: (\d+)/(\d+) (.*)$")
_SHOW = re.compile(r"^(ERROR|CRITICAL WARNING|WARNING: fpga:)")


def which(tool: str):
    return shutil.which(tool)


def require(tools, what: str, scripts_note: str = "") -> None:
    missing = [t for t in tools if not which(t)]
    if missing:
        raise ToolMissingError(f"{' and '.join(missing)} not found on PATH (needed for {what})"
                               + (f"; {scripts_note}" if scripts_note else ""))


def command(tool: str, script: Path, tclargs=()) -> list:
    script = Path(script)
    if tool == "vitis_hls":
        return ["vitis_hls", "-f", script.name]
    cmd = ["vivado", "-mode", "batch", "-nojournal", "-log", f"{script.stem}.log",
           "-source", script.name]
    if tclargs:
        cmd += ["-tclargs", *tclargs]
    return cmd


def run_tool(tool: str, script: Path, tclargs=(), quiet: bool = False) -> Path:
    """Run ``tool`` on ``script`` in the script's folder; returns the output log path."""
    from tqdm import tqdm

    script = Path(script)
    cwd = script.parent
    log = cwd / f"{script.stem}.out.log"
    cmd = command(tool, script, tclargs)
    errors = []
    proc = None
    bar = tqdm(total=1, desc=f"{tool} {script.name}", unit="step", disable=quiet,
               file=sys.stderr, dynamic_ncols=True, bar_format="{desc}: {n}/{total} {bar} "
               "[{elapsed}]{postfix}")
    try:
        with open(log, "w") as fh:
            try:
                proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, bufsize=1,
                                        errors="replace")
            except FileNotFoundError:
                raise ToolMissingError(f"{tool} not found on PATH") from None
            for line in proc.stdout:
                fh.write(line)
                line = line.rstrip("\n")
                m = _STEP.match(line)
                if m:
                    bar.total = int(m.group(2))
                    bar.n = int(m.group(1)) - 1
                    bar.set_postfix_str(m.group(3)[:60])
                    bar.refresh()
                elif _SHOW.match(line):
                    if line.startswith("ERROR"):
                        errors.append(line)
                    if not quiet:
                        tqdm.write(line, file=sys.stderr)
            rc = proc.wait()
        if rc == 0:
            bar.n = bar.total
            bar.refresh()
    except KeyboardInterrupt:
        if proc is not None:
            proc.terminate()
        raise
    finally:
        bar.close()
    if rc != 0:
        last = f": {errors[-1][:200]}" if errors else ""
        raise FpgaError(f"{tool} failed (exit {rc}) on {script.name}; log {log}{last}")
    return log


def reports(build_dir: Path, top: str) -> list:
    """Report files the build left behind, for the user to read."""
    build_dir = Path(build_dir)
    cands = [build_dir / "hls_prj" / "solution1" / "syn" / "report" / f"{top}_csynth.rpt",
             build_dir / "out" / "utilization.rpt",
             build_dir / "out" / "timing_summary.rpt"]
    return [p for p in cands if p.is_file()]
