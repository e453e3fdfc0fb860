"""cocotb test of the AXI4-Lite control/status registers on a whole generated network (run by
fpga.cosim.runner.run_testbench; tests/test_ctrl_regs.py checks what it records).

s_axis is driven beat by beat here (so that a frame can stop half way, as when a DMA transfer is
cut short, or carry an early tlast); m_axis is a cocotbext-axi sink, the registers are read and
written with cocotbext-axi's AxiLiteMaster at the offsets of fpga.beats.CTRL_REGS.
Frames ($FPGA_COSIM_IN): 5 raw-integer frames. The sequence, with every register read recorded:
  0  frame 0, whole                                   -> scores 0
  1  the first half of frame 1, no tlast, then a soft reset (nothing may come out of it)
  2  frame 2, whole                                   -> scores 2
  3  the first half of frame 3 with tlast (early)     -> scores of frame 3 with its second
                                                         half zero (axis_in pads it)
  4  soft reset (clears the tlast error), clear counters, frame 4 -> scores 4
A second test runs the board driver's own Controller (fpga/driver/pynq_driver.py) against the
RTL, its register reads and writes bridged into the simulation: build check, a clean batch, a
transfer cut short and the soft reset the driver does after a DMA timeout, a misframed batch
that check_batch must catch (and soft-reset), and a clean batch after it.
The results of both ($FPGA_COSIM_OUT, JSON) are under "ctrl" and "driver".
"""
from __future__ import annotations

import json
import logging
import os

import numpy as np

import cocotb
from cocotb.clock import Clock
from cocotb.task import bridge, resume
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster, AxiStreamBus, AxiStreamSink

from fpga.beats import (CONTROL_CLEAR_COUNTS, CONTROL_SOFT_RESET, CTRL_REGS, pack_pixels,
                        unpack_scores_bytes)


class Bench:
    """Clock, reset, the m_axis sink, the AXI4-Lite master and a beat-level s_axis driver."""

    def __init__(self, dut):
        self.dut = dut
        self.cfg = json.loads(os.environ["FPGA_COSIM_CFG"])
        self.frames = np.load(os.environ["FPGA_COSIM_IN"])
        self.clk, rst_n = dut.ap_clk, dut.ap_rst_n
        cocotb.start_soon(Clock(self.clk, 10, unit="ns").start())
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), self.clk, rst_n,
                                  reset_active_level=False)
        self.sink.log.setLevel(logging.WARNING)
        self.ctrl = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_ctrl"), self.clk, rst_n,
                                  reset_active_level=False)
        self.ctrl.write_if.log.setLevel(logging.WARNING)
        self.ctrl.read_if.log.setLevel(logging.WARNING)
        self.outputs = []

    async def reset(self):
        dut = self.dut
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tlast.value = 0
        dut.s_axis_tdata.value = 0
        dut.ap_rst_n.value = 0
        await ClockCycles(self.clk, 5)
        dut.ap_rst_n.value = 1
        await ClockCycles(self.clk, 4)

    def words(self, i):
        return pack_pixels(self.frames[i], self.cfg["in_width"])

    async def send(self, words, last_at):
        """Beats in order, tlast on index ``last_at`` (None: none); waits for each handshake."""
        dut = self.dut
        for i, w in enumerate(words):
            dut.s_axis_tdata.value = w
            dut.s_axis_tvalid.value = 1
            dut.s_axis_tlast.value = int(i == last_at)
            while True:
                await ReadOnly()
                ready = bool(dut.s_axis_tready.value)
                await RisingEdge(self.clk)
                if ready:
                    break
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tlast.value = 0

    async def scores(self, tag):
        rx = cocotb.start_soon(self.sink.recv())
        waited = 0
        while not rx.done():
            await ClockCycles(self.clk, 64)
            waited += 64
            assert waited <= self.cfg["max_cycles_per_frame"], f"no output for {tag}"
        out = rx.result()
        self.outputs.append([tag, unpack_scores_bytes(bytes(out.tdata), self.cfg["out_width"],
                                                      self.cfg["out_signed"]).tolist()])

    def driver(self):
        """The board driver's Controller on this bench's AXI4-Lite master: its blocking
        read/write (what pynq's DefaultIP gives it) bridged into the simulation. Call its
        methods from the test with ``await bridge(fn)(...)``."""
        from fpga.driver.pynq_driver import Controller
        ctrl = self.ctrl

        class Regs:
            read = staticmethod(resume(ctrl.read_dword))

            @staticmethod
            @resume
            async def write(offset, value):
                await ctrl.write_dword(offset, value)

        return Controller(Regs())


