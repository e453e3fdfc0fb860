"""fpga flash / fpga run and the board driver, tested without a board.

The SSH tests start a private sshd on a free 127.0.0.1 port (temp host key, temp
authorized_keys, temp client config passed with --ssh-config); they are skipped when sshd is
not installed (tests/setup_sshd.sh installs it). `fpga run` is exercised against that "board"
with a fake `pynq` module whose DMA decodes the beats with its own code, so the packing in
fpga.beats / pynq_driver round-trips through an independent reader.
"""
from __future__ import annotations

import getpass
import json
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from fpga import beats
from fpga.cli import main
from fpga.driver import pynq_driver
from fpga.driver.meta import load_meta

_spec = importlib.util.spec_from_file_location(
    "tcl_stub_helpers", Path(__file__).parent / "tcl_stub" / "helpers.py")
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

SSHD = shutil.which("sshd") or next((p for p in ("/usr/sbin/sshd",) if os.path.exists(p)), None)
HAVE_SSH = all(shutil.which(t) for t in ("ssh", "scp", "ssh-keygen"))
needs_ssh_client = pytest.mark.skipif(not HAVE_SSH, reason="OpenSSH client not installed "
                                      "(run tests/setup_sshd.sh)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stderr_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err and len(err.splitlines()) == 1, f"expected one line on stderr, got: {err!r}"
    return err


@pytest.fixture()
def built(tmp_path):
    """A project with scripts for pynq-z2 and a (fake) bitstream, as after a Vivado build."""
    project = helpers.make_project(tmp_path)
    assert main(["build", str(project), "--board", "pynq-z2", "--scripts-only"]) == 0
    out = project / "build" / "pynq-z2" / "out"
    out.mkdir()
    (out / "fakenet.bit").write_bytes(b"\x00\x09fake bitstream")
    (out / "fakenet.hwh").write_text("<MODULES/>\n")
    return project


def _write_ssh_config(path: Path, entries: dict, key: Path, known_hosts: Path) -> Path:
    text = ""
    for host, port in entries.items():
        text += textwrap.dedent(f"""\
            Host {host}
                HostName 127.0.0.1
                Port {port}
                User {getpass.getuser()}
                IdentityFile {key}
                IdentitiesOnly yes
                UserKnownHostsFile {known_hosts}
                StrictHostKeyChecking yes
                LogLevel ERROR
            """)
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    """A private sshd on 127.0.0.1:<free port>; yields the ssh config file (Host 'board')."""
    if not SSHD or not HAVE_SSH:
        pytest.skip("sshd/ssh not installed: run tests/setup_sshd.sh "
                    "(apt-get install -y openssh-server openssh-client)")
    if not os.path.isdir("/run/sshd"):
        if os.geteuid() != 0:
            pytest.skip("sshd needs its privilege separation folder /run/sshd (create as root)")
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    d = tmp_path_factory.mktemp("sshd")
    for key in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)],
                       check=True)
    (d / "authorized_keys").write_text((d / "client_key.pub").read_text())
    port = _free_port()
    (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {(d / 'host_key.pub').read_text()}")
    cfg = d / "sshd_config"
    cfg.write_text(textwrap.dedent(f"""\
        Port {port}
        ListenAddress 127.0.0.1
        HostKey {d / 'host_key'}
        PidFile {d / 'sshd.pid'}
        AuthorizedKeysFile {d / 'authorized_keys'}
        StrictModes no
        PubkeyAuthentication yes
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        UsePAM no
        PermitRootLogin prohibit-password
        Subsystem sftp internal-sftp
        LogLevel ERROR
        """))
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(cfg)], stdout=subprocess.DEVNULL,
                            stderr=open(d / "sshd.log", "w"))
    try:
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.skip(f"private sshd did not start: {(d / 'sshd.log').read_text()}")
                time.sleep(0.1)
        client = _write_ssh_config(d / "ssh_config", {"board": port}, d / "client_key",
                                   d / "known_hosts")
        probe = subprocess.run(["ssh", "-F", str(client), "-o", "BatchMode=yes", "board", "true"],
                               capture_output=True, text=True, timeout=30)
        if probe.returncode:
            pytest.skip(f"cannot log in to the private sshd: {probe.stderr.strip()}")
        yield client
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture()
def dead_config(tmp_path):
    """An ssh config whose Host 'deadboard' is a loopback port nobody listens on."""
    key = tmp_path / "k"
    key.write_text("")
    return _write_ssh_config(tmp_path / "dead_config", {"deadboard": _free_port()}, key,
                             tmp_path / "kh")


