"""fpga flash: program the board over JTAG, or put bitstream + driver on a PYNQ board."""
from __future__ import annotations

from ..boards import add_boards_file_argument
from ..driver.deploy import default_remote_dir, deploy
from ..driver.ssh import Remote, add_ssh_arguments
from ..errors import FpgaError
from ..vendor import runner
from ..vendor.layout import resolve_build

HELP = "program the board: JTAG via Vivado, or copy .bit/.hwh + driver to a PYNQ board (SSH)"
DESCRIPTION = """Program the board with PROJECT's bitstream (build/BOARD/out/NAME.bit).

  --jtag        Vivado hardware manager (flash_jtag.tcl) through hw_server (--hw-server);
                programs the PL only, the PS must already be running.
  --pynq HOST   copy NAME.bit, NAME.hwh, accel.json, pynq_driver.py and beats.py to HOST over
                SSH (your ssh config and keys; BatchMode, nothing stored). Load it on the board
                with pynq_driver.Accelerator, or use 'fpga run'.

exit status: 0 done; 2 bad input or unreachable board; 3 vivado/ssh not on PATH."""


def add_arguments(p):
    p.add_argument("project", help="project folder (with build/BOARD/out/)")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--jtag", action="store_true", help="program over JTAG with Vivado")
    how.add_argument("--pynq", metavar="HOST", help="copy to a PYNQ board over SSH "
                                                    "(user@host or an ssh config Host)")
    p.add_argument("--board", help="which build (default: the project's only build)")
    p.add_argument("--hw-server", default="localhost:3121", metavar="HOST:PORT",
                   help="hw_server for --jtag (default: %(default)s)")
    add_ssh_arguments(p, "fpga/NAME")
    add_boards_file_argument(p)


def run(args) -> int:
    layout = resolve_build(args.project, args.board, args.boards_file)
    if not layout.bit.is_file():
        raise FpgaError(f"no bitstream {layout.bit}; run 'fpga build {layout.project} --board "
                        f"{layout.board}' with Vivado first")
    if args.jtag:
        script = layout.script("flash_jtag.tcl")
        if not script.is_file():
            raise FpgaError(f"no {script}; run 'fpga build ... --scripts-only --force' again")
        runner.require(["vivado"], "--jtag")
        log = runner.run_tool("vivado", script, tclargs=[args.hw_server])
        print(f"programmed {layout.board} over JTAG with {layout.bit.name}; log {log}")
        return 0
    remote = Remote(args.pynq, args.ssh_config, args.connect_timeout)
    remote_dir = args.remote_dir or default_remote_dir(layout)
    files = deploy(layout, remote, remote_dir)
    print(f"copied {', '.join(f.name for f in files)} to {args.pynq}:{remote_dir}")
    print(f"on the board (as root): cd {remote_dir} && python3 -c \"from pynq_driver import "
          f"Accelerator; acc = Accelerator('{layout.bit.name}')\"")
    return 0
