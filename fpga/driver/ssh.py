"""Host side of the board link: ``ssh``/``scp`` subprocesses with the user's own SSH setup.

Nothing secret is stored or asked for: ``BatchMode=yes`` makes ssh fail instead of prompting
(keys or an agent must be set up), and ``ConnectTimeout`` keeps an unreachable board from
hanging the command. ``--ssh-config FILE`` (or ``$FPGA_SSH_CONFIG``) is passed as ``ssh -F``.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import FpgaError, ToolMissingError

SSH_EXIT_CONNECT = 255   # ssh's own failures (cannot connect, auth refused, ...)


def add_ssh_arguments(p, remote_dir_default: str) -> None:
    p.add_argument("--remote-dir", default=None, metavar="DIR",
                   help=f"folder on the board (default: {remote_dir_default}, relative to the "
                        f"login's home)")
    p.add_argument("--ssh-config", metavar="FILE", default=os.environ.get("FPGA_SSH_CONFIG"),
                   help="ssh config file to use (ssh -F; default: $FPGA_SSH_CONFIG, else your "
                        "~/.ssh/config)")
    p.add_argument("--connect-timeout", type=int, default=5, metavar="S",
                   help="seconds to wait for the board to answer (default: 5)")


def remote_path(path: str) -> str:
    """A remote path for the shell: '~/x' and 'x' are relative to home; quoted otherwise."""
    if path == "~":
        return "."
    if path.startswith("~/"):
        path = path[2:] or "."
    return shlex.quote(path)


@dataclass
class Remote:
    host: str
    ssh_config: str | None = None
    connect_timeout: int = 5

    def __post_init__(self):
        if not self.host or self.host.startswith("-") or any(c.isspace() for c in self.host):
            raise FpgaError(f"bad host name {self.host!r}")
        if not 1 <= int(self.connect_timeout) <= 300:
            raise FpgaError(f"--connect-timeout must be 1..300 seconds, got {self.connect_timeout}")
        if self.ssh_config and not Path(self.ssh_config).is_file():
            raise FpgaError(f"ssh config file {self.ssh_config} does not exist")

    def _opts(self) -> list:
        opts = []
        if self.ssh_config:
            opts += ["-F", str(self.ssh_config)]
        return opts + ["-o", "BatchMode=yes", "-o", f"ConnectTimeout={self.connect_timeout}"]

    def _exec(self, argv, timeout, what):
        if not shutil.which(argv[0]):
            raise ToolMissingError(f"{argv[0]} not found on PATH (needed to {what}); install "
                                   f"the OpenSSH client")
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise FpgaError(f"{self.host} did not finish {what} within {timeout} s") from None
        if proc.returncode == SSH_EXIT_CONNECT or (argv[0] == "scp" and proc.returncode):
            raise FpgaError(f"cannot {what} on {self.host} over SSH: {_last_line(proc.stderr)}")
        return proc

    def run(self, command: str, timeout: int = 60, what: str = "run a command"):
        """Run a shell command on the board; returns the CompletedProcess (any exit code but
        ssh's own 255, which raises)."""
        return self._exec(["ssh", *self._opts(), self.host, command], timeout, what)

    def check(self, remote_dir: str) -> None:
        """Reachable, and ``remote_dir`` made."""
        proc = self.run(f"mkdir -p {remote_path(remote_dir)}", timeout=self.connect_timeout + 30,
                        what="reach the board")
        if proc.returncode:
            raise FpgaError(f"cannot create {remote_dir} on {self.host}: "
                            f"{_last_line(proc.stderr)}")

    def put(self, files, remote_dir: str, timeout: int = 300) -> None:
        files = [str(f) for f in files]
        dest = remote_dir[2:] if remote_dir.startswith("~/") else remote_dir
        self._exec(["scp", "-q", *self._opts(), *files, f"{self.host}:{dest}/"], timeout,
                   f"copy {len(files)} file(s) to {remote_dir}")

    def get(self, remote_file: str, local: Path, timeout: int = 300) -> None:
        src = remote_file[2:] if remote_file.startswith("~/") else remote_file
        self._exec(["scp", "-q", *self._opts(), f"{self.host}:{src}", str(local)], timeout,
                   f"copy {remote_file} back")


def _last_line(text: str) -> str:
    lines = [l.strip() for l in (text or "").splitlines() if l.strip()]
    return lines[-1] if lines else "no message from ssh"
