"""The ``fpga`` command. Each sub-command lives in ``fpga/commands/<name>.py`` and defines
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from .errors import FpgaError

# Order shown in --help: the flow, top to bottom.
COMMANDS = ["new", "train", "info", "convert", "csim", "rtl", "cosim", "fuzz", "boards", "fit", "synth",
            "timing", "build", "flash", "run"]


def _available():
    for name in COMMANDS:
        try:
            yield name, importlib.import_module(f"fpga.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"fpga.commands.{name}":
                raise


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fpga",
        description="QKeras SqueezeNet -> hls4ml streaming project -> bit-exact reference -> "
                    "open RTL -> Zynq build scripts.",
        epilog="Run 'fpga COMMAND --help' for the options of each step.")
    p.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, mod in _available():
        sp = sub.add_parser(name, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP),
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        sp.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show full tracebacks on errors")
        mod.add_arguments(sp)
        sp.set_defaults(_run=mod.run)
    return p


def main(argv=None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except FpgaError as e:
        if args.debug:
            raise
        print(f"fpga {args.command}: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
