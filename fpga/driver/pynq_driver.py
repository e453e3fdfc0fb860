"""Board driver for the accelerator: runs ON the board (PYNQ), self-contained.

Copied to the board by ``fpga flash --pynq`` together with ``beats.py`` (the very packing code
the testbenches use), the ``.bit``/``.hwh`` pair and ``accel.json`` (stream format). Needs only
numpy and pynq; pynq is imported when an Accelerator is made, so the module also imports on a
host (``fpga run`` uses ``check_inputs``).

    from pynq_driver import Accelerator
    acc = Accelerator("fakenet.bit")          # reads accel.json next to the .bit
    scores = acc.predict(x_raw)               # (N, H, W, C) raw ints -> (N, classes) raw ints
    print(acc.fps, acc.seconds)

or from a shell on the board (what ``fpga run`` does):

    python3 pynq_driver.py --inputs x.npy --outputs y.npy

Each frame is one MM2S transfer (the DMA raises tlast on its last pixel) and one S2MM transfer
of ``classes`` 32-bit beats; the next frame is sent while the current one's scores come back.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

try:                      # in the fpga package (host, tests)
    from fpga import beats
except ImportError:       # on the board: beats.py copied next to this file
    import beats

META_FILE = "accel.json"


def load_meta(path) -> dict:
    with open(path) as fh:
        return json.load(fh)


def check_inputs(x, meta) -> np.ndarray:
    """Raw integer frames as (N, H, W, C) int64; ValueError with a one-line reason if not."""
    x = np.asarray(x)
    shape = (meta["height"], meta["width"], meta["channels"])
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or tuple(x.shape[1:]) != shape:
        raise ValueError(f"inputs must be (N, {', '.join(map(str, shape))}) raw integers, "
                         f"got shape {tuple(np.shape(x))}")
    if x.shape[0] == 0:
        raise ValueError("inputs hold no frame")
    if not np.issubdtype(x.dtype, np.integer):
        if not np.issubdtype(x.dtype, np.floating) or not np.all(np.floor(x) == x):
            raise ValueError(f"inputs must be raw integers of the input format, got {x.dtype}")
    x = x.astype(np.int64)
    w = meta["in_width"]
    lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if meta["in_signed"] else (0, (1 << w) - 1)
    if x.min() < lo or x.max() > hi:
        raise ValueError(f"input values {x.min()}..{x.max()} do not fit the {w}-bit "
                         f"{'signed' if meta['in_signed'] else 'unsigned'} input format "
                         f"({lo}..{hi})")
    return x


def pack_frames(x, meta) -> np.ndarray:
    """(N, H, W, C) raw ints -> (N, frame_bytes) uint8, exactly the bytes MM2S sends."""
    rows = [np.frombuffer(beats.beats_to_bytes(beats.pack_pixels(f, meta["in_width"]),
                                               meta["in_tdata_bits"]), dtype=np.uint8)
            for f in x]
    return np.stack(rows)


def unpack_scores(raw: np.ndarray, meta) -> np.ndarray:
    """(N, classes*4) uint8 from S2MM -> (N, classes) raw ints of the output format."""
    return np.stack([beats.unpack_scores_bytes(bytes(r), meta["out_width"], meta["out_signed"])
                     for r in raw])


class Accelerator:
    """The accelerator behind an AXI DMA (simple mode) in a PYNQ overlay."""

    def __init__(self, bitfile, meta=None, download=True, timeout=10.0):
        from pynq import Overlay, allocate   # only on the board

        if meta is None:
            meta = load_meta(os.path.join(os.path.dirname(os.path.abspath(bitfile)), META_FILE))
        self.meta = meta
        self.timeout = float(timeout)
        self.overlay = Overlay(bitfile, download=download)
        self.dma = getattr(self.overlay, meta["dma"])
        self._allocate = allocate
        self.frame_bytes = meta["height"] * meta["width"] * meta["in_tdata_bits"] // 8
        self.score_bytes = meta["classes"] * meta["out_tdata_bits"] // 8
        self.seconds = 0.0
        self.frames = 0

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0

    def _wait(self, channel, what, deadline):
        while not channel.idle:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"DMA {what} did not finish within {self.timeout:g} s "
                                   f"(accelerator stalled, or wrong bitstream loaded?)")
        channel.wait()   # returns at once when idle; raises on DMA error bits

    def predict(self, x_raw) -> np.ndarray:
        x = check_inputs(x_raw, self.meta)
        n = x.shape[0]
        inbuf = self._allocate(shape=(n, self.frame_bytes), dtype=np.uint8)
        outbuf = self._allocate(shape=(n, self.score_bytes), dtype=np.uint8)
        try:
            inbuf[:] = pack_frames(x, self.meta)
            inbuf.flush()
            send, recv = self.dma.sendchannel, self.dma.recvchannel
            start = time.perf_counter()
            send.transfer(inbuf[0])
            for i in range(n):
                recv.transfer(outbuf[i])
                self._wait(send, f"send of frame {i}", time.perf_counter() + self.timeout)
                if i + 1 < n:
                    send.transfer(inbuf[i + 1])
                self._wait(recv, f"receive of frame {i}", time.perf_counter() + self.timeout)
            self.seconds = time.perf_counter() - start
            self.frames = n
            outbuf.invalidate()
            return unpack_scores(np.asarray(outbuf), self.meta)
        finally:
            for buf in (inbuf, outbuf):
                if hasattr(buf, "freebuffer"):
                    buf.freebuffer()


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Run frames through the accelerator on this board.")
    ap.add_argument("--meta", default=os.path.join(here, META_FILE), help="accel.json")
    ap.add_argument("--bitfile", help="overlay .bit (default: the one named in accel.json)")
    ap.add_argument("--inputs", required=True, help=".npy of raw ints, (N, H, W, C)")
    ap.add_argument("--outputs", required=True, help=".npy to write (N, classes) raw ints to")
    ap.add_argument("--no-download", action="store_true",
                    help="the bitstream is already loaded")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per DMA transfer")
    args = ap.parse_args(argv)
    meta = load_meta(args.meta)
    bitfile = args.bitfile or os.path.join(os.path.dirname(os.path.abspath(args.meta)),
                                           meta["bitfile"])
    try:
        x = check_inputs(np.load(args.inputs), meta)
        acc = Accelerator(bitfile, meta, download=not args.no_download, timeout=args.timeout)
        scores = acc.predict(x)
    except (ValueError, TimeoutError, OSError, ImportError) as e:
        print(f"pynq_driver: error: {e}", file=sys.stderr)
        return 1
    np.save(args.outputs, scores)
    print("FPGA-RESULT: " + json.dumps({
        "frames": acc.frames, "seconds": acc.seconds, "fps": acc.fps,
        "ms_per_frame": 1000.0 * acc.seconds / max(acc.frames, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
