"""fpga run: run a batch of frames on a PYNQ board over SSH and report frames per second."""
from __future__ import annotations

import json
import shlex
import tempfile
from pathlib import Path

import numpy as np

from ..boards import add_boards_file_argument
from ..driver.deploy import default_remote_dir
from ..driver.meta import load_meta
from ..driver.pynq_driver import check_inputs
from ..driver.ssh import Remote, add_ssh_arguments, remote_path
from ..errors import FpgaError
from ..vendor.layout import resolve_build

HELP = "run a batch of inputs on a PYNQ board (after 'fpga flash --pynq') and report FPS"
DESCRIPTION = """Run INPUTS (.npy of raw integers, (N, H, W, C) or (H, W, C), in the input
layer's fixed-point format) through the accelerator on a PYNQ board over SSH, fetch the scores
((N, classes) raw integers of the output format) and report frames per second.

The board must have been set up with 'fpga flash PROJECT --pynq HOST' (same --remote-dir).
PYNQ needs root to load an overlay: log in as root (ssh config 'User root') or pass --sudo
(needs password-less sudo). On PYNQ 3 images the pynq venv is activated when present.

exit status: 0 done; 2 bad input, unreachable board or driver failure; 3 ssh not on PATH."""

VENV = "/etc/profile.d/pynq_venv.sh"


def add_arguments(p):
    p.add_argument("project", help="project folder (with build/BOARD/accel.json)")
    p.add_argument("--pynq", metavar="HOST", required=True,
                   help="the board (user@host or an ssh config Host)")
    p.add_argument("--inputs", required=True, metavar="X.npy", help="frames, raw integers")
    p.add_argument("--outputs", metavar="Y.npy",
                   help="where to save the scores (default: build/BOARD/outputs.npy)")
    p.add_argument("--board", help="which build (default: the project's only build)")
    p.add_argument("--remote-python", default="python3", metavar="CMD",
                   help="python on the board (default: %(default)s)")
    p.add_argument("--sudo", action="store_true", help="run the driver with 'sudo -n'")
    p.add_argument("--timeout", type=int, default=600, metavar="S",
                   help="seconds the whole batch may take on the board (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    add_ssh_arguments(p, "fpga/NAME")
    add_boards_file_argument(p)


def load_inputs(path, meta) -> np.ndarray:
    path = Path(path)
    if not path.is_file():
        raise FpgaError(f"inputs file {path} does not exist")
    try:
        x = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise FpgaError(f"cannot read {path} as a .npy array: {e}") from None
    try:
        return check_inputs(x, meta)
    except ValueError as e:
        raise FpgaError(f"{path}: {e}") from None


def driver_command(remote_dir: str, python: str, sudo: bool) -> str:
    py = python if not sudo else f'sudo -n -E env PATH="$PATH" {python}'
    return (f"cd {remote_path(remote_dir)} && {{ [ -f {VENV} ] && . {VENV}; true; }} && "
            f"{py} pynq_driver.py --meta accel.json --inputs inputs.npy --outputs outputs.npy")


def parse_result(stdout: str) -> dict:
    for line in reversed(stdout.splitlines()):
        if line.startswith("FPGA-RESULT: "):
            return json.loads(line[len("FPGA-RESULT: "):])
    raise FpgaError("the board driver printed no result line")


def run(args) -> int:
    layout = resolve_build(args.project, args.board, args.boards_file)
    meta_path = layout.build_dir / "accel.json"
    if not meta_path.is_file():
        raise FpgaError(f"no {meta_path}; run 'fpga build' again")
    meta = load_meta(meta_path)
    x = load_inputs(args.inputs, meta)
    out = Path(args.outputs) if args.outputs else layout.build_dir / "outputs.npy"
    if args.timeout < 1:
        raise FpgaError("--timeout must be at least 1 second")

    remote = Remote(args.pynq, args.ssh_config, args.connect_timeout)
    remote_dir = args.remote_dir or default_remote_dir(layout)
    rd = remote_path(remote_dir)
    probe = remote.run(f"test -f {rd}/pynq_driver.py && test -f {rd}/accel.json && "
                       f"test -f {rd}/{shlex.quote(meta['bitfile'])}", what="reach the board")
    if probe.returncode:
        raise FpgaError(f"{args.pynq}:{remote_dir} has no driver/bitstream; run 'fpga flash "
                        f"{layout.project} --pynq {args.pynq}' first")
    with tempfile.TemporaryDirectory(prefix="fpga-run-") as tmp:
        local_in = Path(tmp) / "inputs.npy"
        np.save(local_in, x)
        remote.put([local_in], remote_dir)
    proc = remote.run(driver_command(remote_dir, args.remote_python, args.sudo),
                      timeout=args.timeout, what="run the driver")
    if proc.returncode:
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        raise FpgaError(f"driver failed on {args.pynq} (exit {proc.returncode}): "
                        f"{lines[-1] if lines else 'no message'}")
    result = parse_result(proc.stdout)
    out.parent.mkdir(parents=True, exist_ok=True)
    remote.get(f"{remote_dir.rstrip('/')}/outputs.npy", out)
    scores = np.load(out)
    result.update(board=layout.board, host=args.pynq, outputs=str(out),
                  shape=list(scores.shape))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['frames']} frames on {layout.board} ({args.pynq}): "
              f"{result['fps']:.1f} FPS, {result['ms_per_frame']:.3f} ms/frame "
              f"(DMA in + compute + DMA out)")
        print(f"scores {tuple(scores.shape)} -> {out}")
    return 0