# ---- packing round trip (the driver uses fpga.beats; nothing board-specific) -----------------

def _meta(in_width=8, in_signed=False, channels=3, h=4, w=5, out_width=12, classes=6):
    return {"height": h, "width": w, "channels": channels, "in_width": in_width,
            "in_signed": in_signed, "in_tdata_bits": beats.in_tdata_bits(channels, in_width),
            "classes": classes, "out_width": out_width, "out_signed": True,
            "out_tdata_bits": 32, "dma": "axi_dma", "bitfile": "x.bit", "name": "x"}


@pytest.mark.parametrize("in_width,in_signed,channels", [(8, False, 3), (8, True, 3),
                                                         (6, True, 5), (16, False, 3)])
def test_pack_frames_matches_beats_and_decodes_back(in_width, in_signed, channels):
    meta = _meta(in_width, in_signed, channels)
    rng = np.random.default_rng(in_width * 10 + channels)
    lo, hi = (-(1 << (in_width - 1)), 1 << (in_width - 1)) if in_signed else (0, 1 << in_width)
    x = rng.integers(lo, hi, size=(3, 4, 5, channels))
    packed = pynq_driver.pack_frames(pynq_driver.check_inputs(x, meta), meta)
    nbytes = meta["in_tdata_bits"] // 8
    assert packed.shape == (3, 4 * 5 * nbytes)
    for f in range(3):
        assert packed[f].tobytes() == beats.pack_frame_bytes(x[f], in_width, channels)
        # decode independently: little-endian words, channel c at bits [c*W, (c+1)*W)
        words = [int.from_bytes(packed[f, i:i + nbytes].tobytes(), "little")
                 for i in range(0, packed.shape[1], nbytes)]
        got = np.array([[(wd >> (c * in_width)) & ((1 << in_width) - 1)
                         for c in range(channels)] for wd in words])
        if in_signed:
            got = np.where(got >= 1 << (in_width - 1), got - (1 << in_width), got)
        assert np.array_equal(got.reshape(4, 5, channels), x[f])


def test_unpack_scores_sign_extends():
    meta = _meta(out_width=12, classes=4)
    raw = np.array([[-2048, -1, 0, 2047], [5, -5, 100, -100]])
    data = np.stack([np.frombuffer(b"".join(beats.score_beat(v).to_bytes(4, "little")
                                            for v in row), dtype=np.uint8) for row in raw])
    assert np.array_equal(pynq_driver.unpack_scores(data, meta), raw)