def outcome(fn, *args):
    """"ok", or the message of the ValueError the driver raised (run it through bridge)."""
    try:
        fn(*args)
        return "ok"
    except ValueError as e:
        return str(e)


def save(key, value):
    path = os.environ["FPGA_COSIM_OUT"]
    data = {}
    if os.path.exists(path):
        with open(path) as fh:
            data = json.load(fh)
    data[key] = value
    with open(path, "w") as fh:
        json.dump(data, fh)


@cocotb.test()
async def control_and_status(dut):
    b = Bench(dut)
    await b.reset()
    ctrl, clk = b.ctrl, b.clk
    log = {"reads": [], "outputs": b.outputs, "stray_outputs": 0}

    async def read(name, tag):
        v = (await ctrl.read_dword(CTRL_REGS[name]))
        log["reads"].append([tag, name, int(v)])
        return int(v)

    send, scores, words = b.send, b.scores, b.words
    for name in ("map_version", "build_id", "status", "frames_in", "frames_out", "tlast_errs"):
        await read(name, "start")
    await ctrl.write_dword(CTRL_REGS["build_id"], 0x12345678)        # read-only: ignored
    await read("build_id", "after write to RO")

    w0 = words(0)
    await send(w0, len(w0) - 1)
    await scores("frame 0")
    for name in ("frames_in", "frames_out", "status"):
        await read(name, "after frame 0")

    w1 = words(1)
    await send(w1[:len(w1) // 2], None)                             # cut short, no tlast
    await ClockCycles(clk, 200)
    await read("status", "half frame 1")
    await ctrl.write_dword(CTRL_REGS["control"], CONTROL_SOFT_RESET)
    await read("status", "in soft reset")
    await ClockCycles(clk, 40)
    await read("status", "after soft reset 1")

    w2 = words(2)
    await send(w2, len(w2) - 1)
    await scores("frame 2")
    for name in ("frames_in", "frames_out", "status", "tlast_errs"):
        await read(name, "after frame 2")

    w3 = words(3)
    await send(w3[:len(w3) // 2], len(w3) // 2 - 1)                 # early tlast
    await scores("frame 3 short")
    for name in ("status", "tlast_errs", "frames_in", "frames_out"):
        await read(name, "after short frame 3")

    await ctrl.write_dword(CTRL_REGS["control"], CONTROL_SOFT_RESET)
    await ClockCycles(clk, 40)
    for name in ("status", "tlast_errs", "frames_in", "frames_out"):
        await read(name, "after soft reset 2")
    await ctrl.write_dword(CTRL_REGS["control"], CONTROL_CLEAR_COUNTS)
    await read("frames_in", "after clear")

    w4 = words(4)
    await send(w4, len(w4) - 1)
    await scores("frame 4")
    await ClockCycles(clk, 2000)
    log["stray_outputs"] = b.sink.count()                           # anything left over
    for name in ("frames_in", "frames_out", "status"):
        await read(name, "end")
    save("ctrl", log)


@cocotb.test()
async def driver_recovery(dut):
    b = Bench(dut)
    await b.reset()
    drv = b.driver()
    log = {"outputs": b.outputs}
    log["build_right"] = await bridge(outcome)(drv.check_build, b.cfg["build_id"])
    log["build_wrong"] = await bridge(outcome)(drv.check_build, b.cfg["build_id"] ^ 1)
    before = await bridge(drv.status)()
    w = b.words(0)
    await b.send(w, len(w) - 1)
    await b.scores("batch 1")
    log["batch 1"] = await bridge(drv.check_batch)(before, 1)
    # a transfer cut short (the DMA timed out): the driver soft-resets
    w = b.words(1)
    await b.send(w[:len(w) // 3], None)
    await ClockCycles(b.clk, 100)
    await bridge(drv.soft_reset)()
    log["after timeout reset"] = await bridge(drv.status)()
    before = await bridge(drv.status)()
    w = b.words(2)
    await b.send(w, len(w) - 1)
    await b.scores("batch 2")
    log["batch 2"] = await bridge(drv.check_batch)(before, 1)
    # a misframed batch: tlast early; check_batch reports it and soft-resets
    before = await bridge(drv.status)()
    w = b.words(3)
    await b.send(w[:len(w) // 2], len(w) // 2 - 1)
    await b.scores("batch 3 short")
    log["batch 3"] = await bridge(drv.check_batch)(before, 1)
    log["after batch 3"] = await bridge(drv.status)()
    before = await bridge(drv.status)()
    w = b.words(4)
    await b.send(w, len(w) - 1)
    await b.scores("batch 4")
    log["batch 4"] = await bridge(drv.check_batch)(before, 1)
    await ClockCycles(b.clk, 2000)
    log["stray_outputs"] = b.sink.count()
    save("driver", log)
