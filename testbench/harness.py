"""Shared cocotb/pytest harness for the RTL block tests.

pytest side : ``run_block`` builds one Verilator model per parameter set (under
              ``testbench/build/<name>``) and runs the cocotb tests of a module against it; the
              parameter dict is handed to the simulation through the ``BLOCK_PARAMS`` env var.
cocotb side : ``block_params``, ``start`` (clock + reset), ``Source``/``Sink``/``MultiSink``
              stream drivers with random valid gaps / ready backpressure, packing helpers.

Stream port naming (all internal blocks): ``<p>_tdata``, ``<p>_tvalid``, ``<p>_tready``; a beat
moves on a rising clock edge when valid and ready are both high.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from collections import deque
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RTL_DIR = ROOT / "fpga" / "rtl" / "verilog"
TB_DIR = ROOT / "testbench"
BUILD_DIR = TB_DIR / "build"
HDL_DIR = TB_DIR / "blocks" / "hdl"  # test-only wrappers

# Which library files each top-level needs (dependencies included).
DEPS = {
    "ram_sdp": ["ram_sdp"],
    "rom": ["rom", "ram_sdp"],
    "wload": ["wload"],
    "ctrl_regs": ["ctrl_regs"],
    "fifo": ["fifo", "ram_sdp"],
    "requant": ["requant"],
    "window": ["window", "ram_sdp"],
    "mac": ["mac", "rom", "requant", "fifo", "ram_sdp", "mux_pipe", "wload"],
    "maxpool": ["maxpool", "fifo", "ram_sdp"],
    "mul2": ["mul2"],
    "skid": ["skid"],
    "stream_join": ["stream_join"],
    "stream_fork": ["stream_fork", "skid"],
    "concat": ["concat", "stream_join"],
    "add": ["add", "stream_join", "requant"],
    "gap": ["gap", "mux_pipe", "ram_sdp"],
    "axis_in": ["axis_in", "skid"],
    "axis_out": ["axis_out", "skid"],
}


def rtl_sources(*modules: str) -> list[Path]:
    names: list[str] = []
    for m in modules:
        for d in DEPS.get(m, [m]):
            if d not in names:
                names.append(d)
    return [RTL_DIR / f"{n}.v" for n in names]


def _hdl_param(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (str, Path)):
        return f'"{v}"'
    return int(v)


def param_tag(params: dict) -> str:
    """Short, stable name for a parameter set (used for build directories)."""
    text = json.dumps({k: str(v) for k, v in sorted(params.items())})
    return hashlib.sha1(text.encode()).hexdigest()[:10]


# Uninitialised state (X) is randomised at run time (+verilator+rand+reset+2): a block that
# forgets to reset a control register fails its test instead of passing on lucky zeros.
BUILD_ARGS = ["-Wno-fatal", "--x-assign", "unique", "--x-initial", "unique", "-CFLAGS", "-O1"]
# Verilator's runtime objects do not depend on the design: compile them once (about 20 s of
# the ~25 s a cold build takes), keep them in _COMMON_DIR and copy them into each build
# directory between the verilator and make steps (touched, since they depend on Vtop.mk).
_COMMON_OBJS = ("verilated", "verilated_dpi", "verilated_threads", "verilated_vpi")
_COMMON_DIR = BUILD_DIR / f"_common_{param_tag({'args': BUILD_ARGS})}"


def verilator_runner():
    """The package's fixed Verilator runner (fpga.cosim.tools), plus reuse of the
    design-independent runtime objects (see ``_COMMON_DIR``) between Verilator and make."""
    from fpga.cosim.tools import verilator_runner as fixed_runner

    objs = " ".join(_COMMON_OBJS)
    restore = (f"for o in {objs}; do if [ -f '{_COMMON_DIR}'/$o.o ]; then "
               f"cp '{_COMMON_DIR}'/$o.o '{_COMMON_DIR}'/$o.d . && touch $o.o; fi; done")
    return fixed_runner(before_make=["sh", "-c", restore])


def _save_common_objects(build_dir: Path) -> None:
    if all((_COMMON_DIR / f"{o}.o").exists() for o in _COMMON_OBJS):
        return
    _COMMON_DIR.mkdir(parents=True, exist_ok=True)
    for o in _COMMON_OBJS:
        for ext in (".d", ".o"):
            shutil.copy2(build_dir / f"{o}{ext}", _COMMON_DIR / f"{o}{ext}")


def run_block(toplevel: str, test_module: str, hdl_params: dict, model_params: dict | None = None,
              sources: list[Path] | None = None, name: str | None = None,
              seed: int = 1, testcase: str | None = None) -> None:
    """Build ``toplevel`` with ``hdl_params`` and run the cocotb tests in ``test_module``.

    ``model_params`` (default: ``hdl_params``) reach the cocotb test as ``block_params()``.
    """
    sources = sources or rtl_sources(toplevel)
    model_params = dict(hdl_params if model_params is None else model_params)
    build_dir = BUILD_DIR / (name or f"{toplevel}_{param_tag({**hdl_params, '_': BUILD_ARGS})}")
    build_dir.mkdir(parents=True, exist_ok=True)
    runner = verilator_runner()
    runner.build(
        sources=[str(s) for s in sources],
        hdl_toplevel=toplevel,
        parameters={k: _hdl_param(v) for k, v in hdl_params.items()},
        build_dir=build_dir,
        build_args=BUILD_ARGS,
        timescale=("1ns", "1ps"),
        log_file=build_dir / "build.log",
    )
    _save_common_objects(build_dir)
    env = {"BLOCK_PARAMS": json.dumps(model_params, default=str)}
    pypath = [str(TB_DIR), str(TB_DIR / "blocks"), os.environ.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in pypath if p)
    runner.test(test_module=test_module, hdl_toplevel=toplevel, build_dir=build_dir,
                test_dir=build_dir, extra_env=env, seed=seed, testcase=testcase,
                plusargs=["+verilator+rand+reset+2", f"+verilator+seed+{seed}"],
                log_file=build_dir / "sim.log")


# --------------------------------------------------------------------------- cocotb side

def block_params() -> dict:
    return json.loads(os.environ["BLOCK_PARAMS"])


async def start(dut, period_ns: int = 10, reset_cycles: int = 3):
    """Start the clock on ``dut.clk`` and pulse ``dut.rst`` (active high, synchronous)."""
    from cocotb.clock import Clock
    from cocotb.triggers import RisingEdge

    Clock(dut.clk, period_ns, unit="ns").start()
    dut.rst.value = 1
    for _ in range(reset_cycles):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    await RisingEdge(dut.clk)


async def run_enabled_pipeline(dut, n: int, lat: int, drive, check, seed: int,
                               p_en: float = 0.8) -> int:
    """Push items 0..n-1 through a block of ``lat`` register stages that all move on ``dut.en``
    (low with probability 1 - p_en: the registers must hold), clock already running.
    ``drive(j)`` sets the inputs of item j; ``check(k)`` asserts the outputs while item k is in
    the last stage (every cycle it is there). Returns how many checks were made."""
    from cocotb.triggers import FallingEdge, RisingEdge

    rng = random.Random(seed)
    pipe = [None] * lat          # item held by each stage (model)
    j = checked = 0
    await FallingEdge(dut.clk)
    while pipe[-1] != n - 1:
        en = rng.random() < p_en
        dut.en.value = int(en)
        drive(j)
        await RisingEdge(dut.clk)
        if en:
            pipe = [j] + pipe[:-1]
            j = min(j + 1, n - 1)
        await FallingEdge(dut.clk)
        if pipe[-1] is not None:
            check(pipe[-1])
            checked += 1
    return checked


def pauses(prob: float, seed: int):
    """Endless generator of booleans, True (= pause this cycle) with probability ``prob``."""
    rng = random.Random(seed)
    while True:
        yield prob > 0 and rng.random() < prob


def bursty_pauses(prob: float, seed: int, max_run: int = 12):
    """Pauses in runs of 1..max_run cycles (long stalls); ``prob`` sets how often runs start
    (about ``prob`` of the cycles paused for small ``prob``)."""
    rng = random.Random(seed)
    start_p = prob / ((max_run + 1) / 2)
    while True:
        if prob > 0 and rng.random() < start_p:
            for _ in range(rng.randint(1, max_run)):
                yield True
        else:
            yield False


class Source:
    """Drives ``<prefix>_tdata/_tvalid`` from a queue of ints; honours ``<prefix>_tready``.

    ``pause`` is a generator of booleans: when it yields True no new beat is offered that
    cycle (valid gaps). Once offered, a beat is held until accepted (AXI-Stream rule).
    """

    def __init__(self, dut, prefix: str, pause=None, clk=None):
        import cocotb

        self.clk = clk if clk is not None else dut.clk
        self.data = getattr(dut, f"{prefix}_tdata")
        self.valid = getattr(dut, f"{prefix}_tvalid")
        self.ready = getattr(dut, f"{prefix}_tready")
        self.last = getattr(dut, f"{prefix}_tlast", None)
        self.queue: deque = deque()
        self.pause = pause
        self.sent = 0
        self.valid.value = 0
        cocotb.start_soon(self._run())

    def send(self, words, last=None):
        """Queue beats; ``last`` (optional list of bools) drives ``<prefix>_tlast``."""
        words = list(words)
        last = list(last) if last is not None else [False] * len(words)
        self.queue.extend(zip(words, last))

    @property
    def idle(self) -> bool:
        return not self.queue and not int(self.valid.value)

    async def _run(self):
        from cocotb.triggers import RisingEdge

        driving = False
        while True:
            await RisingEdge(self.clk)
            if driving and int(self.ready.value):
                driving = False
                self.sent += 1
            if not driving:
                if self.queue and not (self.pause is not None and next(self.pause)):
                    word, last = self.queue.popleft()
                    self.data.value = int(word)
                    if self.last is not None:
                        self.last.value = int(bool(last))
                    self.valid.value = 1
                    driving = True
                else:
                    self.valid.value = 0


class Sink:
    """Collects beats of ``<prefix>_tdata`` when valid && ready; drives ``<prefix>_tready``
    low when ``pause`` yields True (backpressure)."""

    def __init__(self, dut, prefix: str, pause=None, clk=None):
        import cocotb

        self.clk = clk if clk is not None else dut.clk
        self.data = getattr(dut, f"{prefix}_tdata")
        self.valid = getattr(dut, f"{prefix}_tvalid")
        self.ready = getattr(dut, f"{prefix}_tready")
        self.last = getattr(dut, f"{prefix}_tlast", None)
        self.pause = pause
        self.beats: list[int] = []
        self.lasts: list[int] = []
        self.times: list[int] = []  # cycle index of each beat
        self.cycle = 0
        self.ready.value = 0
        cocotb.start_soon(self._run())

    async def _run(self):
        from cocotb.triggers import RisingEdge

        while True:
            await RisingEdge(self.clk)
            self.cycle += 1
            if int(self.valid.value) and int(self.ready.value):
                self.beats.append(self.data.value.to_unsigned())
                self.times.append(self.cycle)
                if self.last is not None:
                    self.lasts.append(int(self.last.value))
            self.ready.value = 0 if (self.pause is not None and next(self.pause)) else 1


class MultiSink:
    """Like ``Sink`` for N consumers sharing one ``<prefix>_tdata`` with vector
    ``<prefix>_tvalid[N-1:0]`` / ``<prefix>_tready[N-1:0]`` (the fork block)."""

    def __init__(self, dut, prefix: str, n: int, pauses_list, clk=None):
        import cocotb

        self.clk = clk if clk is not None else dut.clk
        self.data = getattr(dut, f"{prefix}_tdata")
        self.valid = getattr(dut, f"{prefix}_tvalid")
        self.ready = getattr(dut, f"{prefix}_tready")
        self.n = n
        self.pauses = list(pauses_list)
        self.beats: list[list[int]] = [[] for _ in range(n)]
        self.ready.value = 0
        cocotb.start_soon(self._run())

    async def _run(self):
        from cocotb.triggers import RisingEdge

        while True:
            await RisingEdge(self.clk)
            v = self.valid.value.to_unsigned()
            r = self.ready.value.to_unsigned()
            if v & r:
                d = self.data.value.to_unsigned()
                for i in range(self.n):
                    if (v & r) >> i & 1:
                        self.beats[i].append(d)
            word = 0
            for i in range(self.n):
                if not next(self.pauses[i]):
                    word |= 1 << i
            self.ready.value = word


async def wait_until(dut, cond, max_cycles: int, what: str = "condition"):
    """Wait (on rising edges of dut.clk) until ``cond()`` is true; fail after ``max_cycles``."""
    from cocotb.triggers import RisingEdge

    for _ in range(max_cycles):
        if cond():
            return
        await RisingEdge(dut.clk)
    raise AssertionError(f"timeout after {max_cycles} cycles waiting for {what}")


# --------------------------------------------------------------------------- packing

def pack(values, width: int) -> int:
    """Ints (two's complement allowed) -> one word, value i at bits [i*width, (i+1)*width)."""
    mask = (1 << width) - 1
    word = 0
    for i, v in enumerate(np.asarray(values, dtype=np.int64).ravel().tolist()):
        word |= (int(v) & mask) << (i * width)
    return word


def unpack(word: int, n: int, width: int, signed: bool) -> np.ndarray:
    mask = (1 << width) - 1
    vals = [(int(word) >> (i * width)) & mask for i in range(n)]
    if signed:
        vals = [v - (1 << width) if v >> (width - 1) else v for v in vals]
    return np.asarray(vals, dtype=np.int64)


def rand_ints(rng: np.random.Generator, shape, width: int, signed: bool) -> np.ndarray:
    lo, hi = (-(1 << (width - 1)), 1 << (width - 1)) if signed else (0, 1 << width)
    return rng.integers(lo, hi, size=shape, dtype=np.int64)


def windows_ref(frame: np.ndarray, kernel, stride, pad) -> np.ndarray:
    """(H, W, C) -> (Hout, Wout, KH*KW*C) windows in (ky, kx, c) order, zero padding."""
    kh, kw = kernel
    sh, sw = stride
    pt, pb, pl, pr = pad
    x = np.pad(frame, ((pt, pb), (pl, pr), (0, 0)))
    hout = (x.shape[0] - kh) // sh + 1
    wout = (x.shape[1] - kw) // sw + 1
    out = np.empty((hout, wout, kh * kw * frame.shape[2]), dtype=np.int64)
    for oy in range(hout):
        for ox in range(wout):
            out[oy, ox] = x[oy * sh:oy * sh + kh, ox * sw:ox * sw + kw, :].reshape(-1)
    return out


def compare(got: list[np.ndarray], exp: list[np.ndarray], what: str = "beat"):
    assert len(got) == len(exp), f"got {len(got)} {what}s, expected {len(exp)}"
    for i, (g, e) in enumerate(zip(got, exp)):
        if not np.array_equal(np.asarray(g), np.asarray(e)):
            raise AssertionError(f"{what} {i}: got {np.asarray(g).tolist()} "
                                 f"expected {np.asarray(e).tolist()}")