@pytest.mark.parametrize("x,msg", [
    (np.zeros((2, 4, 5, 2), dtype=np.int64), "must be (N, 4, 5, 3)"),
    (np.full((1, 4, 5, 3), 256), "do not fit the 8-bit unsigned"),
    (np.full((1, 4, 5, 3), -1), "do not fit"),
    (np.full((1, 4, 5, 3), 0.5), "raw integers"),
    (np.zeros((0, 4, 5, 3), dtype=np.int64), "no frame"),
])
def test_check_inputs_rejects(x, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        pynq_driver.check_inputs(x, _meta())


def test_check_inputs_accepts_single_frame_and_integral_floats():
    meta = _meta()
    assert pynq_driver.check_inputs(np.ones((4, 5, 3)), meta).shape == (1, 4, 5, 3)


# ---- bad input: each one line on stderr, non-zero exit ---------------------------------------

def test_flash_needs_a_mode(built):
    with pytest.raises(SystemExit) as e:
        main(["flash", str(built)])
    assert e.value.code == 2


def test_flash_unknown_board(built, capsys):
    assert main(["flash", str(built), "--board", "nosuch", "--jtag"]) == 2
    assert "unknown board 'nosuch'; known: " in _stderr_line(capsys)


def test_flash_without_build(tmp_path, capsys):
    project = helpers.make_project(tmp_path)
    assert main(["flash", str(project), "--jtag"]) == 2
    assert "no build in" in _stderr_line(capsys)


def test_flash_without_bitstream(tmp_path, capsys):
    project = helpers.make_project(tmp_path)
    assert main(["build", str(project), "--board", "kv260", "--scripts-only"]) == 0
    capsys.readouterr()
    assert main(["flash", str(project), "--jtag"]) == 2
    assert "no bitstream" in _stderr_line(capsys)


def test_flash_jtag_without_vivado(built, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["flash", str(built), "--jtag"]) == 3
    err = _stderr_line(capsys)
    assert "vivado not found on PATH" in err


def test_flash_jtag_runs_vivado_with_the_script(built, capsys, monkeypatch, tmp_path):
    """A fake `vivado` on PATH runs the real flash_jtag.tcl under the Tcl stub."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "jtag.jsonl"
    (bindir / "vivado").write_text(textwrap.dedent(f"""\
        #!/bin/sh
        # fake vivado: -mode batch -nojournal -log L -source S -tclargs URL
        while [ $# -gt 0 ]; do
            case "$1" in -source) src="$2"; shift;; -tclargs) shift; url="$1";; esac
            shift
        done
        exec {helpers.TCLSH} {helpers.STUB_DIR / 'run.tcl'} vivado {log} "$src" "$url"
        """))
    (bindir / "vivado").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    assert main(["flash", str(built), "--jtag", "--hw-server", "10.0.0.9:3121"]) == 0
    assert "programmed pynq-z2 over JTAG" in capsys.readouterr().out
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    names = [c["cmd"] for c in calls]
    assert names.index("connect_hw_server") < names.index("program_hw_devices")
    assert calls[names.index("connect_hw_server")]["args"][:2] == ["-url", "10.0.0.9:3121"]
    assert any(c["cmd"] == "set_property" and c["args"][:1] == ["PROGRAM.FILE"]
               and c["args"][1].endswith("out/fakenet.bit") and c["args"][2] == "xc7z020_1"
               for c in calls)


@needs_ssh_client
def test_flash_unreachable_host(built, capsys, dead_config):
    start = time.time()
    rc = main(["flash", str(built), "--pynq", "deadboard", "--ssh-config", str(dead_config),
               "--connect-timeout", "3"])
    assert rc == 2
    err = _stderr_line(capsys)
    assert "cannot reach the board on deadboard over SSH" in err
    assert "Connection refused" in err
    assert time.time() - start < 20


@needs_ssh_client
def test_flash_unresolvable_host(built, capsys):
    rc = main(["flash", str(built), "--pynq", "no-such-board.invalid", "--connect-timeout", "2"])
    assert rc == 2
    assert "cannot reach the board on no-such-board.invalid" in _stderr_line(capsys)


def test_flash_missing_ssh_config(built, capsys, tmp_path):
    rc = main(["flash", str(built), "--pynq", "board", "--ssh-config", str(tmp_path / "nope")])
    assert rc == 2
    assert "ssh config file" in _stderr_line(capsys)


@needs_ssh_client
def test_run_unreachable_host(built, capsys, dead_config, tmp_path):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((2, 4, 5, 3), dtype=np.uint8))
    rc = main(["run", str(built), "--pynq", "deadboard", "--inputs", str(x), "--ssh-config",
               str(dead_config), "--connect-timeout", "3"])
    assert rc == 2
    assert "cannot reach the board on deadboard over SSH" in _stderr_line(capsys)


@pytest.mark.parametrize("make,msg", [
    (None, "does not exist"),
    (lambda p: p.write_text("not numpy"), "cannot read"),
    (lambda p: np.save(p, np.zeros((2, 4, 5, 4))), "must be (N, 4, 5, 3)"),
    (lambda p: np.save(p, np.full((1, 4, 5, 3), 300)), "do not fit"),
])
def test_run_bad_inputs(built, capsys, tmp_path, make, msg):
    x = tmp_path / "x.npy"
    if make:
        make(x)
    # the host is never contacted: inputs are checked first
    rc = main(["run", str(built), "--pynq", "never-contacted.invalid", "--inputs", str(x)])
    assert rc == 2
    assert msg in _stderr_line(capsys)


def test_run_needs_inputs_and_host(built):
    for argv in (["run", str(built), "--pynq", "h"], ["run", str(built), "--inputs", "x.npy"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2


def test_run_driver_command_quoting():
    from fpga.commands.run import driver_command
    cmd = driver_command("~/my dir", "python3", sudo=True)
    assert cmd.startswith("cd 'my dir' && ")
    assert 'sudo -n -E env PATH="$PATH" python3 pynq_driver.py' in cmd


# ---- against a real sshd on 127.0.0.1 --------------------------------------------------------

FAKE_PYNQ = '''\
"""Fake pynq for tests: an AXI DMA whose 'accelerator' sums each frame's pixel values.
It decodes the beats itself (32-bit little-endian words, 8-bit channels LSB-first)."""
import os
import numpy as np


class _Buf(np.ndarray):
    def flush(self):
        pass

    def invalidate(self):
        pass

    def freebuffer(self):
        pass


def allocate(shape, dtype):
    return np.zeros(shape, dtype).view(_Buf)


class _Chan:
    def __init__(self, dma, send):
        self.dma, self.send, self.idle = dma, send, True

    def transfer(self, buf):
        (self.dma.sent if self.send else self.dma.recvs).append(buf)
        self.dma.step()

    def wait(self):
        pass


class _Dma:
    def __init__(self):
        self.sent, self.recvs = [], []
        self.sendchannel, self.recvchannel = _Chan(self, True), _Chan(self, False)

    def step(self):
        while self.sent and self.recvs:
            frame, out = self.sent.pop(0), self.recvs.pop(0)
            words = np.frombuffer(frame.tobytes(), dtype="<u4").astype(np.int64)
            total = int(sum(((words >> (8 * c)) & 0xFF).sum() for c in range(3)))
            classes = out.shape[0] // 4
            scores = [(total % 2048) - k for k in range(classes)]
            out[:] = np.frombuffer(np.array(scores, dtype="<i4").tobytes(), dtype=np.uint8)


class Overlay:
    def __init__(self, bitfile, download=True):
        if not os.path.isfile(bitfile):
            raise OSError("no bitfile " + bitfile)
        self.axi_dma = _Dma()
'''


def test_flash_pynq_copies_bitstream_and_driver(built, sshd, tmp_path, capsys):
    remote = tmp_path / "board_home" / "fakenet"
    rc = main(["flash", str(built), "--pynq", "board", "--ssh-config", str(sshd),
               "--remote-dir", str(remote)])
    assert rc == 0, capsys.readouterr().err
    out = built / "build" / "pynq-z2" / "out"
    for local in (out / "fakenet.bit", out / "fakenet.hwh", built / "build/pynq-z2/accel.json",
                  Path(pynq_driver.__file__), Path(beats.__file__)):
        copied = remote / local.name
        assert copied.is_file(), f"{local.name} not copied"
        assert copied.read_bytes() == local.read_bytes()
    assert f"to board:{remote}" in capsys.readouterr().out


def test_run_on_fake_board_reports_fps_and_scores(built, sshd, tmp_path, capsys):
    remote = tmp_path / "board"
    assert main(["flash", str(built), "--pynq", "board", "--ssh-config", str(sshd),
                 "--remote-dir", str(remote)]) == 0
    (remote / "pynq.py").write_text(FAKE_PYNQ)
    rng = np.random.default_rng(7)
    x = rng.integers(0, 256, size=(5, 4, 5, 3)).astype(np.uint8)
    xin = tmp_path / "x.npy"
    np.save(xin, x)
    yout = tmp_path / "y.npy"
    capsys.readouterr()
    rc = main(["run", str(built), "--pynq", "board", "--ssh-config", str(sshd),
               "--remote-dir", str(remote), "--inputs", str(xin), "--outputs", str(yout),
               "--remote-python", sys.executable])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "5 frames on pynq-z2 (board):" in captured.out and "FPS" in captured.out
    y = np.load(yout)
    classes = load_meta(built / "build/pynq-z2/accel.json")["classes"]
    totals = x.reshape(5, -1).astype(np.int64).sum(axis=1) % 2048
    assert np.array_equal(y, totals[:, None] - np.arange(classes)[None, :])


def test_run_before_flash_says_so(built, sshd, tmp_path, capsys):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 4, 5, 3), dtype=np.uint8))
    rc = main(["run", str(built), "--pynq", "board", "--ssh-config", str(sshd),
               "--remote-dir", str(tmp_path / "empty_remote"), "--inputs", str(x)])
    assert rc == 2
    assert "has no driver/bitstream; run 'fpga flash" in _stderr_line(capsys)


def test_run_driver_failure_is_one_line(built, sshd, tmp_path, capsys):
    remote = tmp_path / "board"
    assert main(["flash", str(built), "--pynq", "board", "--ssh-config", str(sshd),
                 "--remote-dir", str(remote)]) == 0
    (remote / "pynq.py").write_text("raise ImportError('pynq is not installed here')\n")
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 4, 5, 3), dtype=np.uint8))
    capsys.readouterr()
    rc = main(["run", str(built), "--pynq", "board", "--ssh-config", str(sshd),
               "--remote-dir", str(remote), "--inputs", str(x),
               "--remote-python", sys.executable])
    assert rc == 2
    err = _stderr_line(capsys)
    assert "driver failed on board" in err and "pynq is not installed here" in err
