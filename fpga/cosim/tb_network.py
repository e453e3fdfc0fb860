"""cocotb test of a whole generated network (run by fpga.cosim.runner, not by pytest directly).

Reads frames (raw ints) from $FPGA_COSIM_IN (.npy), streams them back to back through s_axis
with random valid gaps, receives every frame's scores on m_axis under random ready
backpressure, and writes the raw outputs and cycle counts to $FPGA_COSIM_OUT (.npz). With
$FPGA_COSIM_WEIGHTS (a .npy of uint32 words: the RTL has the weight-load port) the image is first
written through s_axi_ctrl (cocotbext-axi AxiLiteMaster: CONTROL_WEIGHT_LOAD, then every word to
WLOAD_DATA, beats.CTRL_REGS), STATUS must then show the weights ready, and the design is reset
once more before the frames (a completed load survives the reset).
"""
from __future__ import annotations

import json
import logging
import os
import random

import numpy as np

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import (AxiLiteBus, AxiLiteMaster, AxiStreamBus, AxiStreamFrame,
                           AxiStreamSink, AxiStreamSource)

from fpga.beats import (CONTROL_WEIGHT_LOAD, CTRL_REGS, STATUS_WEIGHT_ERR, STATUS_WEIGHTS_READY,
                        pack_frame_bytes, unpack_scores_bytes)


async def load_weights(dut, clk, rst_n, image) -> int:
    """Write a weight image through s_axi_ctrl; returns STATUS once ready or rejected."""
    ctrl = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_ctrl"), clk, rst_n,
                         reset_active_level=False)
    ctrl.write_if.log.setLevel(logging.WARNING)
    ctrl.read_if.log.setLevel(logging.WARNING)
    await ctrl.write_dword(CTRL_REGS["control"], CONTROL_WEIGHT_LOAD)
    for word in image:
        await ctrl.write_dword(CTRL_REGS["wload_data"], int(word))
    for _ in range(10000):
        status = int(await ctrl.read_dword(CTRL_REGS["status"]))
        if status & (STATUS_WEIGHTS_READY | STATUS_WEIGHT_ERR):
            return status
    raise AssertionError("weights neither ready nor rejected after the image")


def pauses(probability: float, seed: int):
    rng = random.Random(seed)
    while True:
        yield probability > 0 and rng.random() < probability


@cocotb.test()
async def stream_frames(dut):
    cfg = json.loads(os.environ["FPGA_COSIM_CFG"])
    frames = np.load(os.environ["FPGA_COSIM_IN"])
    clk, rst_n = dut.ap_clk, dut.ap_rst_n
    cocotb.start_soon(Clock(clk, 10, unit="ns").start())
    source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), clk, rst_n, reset_active_level=False)
    sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), clk, rst_n, reset_active_level=False)
    for bus in (source, sink):  # they log every frame's bytes at INFO: megabytes a frame
        bus.log.setLevel(logging.WARNING)
    p = float(cfg["backpressure"])
    source.set_pause_generator(pauses(p, cfg["seed"]))
    sink.set_pause_generator(pauses(p, cfg["seed"] + 1))

    cycle = 0

    async def count():
        nonlocal cycle
        while True:
            await RisingEdge(clk)
            cycle += 1

    rst_n.value = 0
    await ClockCycles(clk, 5)
    rst_n.value = 1
    await ClockCycles(clk, 2)
    if os.environ.get("FPGA_COSIM_WEIGHTS"):
        status = await load_weights(dut, clk, rst_n, np.load(os.environ["FPGA_COSIM_WEIGHTS"]))
        assert status & STATUS_WEIGHTS_READY, f"weight image rejected: STATUS {status:#x}"
        rst_n.value = 0
        await ClockCycles(clk, 5)
        rst_n.value = 1
        await ClockCycles(clk, 2)
    cocotb.start_soon(count())

    packed = os.environ.get("FPGA_COSIM_BYTES")  # bytes packed by someone else (the driver)
    payloads = ([bytes(row) for row in np.load(packed)] if packed else
                [pack_frame_bytes(f, cfg["in_width"], cfg["channels"]) for f in frames])
    # optionally reset the design between two batches of frames (reset_after = frames in batch 1)
    split = cfg.get("reset_after") or len(payloads)
    batches = [payloads[:split], payloads[split:]]
    outputs, raw_out, done_at = [], [], []
    budget = cfg["max_cycles_per_frame"]
    for b, batch in enumerate(batches):
        if b and batch:
            rst_n.value = 0
            await ClockCycles(clk, 5)
            rst_n.value = 1
            await ClockCycles(clk, 2)
        for payload in batch:
            await source.send(AxiStreamFrame(payload))
        for _ in batch:
            i = len(outputs)
            rx = cocotb.start_soon(sink.recv())
            waited = 0
            while not rx.done():
                await ClockCycles(clk, 64)
                waited += 64
                if waited > budget:
                    raise AssertionError(f"no output for frame {i} after {budget} cycles (stall)")
            out = rx.result()
            raw_out.append(np.frombuffer(bytes(out.tdata), dtype=np.uint8))
            outputs.append(unpack_scores_bytes(bytes(out.tdata), cfg["out_width"],
                                               cfg["out_signed"]))
            done_at.append(cycle)
            with open(os.environ["FPGA_COSIM_PROGRESS"], "a") as progress:
                progress.write(f"{i}\n")  # frames done, for the caller's progress bar
    np.savez(os.environ["FPGA_COSIM_OUT"], outputs=np.array(outputs, dtype=np.int64),
             done_at=np.array(done_at, dtype=np.int64), out_bytes=np.stack(raw_out))
