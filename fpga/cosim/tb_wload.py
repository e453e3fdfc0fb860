"""cocotb test of the weight-load port on a whole generated network (RTL made with 'fpga rtl
--weights load'; run by fpga.cosim.runner.run_testbench, tests/test_weight_load.py checks what it
records). Registers through cocotbext-axi's AxiLiteMaster (fpga.beats.CTRL_REGS); the loads of
good images go through the board driver's own Controller.load_weights, its register accesses
bridged into the simulation.

cfg: "image_a", "image_b" (.npy uint32 weight images, beats.weight_image, of two weight sets),
"build_id". Frames ($FPGA_COSIM_IN): 4 raw-integer frames. The sequence, every STATUS read and
every s_axis_tready seen recorded:
  power-up: STATUS, and a beat offered on s_axis for 300 cycles (must not be taken)
  bad images, each followed by STATUS and the offered beat: wrong magic, wrong build ID, wrong
    size word, a wrong checksum, an image cut short (STATUS shows the load in progress)
  image A (driver) -> frame 0; ap_rst_n reset (the weights survive) -> frame 1;
  soft reset -> frame 2 (still A); image B (driver) -> frame 3, then frame 0 again (B)
Results ($FPGA_COSIM_OUT, JSON) under "wload": "status" [[tag, value]], "taken" {tag: beats
taken while refused}, "outputs" [[tag, scores]], "driver" {tag: "ok" or the error}, counts.
"""
from __future__ import annotations

import numpy as np

import cocotb
from cocotb.task import bridge
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from fpga.beats import CONTROL_SOFT_RESET, CONTROL_WEIGHT_LOAD, CTRL_REGS
from fpga.cosim.tb_ctrl import Bench, outcome, save


@cocotb.test()
async def weight_load_protocol(dut):
    b = Bench(dut)
    await b.reset()
    ctrl, clk = b.ctrl, b.clk
    image_a = np.load(b.cfg["image_a"]).astype(np.uint32)
    image_b = np.load(b.cfg["image_b"]).astype(np.uint32)
    log = {"status": [], "taken": {}, "outputs": b.outputs, "driver": {}, "counts": {}}

    async def status(tag):
        v = int(await ctrl.read_dword(CTRL_REGS["status"]))
        log["status"].append([tag, v])
        return v

    async def refused(tag, cycles=300):
        """Offer the first beat of frame 0 for ``cycles``; record how often it was taken."""
        dut.s_axis_tdata.value = b.words(0)[0]
        dut.s_axis_tvalid.value = 1
        dut.s_axis_tlast.value = 0
        taken = 0
        for _ in range(cycles):
            await ReadOnly()
            taken += int(dut.s_axis_tready.value)
            await RisingEdge(clk)
        dut.s_axis_tvalid.value = 0
        log["taken"][tag] = taken

    async def raw_load(words):
        await ctrl.write_dword(CTRL_REGS["control"], CONTROL_WEIGHT_LOAD)
        for w in words:
            await ctrl.write_dword(CTRL_REGS["wload_data"], int(w))
        await ClockCycles(clk, 64)

    async def frame(i, tag):
        w = b.words(i)
        await b.send(w, len(w) - 1)
        await b.scores(tag)

    await status("power-up")
    await refused("power-up")
    log["counts"]["wload_words"] = int(await ctrl.read_dword(CTRL_REGS["wload_words"]))

    # (a bad header is rejected at once: the words after it are ignored, 16 of them are sent)
    bad = {"bad magic": [image_a[0] ^ 1, *image_a[1:16]],
           "bad build id": [image_a[0], image_a[1] ^ 0x80, *image_a[2:16]],
           "bad size": [image_a[0], image_a[1], image_a[2] + 1, *image_a[3:16]],
           "bad checksum": [*image_a[:-1], (int(image_a[-1]) + 1) & 0xFFFFFFFF],
           "cut short": image_a[:-5]}
    for tag, words in bad.items():
        await raw_load(words)
        await status(tag)
        await refused(tag, 100)
    log["counts"]["wload_count cut short"] = int(await ctrl.read_dword(CTRL_REGS["wload_count"]))

    drv = b.driver()

    log["driver"]["short image"] = await bridge(outcome)(drv.load_weights, image_a[:-1])
    log["driver"]["image A"] = await bridge(outcome)(drv.load_weights, image_a)
    await status("after A")
    log["counts"]["wload_count A"] = int(await ctrl.read_dword(CTRL_REGS["wload_count"]))
    await frame(0, "A frame 0")
    await b.reset()                                     # ap_rst_n: a completed load survives
    await status("A after reset")
    await frame(1, "A frame 1")
    await ctrl.write_dword(CTRL_REGS["control"], CONTROL_SOFT_RESET)
    await ClockCycles(clk, 40)
    await status("A after soft reset")
    await frame(2, "A frame 2")
    log["driver"]["image B"] = await bridge(outcome)(drv.load_weights, image_b)
    await status("after B")
    await frame(3, "B frame 3")
    await frame(0, "B frame 0")
    await ClockCycles(clk, 2000)
    log["counts"]["stray_outputs"] = b.sink.count()
    save("wload", log)
