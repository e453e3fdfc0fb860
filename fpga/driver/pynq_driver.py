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

With the open RTL (accel.json has "build_id"), the accelerator's AXI4-Lite registers
(``beats.CTRL_REGS``) are used too: at start-up the build ID must be the model's and the
weights ready; after every batch the frame counters must have moved by the batch and no tlast
error may be flagged, else the driver soft-resets the accelerator (clearing a misframed stream)
and raises ``AcceleratorError`` with what it saw; a DMA timeout soft-resets it as well, so the
next batch starts clean.

With the weight-load port (accel.json "weights": "load"), the accelerator refuses input until it
has weights: at start-up the driver builds the image from ``weights.npz`` next to accel.json
(or the ``weights=`` file: raw integers "<layer>/w", "<layer>/b", any set of the model's shapes
and formats) with ``beats.weight_image`` and writes it through the registers
(``Controller.load_weights``), then checks that the weights are ready.
``Accelerator.load_weights(path)`` swaps in another weight set later, without a new bitstream.
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


class AcceleratorError(RuntimeError):
    """The accelerator's status after a batch was wrong (it has been soft-reset)."""


class Controller:
    """The control/status registers (beats.CTRL_REGS) through any object with
    ``read(offset) -> int`` and ``write(offset, value)``: pynq's DefaultIP/MMIO on the board,
    a simulated AXI4-Lite master in the tests."""

    MASK = 0xFFFFFFFF

    def __init__(self, regs, soft_reset_polls: int = 1000):
        self.regs = regs
        self.soft_reset_polls = soft_reset_polls

    def read(self, name: str) -> int:
        return int(self.regs.read(beats.CTRL_REGS[name])) & self.MASK

    def status(self) -> dict:
        s = self.read("status")
        return {"tlast_err": bool(s & beats.STATUS_TLAST_ERR),
                "weights_ready": bool(s & beats.STATUS_WEIGHTS_READY),
                "in_soft_reset": bool(s & beats.STATUS_SOFT_RESET),
                "frames_in": self.read("frames_in"), "frames_out": self.read("frames_out"),
                "tlast_errs": self.read("tlast_errs")}

    def load_weights(self, image, polls: int = 1000) -> None:
        """Write a weight image (beats.weight_image: uint32 words) through WLOAD_DATA; returns
        once STATUS shows the weights ready, ValueError when the accelerator rejects the
        image (wrong model, size or checksum) or never finishes."""
        image = np.asarray(image, dtype=np.uint32)
        want = self.read("wload_words")
        if want == 0:
            raise ValueError("this bitstream has no weight-load port (its weights are in the "
                             "bitstream)")
        if len(image) != want:
            raise ValueError(f"the weight image has {len(image)} words, the accelerator takes "
                             f"{want}")
        self.regs.write(beats.CTRL_REGS["control"], beats.CONTROL_WEIGHT_LOAD)
        data = beats.CTRL_REGS["wload_data"]
        for word in image.tolist():
            self.regs.write(data, word)
        for _ in range(polls):
            s = self.read("status")
            if s & beats.STATUS_WEIGHT_ERR:
                raise ValueError(f"the accelerator rejected the weight image after "
                                 f"{self.read('wload_count')} words (wrong model build ID, "
                                 f"size or checksum)")
            if s & beats.STATUS_WEIGHTS_READY:
                return
        raise ValueError("the accelerator did not report its weights ready after the image")

    def check_build(self, build_id: int, weights: bool = True) -> None:
        """The bitstream must carry this model (ValueError otherwise) and, with ``weights``,
        have its weights."""
        version = self.read("map_version")
        if version != beats.CTRL_MAP_VERSION:
            raise ValueError(f"control register map version {version}, this driver knows "
                             f"{beats.CTRL_MAP_VERSION}: wrong bitstream or driver")
        have = self.read("build_id")
        if have != int(build_id) & self.MASK:
            raise ValueError(f"the bitstream's build ID is {have:#010x}, accel.json's "
                             f"{int(build_id):#010x}: the loaded bitstream is another model")
        if weights and not self.status()["weights_ready"]:
            raise ValueError("the accelerator reports its weights not ready")

    def soft_reset(self) -> None:
        """Clear the datapath (a misframed or stalled stream); waits until it is out of reset."""
        self.regs.write(beats.CTRL_REGS["control"], beats.CONTROL_SOFT_RESET)
        for _ in range(self.soft_reset_polls):
            if not self.status()["in_soft_reset"]:
                return
        raise TimeoutError("the accelerator did not leave its soft reset")

    def check_batch(self, before: dict, frames: int):
        """After a batch of ``frames``: None when exactly that many frames went in and came out
        with no framing error; else soft-reset the accelerator and return what was wrong."""
        st = self.status()
        took = (st["frames_in"] - before["frames_in"]) & self.MASK
        gave = (st["frames_out"] - before["frames_out"]) & self.MASK
        problems = []
        if st["tlast_err"]:
            problems.append(f"{st['tlast_errs']} frame(s) with a misplaced tlast")
        if took != frames or gave != frames:
            problems.append(f"{took} frames in and {gave} out for a batch of {frames}")
        if not problems:
            return None
        self.soft_reset()
        return {**st, "frames_taken": took, "frames_given": gave, "problems": problems}


def weight_image_from(path, meta) -> np.ndarray:
    """The load port's image of a weights.npz for this accelerator (accel.json)."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    return beats.weight_image(meta["weight_load"]["layers"], arrays, meta["build_id"])


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

    def __init__(self, bitfile, meta=None, download=True, timeout=10.0, weights=None):
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
        self.ctrl = None
        self.here = os.path.dirname(os.path.abspath(bitfile))
        if meta.get("build_id") is not None:      # the open RTL: control/status registers
            self.ctrl = Controller(getattr(self.overlay, meta.get("ctrl", "accel")))
            load = meta.get("weights") == "load"
            self.ctrl.check_build(meta["build_id"], weights=not load)
            if load:
                self.load_weights(weights or os.path.join(
                    self.here, meta["weight_load"].get("weights_file", "weights.npz")))

    def load_weights(self, path) -> None:
        """Load a weights.npz ("<layer>/w", "<layer>/b" raw integers) through the weight-load
        port (accel.json "weights": "load")."""
        if self.ctrl is None or self.meta.get("weights") != "load":
            raise ValueError("this accelerator has its weights in the bitstream")
        self.ctrl.load_weights(weight_image_from(path, self.meta))

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
            before = self.ctrl.status() if self.ctrl else None
            start = time.perf_counter()
            try:
                send.transfer(inbuf[0])
                for i in range(n):
                    recv.transfer(outbuf[i])
                    self._wait(send, f"send of frame {i}", time.perf_counter() + self.timeout)
                    if i + 1 < n:
                        send.transfer(inbuf[i + 1])
                    self._wait(recv, f"receive of frame {i}", time.perf_counter() + self.timeout)
            except TimeoutError:
                if self.ctrl:                      # clear the half-sent frame for the next batch
                    self.ctrl.soft_reset()
                raise
            self.seconds = time.perf_counter() - start
            if self.ctrl:
                bad = self.ctrl.check_batch(before, n)
                if bad:
                    raise AcceleratorError("accelerator status after the batch: "
                                           + "; ".join(bad["problems"])
                                           + " (soft reset done; the scores are not trusted)")
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
    except (ValueError, TimeoutError, OSError, ImportError, AcceleratorError) as e:
        print(f"pynq_driver: error: {e}", file=sys.stderr)
        return 1
    np.save(args.outputs, scores)
    print("FPGA-RESULT: " + json.dumps({
        "frames": acc.frames, "seconds": acc.seconds, "fps": acc.fps,
        "ms_per_frame": 1000.0 * acc.seconds / max(acc.frames, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
