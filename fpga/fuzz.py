"""Differential fuzzing over random SqueezeNet-like QKeras networks (``fpga fuzz``).

Each net is drawn from a seeded generator (``draw_spec``: the same seed and index give the
same ``NetSpec``), built directly with QKeras/Keras layers (``build_model``), converted with
hls4ml (``fpga.hls.convert``) and run three ways on the same raw-integer frames, every output
compared as integers with the numpy reference (``fpga.reference``):

  qkeras  the QKeras model itself: the tensor feeding the global average must be the exact
          fixed-point values the reference computes; the average is then taken exactly
          (float64 mean, truncated to the output format, which is how hls4ml rounds it) and
          QKeras' own float32 output must be that mean rounded to float32;
  csim    hls4ml's C simulation (``fpga.csim.CSim``);
  rtl     our Verilog in Verilator (``fpga.cosim.fast.simulate_fast``) under a random
          backpressure (0..0.9) drawn per net.

A failing net (a mismatch, or an exception in any stage) is shrunk (``shrink``): simpler
specs and fewer frames are tried, each kept only when the same stage still fails the same
way, and the reduced case is written to a folder (spec.json, model.h5, inputs.npy,
result.json, README.txt) that ``fpga fuzz --replay DIR`` re-runs.

What the generator varies: input 15..64 px (odd and even), 1..4 channels, input bits 4..8
(ufixed<b,0>); stem conv kernel 1/2/3/5/7, stride 1/2, padding valid/same; 0..3 Fire modules
(squeeze 1..8, expand1x1 and expand3x3 1..16 each, possibly different), max pools 3x3/2,
2x2/2, 2x2/1 and 3x3/3 placed between them while the map stays >= 1 pixel; bypass adds where the
widths match (re-quantised by a quantized_relu, or, sometimes, left as the exact wide sum);
dropout or not; weight bits 4..8 with 0..2 integer bits and activation bits 4..8 with
0..min(4, bits-1) integer bits, per net or per layer; 1..16 classes; random biases.

What it does not generate, because the tool does not support it (each is rejected by the
converter with a one-line FpgaError, or is outside what ``fpga.hls.precision`` documents):
  * expand1x1 and expand3x3 with different activation formats: their Concatenate needs one
    format on both inputs ("concatenated inputs have different formats");
  * padding='same' max pools ("max pooling needs padding='valid'");
  * max pools with more than two windows open per axis, i.e. pool > 2 x stride (3x3 stride 1):
    the RTL maxpool block supports PH <= 2*SH and PW <= 2*SW only (maxpool.v), and ``fpga
    rtl`` rejects them (blocks.maxpool_unsupported; before, it generated a design that hung);
  * bias quantizers with more fractional bits than the accumulator (the bias uses the
    kernel's quantizer here, whose fraction is always within the accumulator's);
  * activations other than quantized_relu (quantized_bits activations, plain ReLU), unsigned
    or alpha != 1 weight quantizers, dilation, convolutions without bias;
  * a network that does not end in conv 1x1 -> ReLU -> global average (the RTL needs one
    score vector).
"""
from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import sys
import time
import traceback
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from .errors import FpgaError

STAGES = ("qkeras", "csim", "rtl")
KERNELS = (1, 2, 3, 5, 7)
POOLS = ((3, 2), (2, 2), (2, 1), (3, 3))   # (pool, stride)
POOL_P = (0.45, 0.35, 0.1, 0.1)
W_BITS, A_BITS = (4, 8), (4, 8)     # inclusive ranges
MAX_SHRINK_ATTEMPTS = 30      # pipeline runs per failing net
MAX_SHRINK_SECONDS = 300      # and wall time per failing net
MAX_SHRUNK_NETS = 6           # failing nets of one run that get shrunk; later ones are saved as they are
# Cost caps of a drawn net (redrawn above them): hls4ml's C-sim at -O0 does ~1M MAC/s, and
# Verilator's -O0 model a few hundred thousand cycles/s.
MAX_MACS = 150_000
MAX_RTL_CYCLES = 40_000     # analytic frame time at the drawn lane budget, roughly
LANE_CHOICES = (None, 4, 8, 16, 32, 64)   # None: the board's DSP budget (fully parallel)


# --------------------------------------------------------------------------- the spec

@dataclass
class Quant:
    """One conv's quantisation: kernel/bias quantized_bits(w_bits, w_int, alpha=1) and the
    following quantized_relu(a_bits, a_int)."""
    w_bits: int = 8
    w_int: int = 0
    a_bits: int = 8
    a_int: int = 3


@dataclass
class Stem:
    filters: int
    kernel: int
    stride: int
    padding: str
    q: Quant


@dataclass
class Fire:
    squeeze: int
    e1: int
    e3: int
    sq_q: Quant
    e1_q: Quant          # expand1x1; its a_bits/a_int are shared with expand3x3 (Concatenate)
    e3_w: tuple          # expand3x3 (w_bits, w_int)
    bypass: bool = False
    bypass_act: tuple | None = None   # (a_bits, a_int) of the QActivation after the add, or None
    kind: str = "fire"


@dataclass
class Pool:
    pool: int
    stride: int
    kind: str = "pool"


@dataclass
class NetSpec:
    size: int
    channels: int
    in_bits: int
    stem: Stem
    body: list
    classes: int
    head: Quant
    dropout: float = 0.0          # 0: no Dropout layer
    backpressure: float = 0.0     # RTL stage: probability of a valid gap / ready drop
    weight_seed: int = 0          # Keras initialisers and biases
    frame_seed: int = 0           # random frames and RTL stalls
    lanes: int | None = None      # RTL MAC lane budget (folding); None: the board's DSPs

    # ---- serialisation
    def to_dict(self) -> dict:
        """Plain JSON types (tuples as lists): equal to its own JSON round trip."""
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, d: dict) -> "NetSpec":
        d = copy.deepcopy(d)
        st = d["stem"]
        stem = Stem(st["filters"], st["kernel"], st["stride"], st["padding"], Quant(**st["q"]))
        body = []
        for it in d["body"]:
            if it["kind"] == "pool":
                body.append(Pool(it["pool"], it["stride"]))
            else:
                body.append(Fire(it["squeeze"], it["e1"], it["e3"], Quant(**it["sq_q"]),
                                 Quant(**it["e1_q"]), tuple(it["e3_w"]), bool(it["bypass"]),
                                 tuple(it["bypass_act"]) if it.get("bypass_act") else None))
        return cls(d["size"], d["channels"], d["in_bits"], stem, body, d["classes"],
                   Quant(**d["head"]), d.get("dropout", 0.0), d.get("backpressure", 0.0),
                   d.get("weight_seed", 0), d.get("frame_seed", 0), d.get("lanes"))

    # ---- derived facts
    @property
    def fires(self) -> list:
        return [b for b in self.body if isinstance(b, Fire)]

    @property
    def pools(self) -> list:
        return [b for b in self.body if isinstance(b, Pool)]

    def shapes(self) -> list:
        """[(name, size, channels)] after the stem and after every body item; size < 1
        marks an impossible net."""
        s, st = self.size, self.stem
        s = -(-s // st.stride) if st.padding == "same" else (s - st.kernel) // st.stride + 1
        if st.padding == "valid" and self.size < st.kernel:
            s = 0
        out = [("stem", s, st.filters)]
        ch = st.filters
        for item in self.body:
            if isinstance(item, Pool):
                s = (s - item.pool) // item.stride + 1 if s >= item.pool else 0
            else:
                ch = item.e1 + item.e3
            out.append((item.kind, s, ch))
        return out

    def macs(self) -> int:
        """Multiply-accumulates per frame (what the C-sim and RTL simulations cost)."""
        st, ch = self.stem, self.channels
        sizes = self.shapes()
        total = sizes[0][1] ** 2 * st.kernel ** 2 * ch * st.filters
        ch = st.filters
        for item, (_, s, c) in zip(self.body, sizes[1:]):
            if isinstance(item, Fire):
                total += s * s * (ch * item.squeeze + item.squeeze * (item.e1 + 9 * item.e3))
            ch = c
        return total + sizes[-1][1] ** 2 * ch * self.classes

    def problem(self) -> str | None:
        """Why this spec cannot be built, or None."""
        ch = self.stem.filters
        for name, s, c in self.shapes():
            if s < 1:
                return f"the map shrinks below 1 pixel at {name}"
        for item in self.body:
            if isinstance(item, Fire):
                if item.bypass and item.e1 + item.e3 != ch:
                    return "bypass on a fire whose input and output widths differ"
                ch = item.e1 + item.e3
        for q in self.quants():
            if not (1 <= q.w_bits <= 16 and 0 <= q.w_int < q.w_bits
                    and 1 <= q.a_bits <= 16 and 0 <= q.a_int < q.a_bits):
                return f"bad quantiser {q}"
        return None

    def quants(self) -> list:
        qs = [self.stem.q]
        for f in self.fires:
            qs += [f.sq_q, f.e1_q, Quant(f.e3_w[0], f.e3_w[1], f.e1_q.a_bits, f.e1_q.a_int)]
        return qs + [self.head]

    def summary(self) -> str:
        st = self.stem
        parts = [f"{self.size}x{self.size}x{self.channels}/u{self.in_bits}",
                 f"stem {st.filters}c k{st.kernel}s{st.stride}{st.padding[0]}"]
        for it in self.body:
            if isinstance(it, Pool):
                parts.append(f"P{it.pool}/{it.stride}")
            else:
                by = "" if not it.bypass else ("+byp" if it.bypass_act else "+byp(noq)")
                parts.append(f"F{it.squeeze}-{it.e1}/{it.e3}{by}")
        if self.dropout:
            parts.append("drop")
        parts.append(f"{self.classes}cls")
        ws = sorted({q.w_bits for q in self.quants()})
        as_ = sorted({q.a_bits for q in self.quants()})
        parts.append(f"w{'/'.join(map(str, ws))} a{'/'.join(map(str, as_))} bp{self.backpressure:g} "
                     f"lanes {self.lanes or 'board'}")
        return " ".join(parts)


# --------------------------------------------------------------------------- the generator

def _quant(rng, base: Quant | None = None) -> Quant:
    if base is not None:
        return replace(base)
    wb = int(rng.integers(W_BITS[0], W_BITS[1] + 1))
    ab = int(rng.integers(A_BITS[0], A_BITS[1] + 1))
    return Quant(wb, int(rng.integers(0, 3)), ab, int(rng.integers(0, min(4, ab - 1) + 1)))


def _draw(rng) -> NetSpec:
    # smaller maps are likelier: they simulate faster and pool into the interesting tiny maps
    size = int(rng.integers(15, 33)) if rng.random() < 0.6 else int(rng.integers(33, 65))
    channels = int(rng.integers(1, 5))
    net_q = _quant(rng)
    per_layer = rng.random() < 0.5

    def q():
        return _quant(rng) if per_layer else replace(net_q)

    stem = Stem(int(rng.integers(1, 13)), int(rng.choice(KERNELS)), int(rng.choice([1, 2])),
                str(rng.choice(["valid", "same"])), q())
    body, ch = [], stem.filters
    n_fires = int(rng.choice([0, 1, 2, 3], p=[0.2, 0.35, 0.3, 0.15]))
    def pool():
        p, s = POOLS[int(rng.choice(len(POOLS), p=POOL_P))]
        return Pool(p, s)

    for i in range(n_fires):
        if rng.random() < 0.45:
            body.append(pool())
        squeeze = int(rng.integers(1, 9))
        if 2 <= ch <= 32 and rng.random() < 0.5:          # widths that allow a bypass
            e1 = int(rng.integers(max(1, ch - 16), min(16, ch - 1) + 1))
            e3 = ch - e1
        else:
            e1 = int(rng.integers(1, 17))
            e3 = e1 if rng.random() < 0.4 else int(rng.integers(1, 17))
        sq_q, e1_q, e3_q = q(), q(), q()
        bypass = e1 + e3 == ch and rng.random() < 0.8
        bypass_act = None
        if bypass and rng.random() < 0.8:
            bq = q()
            bypass_act = (bq.a_bits, bq.a_int)
        body.append(Fire(squeeze, e1, e3, sq_q, e1_q, (e3_q.w_bits, e3_q.w_int), bypass,
                         bypass_act))
        ch = e1 + e3
    if rng.random() < 0.4:
        body.append(pool())
    dropout = round(float(rng.uniform(0.1, 0.5)), 2) if rng.random() < 0.5 else 0.0
    lanes = LANE_CHOICES[int(rng.choice(len(LANE_CHOICES), p=[0.1, 0.15, 0.25, 0.2, 0.15, 0.15]))]
    return NetSpec(size, channels, int(rng.integers(4, 9)), stem, body, int(rng.integers(1, 17)),
                   q(), dropout, round(float(rng.uniform(0.0, 0.9)), 2),
                   int(rng.integers(0, 2 ** 31 - 1)), int(rng.integers(0, 2 ** 31 - 1)), lanes)


def draw_spec(seed: int, index: int) -> NetSpec:
    """The index-th net of a fuzz run with this seed (independent of how many nets run);
    specs whose map would shrink below one pixel are redrawn."""
    rng = np.random.default_rng([int(seed), int(index)])
    for _ in range(1000):
        spec = _draw(rng)
        if spec.problem() is None and spec.macs() <= MAX_MACS and (
                spec.lanes is None or spec.macs() / spec.lanes <= MAX_RTL_CYCLES):
            return spec
    raise RuntimeError("the generator keeps drawing impossible nets")  # pragma: no cover


# --------------------------------------------------------------------------- the model

def _wq(bits, integer) -> str:
    return f"quantized_bits({bits},{integer},alpha=1)"


def build_model(spec: NetSpec):
    """The QKeras model of ``spec``, He-initialised with random biases (seeded)."""
    import tensorflow as tf
    from qkeras import QActivation, QConv2D
    from tensorflow.keras import layers

    problem = spec.problem()
    if problem:
        raise ValueError(f"impossible net spec: {problem}")
    tf.keras.utils.set_random_seed(spec.weight_seed % (2 ** 31))

    def conv(x, filters, k, stride, pad, name, w, act):
        x = QConv2D(filters, k, strides=stride, padding=pad, kernel_quantizer=_wq(*w),
                    bias_quantizer=_wq(*w), kernel_initializer="he_uniform", name=name)(x)
        if act is None:
            return x
        return QActivation(f"quantized_relu({act[0]},{act[1]})", name=name + "_relu")(x)

    def wa(q):
        return (q.w_bits, q.w_int), (q.a_bits, q.a_int)

    inp = layers.Input((spec.size, spec.size, spec.channels), name="image")
    st = spec.stem
    x = conv(inp, st.filters, st.kernel, st.stride, st.padding, "stem", *wa(st.q))
    n_fire = n_pool = 0
    for item in spec.body:
        if isinstance(item, Pool):
            n_pool += 1
            x = layers.MaxPooling2D(item.pool, item.stride, padding="valid", name=f"pool{n_pool}")(x)
            continue
        n_fire += 1
        p = f"fire{n_fire}"
        s = conv(x, item.squeeze, 1, 1, "valid", f"{p}_squeeze", *wa(item.sq_q))
        w1, act = wa(item.e1_q)
        e1 = conv(s, item.e1, 1, 1, "valid", f"{p}_expand1x1", w1, act)
        e3 = conv(s, item.e3, 3, 1, "same", f"{p}_expand3x3", item.e3_w, act)
        y = layers.Concatenate(axis=-1, name=f"{p}_concat")([e1, e3])
        if item.bypass:
            y = layers.Add(name=f"{p}_bypass")([x, y])
            if item.bypass_act:
                y = QActivation("quantized_relu({},{})".format(*item.bypass_act),
                                name=f"{p}_bypass_relu")(y)
        x = y
    if spec.dropout:
        x = layers.Dropout(spec.dropout, name="dropout")(x)
    x = conv(x, spec.classes, 1, 1, "valid", "classifier", *wa(spec.head))
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    model = tf.keras.Model(inp, x, name="fuzz_net")
    rng = np.random.default_rng(spec.weight_seed)
    for layer in model.layers:
        if type(layer).__name__ == "QConv2D":
            layer.bias.assign(rng.uniform(-0.3, 0.3, layer.bias.shape).astype("float32"))
    return model


# --------------------------------------------------------------------------- the stages

def _quiet(_msg):
    pass


def _error_text(e: BaseException) -> str:
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {first[:300]}"


def _compare(got, ref) -> dict:
    got = np.asarray(got)
    if got.shape != ref.shape:
        return {"compared": int(ref.size), "mismatches": int(ref.size),
                "bad_frames": list(range(len(ref))),
                "note": f"output shape {got.shape}, expected {ref.shape}"}
    diff = got.astype(np.int64) != ref
    return {"compared": int(ref.size), "mismatches": int(diff.sum()),
            "bad_frames": [int(i) for i in np.flatnonzero(diff.any(axis=1))],
            "max_abs_diff": int(np.abs(got.astype(np.int64) - ref).max(initial=0))}


def qkeras_outputs(model, graph, x) -> tuple[np.ndarray, np.ndarray, int]:
    """The QKeras model's outputs as raw integers of the output format, its tensor before the
    global average as raw integers, and how many values were wrong in QKeras' own terms.

    Every QKeras tensor up to the average holds exact fixed-point values (float32 holds them
    exactly), so the tensor feeding the average must be raw integers of the IR layer before
    it; a value that is not counts as wrong. QKeras averages in float32, hls4ml truncates the
    mean to the output format, so the average is taken here in float64 (the sum is exact; the
    quotient's rounding error, 2**-53 relative, is far below its distance 1/(H*W) of a step to
    the next multiple of the output step) and floored; QKeras' own float32 output must equal
    that mean rounded to float32, else those outputs count as wrong too."""
    import tensorflow as tf
    gap = model.get_layer("gap")
    sub = tf.keras.Model(model.input, [gap.input, model.output])
    xf = tf.constant(x.astype(np.float64) * 2.0 ** -graph.input.out_fmt.frac, dtype=tf.float32)
    pre, out = (t.numpy() for t in sub(xf, training=False))   # eager: no predict() tracing
    pre = pre.astype(np.float64)
    before = graph[graph.output.inputs[0]]
    scaled = pre * 2.0 ** before.out_fmt.frac
    pre_raw = np.round(scaled).astype(np.int64)
    inexact = int((scaled != pre_raw).sum())
    mean = pre.mean(axis=(1, 2))
    frac = graph.output.out_fmt.frac
    got = np.floor(mean * 2.0 ** frac).astype(np.int64)
    float32_bad = int((out.reshape(mean.shape) != mean.astype(np.float32)).sum())
    return got, pre_raw, inexact + float32_bad


@dataclass
class Outcome:
    """What one pipeline run of a spec gave."""
    stages: dict = field(default_factory=dict)   # stage -> compare dict (or {"error": ...})
    error: dict | None = None                    # {"stage", "error", "traceback"} outside a stage
    frames: int = 0
    classes: int = 0
    seconds: dict = field(default_factory=dict)
    cpu: dict = field(default_factory=dict)      # CPU seconds (this process and its children)
    nonzero: float | None = None

    def failure(self) -> tuple[str, str] | None:
        """(stage, "mismatch" | "error") of the first failing stage, or None."""
        if self.error:
            return self.error["stage"], "error"
        for s in STAGES:
            r = self.stages.get(s)
            if r is None:
                continue
            if r.get("error"):
                return s, "error"
            if r["mismatches"]:
                return s, "mismatch"
        return None

    def signature(self):
        """The failure and, for an exception, its type: what a shrink step must keep."""
        f = self.failure()
        if f is None or f[1] != "error":
            return f
        text = self.error["error"] if self.error else self.stages[f[0]]["error"]
        return f + (text.split(":")[0],)

    def to_dict(self) -> dict:
        return {"stages": self.stages, "error": self.error, "frames": self.frames,
                "classes": self.classes, "seconds": self.seconds, "cpu_s": self.cpu,
                "nonzero_outputs": self.nonzero}


# The RTL and C-sim stages are module functions so that a test can replace one.
def csim_outputs(project, x, quick=True):
    from .csim import CSim
    return CSim(project, progress=_quiet, quick=quick).run(x)


def rtl_outputs(project, x, spec: NetSpec, quick=True):
    from .cosim.fast import simulate_fast
    from .rtl.generate import write_rtl
    write_rtl(project, force=True, lane_budget=spec.lanes)
    return simulate_fast(project, x, backpressure=spec.backpressure, seed=spec.frame_seed % 100003 + 1,
                         progress=_quiet, quick=quick)["outputs"]


def run_pipeline(spec: NetSpec, work: Path, frames: int | None = None, x=None,
                 stages=STAGES, quick: bool = True, model_file=None) -> tuple[Outcome, np.ndarray | None]:
    """Build, convert and compare ``spec`` in ``work`` (a fresh folder). Inputs: ``x`` (raw
    integers) or ``frames`` random ones (seeded by the spec). Returns (outcome, inputs)."""
    from .graph import Graph
    from .hls.convert import convert
    from .inputs import random_frames
    from .modelio import load_model, save_model
    from .reference import run as reference_run

    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    o = Outcome()
    t0, c0 = time.time(), _cpu_seconds()
    step = "build"
    try:
        if model_file is not None:
            model_path = Path(model_file)
            model = load_model(model_path)
        else:
            model = build_model(spec)
            model_path = work / "model.h5"
            save_model(model, model_path)
        step = "convert"
        project = work / work.name      # a unique folder name: a unique C-sim top function
        convert(model_path, project, progress=_quiet, force=True, input_bits=spec.in_bits)
        graph = Graph.load(project)
        o.seconds["convert"] = round(time.time() - t0, 2)
        o.cpu["convert"] = round(_cpu_seconds() - c0, 2)
        step = "reference"
        if x is None:
            x = random_frames(graph, frames, spec.frame_seed)
        x = np.asarray(x, dtype=np.int64)
        tensors = reference_run(graph, x, keep_all=True)   # the qkeras stage reads the GAP input
        ref = tensors[graph.output.name].reshape(len(x), -1)
        o.frames, o.classes = int(len(x)), int(ref.shape[1])
        o.nonzero = round(float((ref != 0).mean()), 4)
    except Exception as e:
        o.error = {"stage": step, "error": _error_text(e), "traceback": traceback.format_exc()}
        if x is None:   # failed before the graph existed: frames of the spec's shape, for the case
            rng = np.random.default_rng(spec.frame_seed)
            x = rng.integers(0, 2 ** spec.in_bits, (frames or 1, spec.size, spec.size, spec.channels))
        return o, np.asarray(x, dtype=np.int64)
    for stage in stages:
        t1, c1 = time.time(), _cpu_seconds()
        try:
            if stage == "qkeras":
                got, pre_raw, bad = qkeras_outputs(model, graph, x)
                r = _compare(got, ref)
                pre_ref = tensors[graph.output.inputs[0]]
                r["pre_average_mismatches"] = int((pre_raw.reshape(pre_ref.shape) != pre_ref).sum())
                r["inexact_or_float32"] = bad
                if (r["pre_average_mismatches"] or bad) and not r["mismatches"]:
                    r["mismatches"] = 1   # a wrong tensor the truncating average happened to hide
            elif stage == "csim":
                r = _compare(csim_outputs(project, x, quick), ref)
            else:
                r = _compare(rtl_outputs(project, x, spec, quick), ref)
        except Exception as e:
            r = {"compared": 0, "mismatches": 0, "error": _error_text(e),
                 "traceback": traceback.format_exc()}
        o.stages[stage] = r
        o.seconds[stage] = round(time.time() - t1, 2)
        o.cpu[stage] = round(_cpu_seconds() - c1, 2)
    o.seconds["total"] = round(time.time() - t0, 2)
    return o, x


# --------------------------------------------------------------------------- shrinking

def _valid(spec: NetSpec) -> NetSpec:
    """Drop bypasses that no longer match their widths (after a change of sizes)."""
    ch = spec.stem.filters
    for item in spec.body:
        if isinstance(item, Fire):
            if item.bypass and item.e1 + item.e3 != ch:
                item.bypass, item.bypass_act = False, None
            ch = item.e1 + item.e3
    return spec


def candidates(spec: NetSpec):
    """Simpler variants of ``spec``, roughly biggest simplification first: (what, spec)."""
    def variant(what, fn):
        s = copy.deepcopy(spec)
        fn(s)
        s = _valid(s)
        if s.problem() is None and s.to_dict() != spec.to_dict():
            return what, s
        return None

    out = []
    for i, it in enumerate(spec.body):
        out.append(variant(f"drop {it.kind} {i}", lambda s, i=i: s.body.pop(i)))
    for i, it in enumerate(spec.body):
        if isinstance(it, Fire) and it.bypass:
            out.append(variant(f"no bypass at {i}", lambda s, i=i: setattr(s.body[i], "bypass", False)))
    out.append(variant("no dropout", lambda s: setattr(s, "dropout", 0.0)))
    out.append(variant("1 class", lambda s: setattr(s, "classes", 1)))
    out.append(variant("half the classes", lambda s: setattr(s, "classes", max(1, s.classes // 2))))
    out.append(variant("1 input channel", lambda s: setattr(s, "channels", 1)))
    out.append(variant("half the input size", lambda s: setattr(s, "size", max(1, s.size // 2))))
    out.append(variant("input size - 1", lambda s: setattr(s, "size", s.size - 1)))

    def halve(s):
        s.stem.filters = max(1, s.stem.filters // 2)
        for f in s.fires:
            f.squeeze, f.e1, f.e3 = (max(1, v // 2) for v in (f.squeeze, f.e1, f.e3))
    out.append(variant("half the channels", halve))
    out.append(variant("stem stride 1", lambda s: setattr(s.stem, "stride", 1)))
    out.append(variant("stem kernel 1", lambda s: setattr(s.stem, "kernel", 1)))
    out.append(variant("stem padding valid", lambda s: setattr(s.stem, "padding", "valid")))
    out.append(variant("stem 1 filter", lambda s: setattr(s.stem, "filters", 1)))
    for i, it in enumerate(spec.body):
        if isinstance(it, Fire):
            out.append(variant(f"fire {i} squeeze 1", lambda s, i=i: setattr(s.body[i], "squeeze", 1)))
            out.append(variant(f"fire {i} expands 1", lambda s, i=i: (
                setattr(s.body[i], "e1", 1), setattr(s.body[i], "e3", 1))))

    def one_quant(s):        # every layer takes the stem's formats (bits unchanged there)
        q = s.stem.q
        for f in s.fires:
            f.sq_q, f.e1_q, f.e3_w = replace(q), replace(q), (q.w_bits, q.w_int)
            if f.bypass_act:
                f.bypass_act = (q.a_bits, q.a_int)
        s.head = replace(q)
    out.append(variant("one quantisation for all layers", one_quant))
    out.append(variant("no backpressure", lambda s: setattr(s, "backpressure", 0.0)))
    return [c for c in out if c is not None]


ONCE = {"input size - 1"}   # shrink steps worth taking once (the parity of the size)


def _frame_variants(x: np.ndarray, fmt_max: int):
    yield "zero frame", np.zeros_like(x)
    yield "full-scale frame", np.full_like(x, fmt_max)
    yield "half the values", x // 2


def shrink(spec: NetSpec, x: np.ndarray, outcome: Outcome, work_root: Path, tag: str,
           quick=True, max_attempts=None, max_seconds=None, model_file=None):
    """Greedy reduction of a failing (spec, frames). Returns (spec, x, outcome, log, folder of
    the last kept attempt or None); every kept step still fails the same stage the same way
    (``Outcome.signature``). Only the failing stage is re-run, and a change that keeps the
    input shape re-uses the current frames. Bounded by ``max_attempts`` pipeline runs and
    ``max_seconds``; a few attempts are kept for the final frame pass."""
    max_attempts = MAX_SHRINK_ATTEMPTS if max_attempts is None else max_attempts
    max_seconds = MAX_SHRINK_SECONDS if max_seconds is None else max_seconds
    target = outcome.signature()
    stage, kind = target[:2]
    stages = (stage,) if stage in STAGES else ()
    n_orig = len(x)
    log, attempts, deadline = [], 0, time.time() + max_seconds
    best_dir = None

    def left(reserve=0):
        return attempts < max_attempts - reserve and time.time() < deadline

    def attempt(s, xs, what, mf=None):
        nonlocal attempts
        attempts += 1
        w = work_root / f"{tag}-s{attempts}"
        shutil.rmtree(w, ignore_errors=True)
        o, xs2 = run_pipeline(s, w, frames=n_orig if xs is None else None, x=xs,
                              stages=stages, quick=quick, model_file=mf)
        ok = o.signature() == target
        log.append({"try": what, "kept": ok})
        if ok:
            return o, xs2, w
        shutil.rmtree(w, ignore_errors=True)
        return None

    def frames_pass(s, xs, o, mf):
        nonlocal best_dir
        if len(xs) > 1:
            bad = _bad_frames(o, stage)
            for i in (bad[:2] if bad else range(min(2, len(xs)))):
                if not left():
                    break
                r = attempt(s, xs[i:i + 1], f"frame {i} alone", mf)
                if r:
                    o, xs, best_dir = r
                    break
        if len(xs) == 1 and kind == "mismatch":
            for what, v in _frame_variants(xs, max(int(xs.max(initial=0)), 1)):
                if not left():
                    break
                if np.array_equal(v, xs):
                    continue
                r = attempt(s, v, what, mf)
                if r:
                    o, xs, best_dir = r
        return xs, o

    # 1. frames on the original net (its builds are cached: cheap)
    x, outcome = frames_pass(spec, x, outcome, model_file)
    # 2. the spec, greedily: each kept change restarts the list; a rejected one is not retried
    if model_file is None:
        rejected, changed = set(), True
        while changed and left(reserve=3):
            changed = False
            for what, cand in candidates(spec):
                if what in rejected:
                    continue
                if not left(reserve=3):
                    break
                same_shape = ((cand.size, cand.channels, cand.in_bits)
                              == (spec.size, spec.channels, spec.in_bits))
                r = attempt(cand, x if same_shape else None, what)
                if r:
                    outcome, x, best_dir = r
                    spec, changed = cand, True
                    if what in ONCE:
                        rejected.add(what)
                    break
                rejected.add(what)
        # 3. frames again on the reduced net
        x, outcome = frames_pass(spec, x, outcome, None)
    return spec, x, outcome, log, best_dir


def _bad_frames(o: Outcome, stage: str) -> list:
    r = o.stages.get(stage) or {}
    return list(r.get("bad_frames") or [])


# --------------------------------------------------------------------------- saving cases

README = """Fuzz failure: {stage} stage ({kind}), net {net} of seed {seed}.
Spec: {summary}

Re-run it:
    fpga fuzz --replay {path}

Keep it as a regression test: copy this folder (spec.json and inputs.npy are enough) into
tests/fuzz_cases/ of the repository; tests/test_fuzz.py replays every case found there.
"""


def save_case(case_dir: Path, spec: NetSpec, x: np.ndarray, outcome: Outcome, info: dict,
              model_path: Path | None = None) -> Path:
    case_dir = Path(case_dir)
    if case_dir.exists():
        shutil.rmtree(case_dir)
    case_dir.mkdir(parents=True)
    (case_dir / "spec.json").write_text(json.dumps(spec.to_dict(), indent=1) + "\n")
    np.save(case_dir / "inputs.npy", np.asarray(x, dtype=np.int64))
    if model_path is not None and Path(model_path).exists():
        shutil.copy2(model_path, case_dir / "model.h5")
    else:
        from .modelio import save_model
        try:
            save_model(build_model(spec), case_dir / "model.h5")
        except Exception:  # the spec is what matters; the model is a convenience
            pass
    stage, kind = outcome.failure() or ("none", "none")
    result = {"stage": stage, "kind": kind, **info, "summary": spec.summary(),
              "outcome": outcome.to_dict()}
    (case_dir / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    (case_dir / "README.txt").write_text(README.format(
        stage=stage, kind=kind, net=info.get("net"), seed=info.get("seed"),
        summary=spec.summary(), path=case_dir))
    return case_dir


# --------------------------------------------------------------------------- one net, end to end

@contextlib.contextmanager
def captured(log_path: Path):
    """Send everything third-party code prints (stdout, stderr, warnings, TF's C++ logs) to
    ``log_path`` for the duration."""
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    for s in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            s.flush()
    with open(log_path, "a", buffering=1) as log:
        saved = []
        for fd in (1, 2):
            try:
                saved.append((fd, os.dup(fd)))
                os.dup2(log.fileno(), fd)
            except OSError:  # pragma: no cover - no such fd
                pass
        old = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = log
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always")
                warnings.showwarning = (lambda message, category, filename, lineno, file=None,
                                        line=None: log.write(warnings.formatwarning(
                                            message, category, filename, lineno, line)))
                yield log
        finally:
            with contextlib.suppress(Exception):
                log.flush()
            sys.stdout, sys.stderr = old
            for fd, dup in saved:
                os.dup2(dup, fd)
                os.close(dup)
            _unbind_log_handlers(log)


def _unbind_log_handlers(log):
    """Logging handlers created while output was captured (TF's, absl's) would keep writing
    to the closed log: point them back at stderr."""
    import logging
    loggers = [logging.getLogger()] + [l for l in logging.Logger.manager.loggerDict.values()
                                       if isinstance(l, logging.Logger)]
    for lg in loggers:
        for h in lg.handlers:
            if isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) is log:
                h.setStream(sys.stderr)


def fuzz_net(task: dict) -> dict:
    """One net: draw, run, and on failure shrink and save. ``task``: index, seed, frames,
    work_root, case_root, keep, quick. Returns a JSON-able result."""
    i, seed = task["index"], task["seed"]
    spec = draw_spec(seed, i)
    work_root = Path(task["work_root"])
    work = work_root / f"fz{seed}_{i}"
    shutil.rmtree(work, ignore_errors=True)
    t0, c0 = time.time(), _cpu_seconds()
    with captured(work_root / task.get("log", "fuzz.log")) as log:
        log.write(f"=== net {i} (seed {seed}): {spec.summary()}\n")
        outcome, x = run_pipeline(spec, work, frames=task["frames"], quick=task.get("quick", True))
        _clear_keras()
        result = {"net": i, "spec": spec.to_dict(), "summary": spec.summary(),
                  "outcome": outcome.to_dict(), "failure": None}
        fail = outcome.failure()
        if fail:
            log.write(f"net {i} fails: {fail}\n{json.dumps(outcome.to_dict(), indent=1)}\n")
            if _claim_shrink(work_root, task.get("max_shrunk", MAX_SHRUNK_NETS)):
                small, sx, so, slog, sdir = shrink(spec, x, outcome, work_root, f"fz{seed}_{i}",
                                                   quick=task.get("quick", True))
            else:   # enough reduced cases this run: save this one as it failed
                small, sx, so, slog, sdir = spec, x, outcome, ["not shrunk: enough shrunk cases"], None
            _clear_keras()
            case = save_case(Path(task["case_root"]) / f"case-{seed}-{i}", small, sx, so,
                             {"net": i, "seed": seed, "original_spec": spec.to_dict(),
                              "original_summary": spec.summary(),
                              "original_failure": list(fail), "shrink_log": slog},
                             model_path=(sdir / "model.h5") if sdir else work / "model.h5")
            result["failure"] = {"case": str(case), "stage": fail[0], "kind": fail[1], "net": i,
                                 "spec": spec.summary(), "reduced_spec": small.summary(),
                                 "reduced_frames": int(len(sx)),
                                 "error": _first_error(outcome, fail[0])}
            if not task.get("keep"):
                for d in work_root.glob(f"fz{seed}_{i}-s*"):
                    shutil.rmtree(d, ignore_errors=True)
    if not task.get("keep") and not result["failure"]:
        shutil.rmtree(work, ignore_errors=True)
    result["seconds"] = round(time.time() - t0, 2)
    result["cpu_s"] = round(_cpu_seconds() - c0, 2)
    return result


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the compilers, the simulator)."""
    import resource
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def _claim_shrink(work_root: Path, limit: int) -> bool:
    """One of the run's ``limit`` shrink slots (files, so that worker processes share them)."""
    for k in range(limit):
        try:
            os.close(os.open(Path(work_root) / f".shrink-{k}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return True
        except FileExistsError:
            continue
    return False


def _first_error(o: Outcome, stage: str) -> str | None:
    if o.error:
        return o.error["error"]
    return (o.stages.get(stage) or {}).get("error")


def _clear_keras():
    with contextlib.suppress(Exception):
        import tensorflow as tf
        tf.keras.backend.clear_session()


def replay(case_dir, work_root: Path, quick=True) -> dict:
    """Rebuild a saved case (model.h5 if present, else from spec.json) and re-run the three
    comparisons on its saved inputs."""
    case_dir = Path(case_dir)
    spec = NetSpec.from_dict(json.loads((case_dir / "spec.json").read_text()))
    x = np.load(case_dir / "inputs.npy")
    model = case_dir / "model.h5"
    work = Path(work_root) / "replay"
    shutil.rmtree(work, ignore_errors=True)
    with captured(Path(work_root) / "fuzz.log"):
        outcome, _ = run_pipeline(spec, work, x=x, quick=quick,
                                  model_file=model if model.exists() else None)
        _clear_keras()
    return {"case": str(case_dir), "spec": spec.summary(), "frames": int(len(x)),
            "failure": list(outcome.failure() or []) or None,
            "outcome": outcome.to_dict()}


# --------------------------------------------------------------------------- workers and summary

def tool_digest() -> str:
    """SHA-256 (16 hex digits) of the fpga package's own sources: what a journal's nets ran on."""
    from .cosim.runner import content_digest
    root = Path(__file__).resolve().parent
    files = sorted(f for f in root.rglob("*")
                   if f.is_file() and f.suffix in (".py", ".v", ".cpp", ".h", ".json", ".tcl"))
    names = [f.relative_to(root).as_posix() for f in files]
    return content_digest(files, {"names": names})[:16]


class Journal:
    """fpga fuzz --journal: one JSON line per finished net after a header line (seed, frames,
    tool digest), and a line per run (nets run, wall seconds), so that a stopped run can go on
    where it left off."""

    def __init__(self, path, seed: int, frames: int):
        self.path = Path(path)
        self.header = {"journal": "fpga fuzz", "seed": seed, "frames": frames,
                       "tool": tool_digest()}
        self.lines = []
        if self.path.exists() and self.path.stat().st_size:
            rows = []
            texts = self.path.read_text().splitlines()
            for n, text in enumerate(texts, 1):
                if not text.strip():
                    continue
                try:
                    rows.append(json.loads(text))
                except json.JSONDecodeError:
                    if n != len(texts):
                        raise FpgaError(f"{self.path}:{n}: not a JSON line")
                    # a line cut off when the run was killed: dropped (that net runs again)
                    self.path.write_text("".join(json.dumps(r, sort_keys=True) + "\n"
                                                 for r in rows))
            head = rows[0] if rows else {}
            if head.get("journal") != "fpga fuzz":
                raise FpgaError(f"{self.path} is not a fuzz journal")
            for k in ("seed", "frames", "tool"):
                if head.get(k) != self.header[k]:
                    raise FpgaError(f"{self.path} was started with {k} {head.get(k)}, this run has "
                                    f"{self.header[k]}: use a new journal file")
            self.lines = rows[1:]
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._append(self.header)

    def _append(self, row: dict):
        with open(self.path, "a") as fh:
            fh.write(json.dumps(row, sort_keys=True) + "\n")

    def results(self, nets: int) -> dict:
        """{net index: result} of the finished nets below ``nets``."""
        return {r["net"]: r for r in self.lines if "net" in r and r["net"] < nets}

    def runs(self) -> list:
        return [r["run"] for r in self.lines if "run" in r]

    def add(self, result: dict):
        self.lines.append(result)
        self._append(result)

    def add_run(self, nets: int, wall: float, jobs: int):
        self.add({"run": {"nets": nets, "wall_s": round(wall, 1), "jobs": jobs}})


def _worker_init(log_dir: str):
    """A worker process: everything it prints goes to its log; TF is imported once."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    log = open(Path(log_dir) / f"worker-{os.getpid()}.log", "a", buffering=1)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = sys.stderr = log
    warnings.simplefilter("ignore")
    import tensorflow as tf
    import hls4ml  # noqa: F401
    import qkeras  # noqa: F401
    tf.get_logger().setLevel("ERROR")
    # one thread each: the workers already fill the cores, and small nets gain nothing
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def _worker_run(task: dict) -> dict:
    task = dict(task, log=f"worker-{os.getpid()}.log")
    try:
        return fuzz_net(task)
    except Exception as e:  # never lose a net to a bug of the fuzzer itself
        return {"net": task["index"], "spec": None, "summary": "?", "outcome": None,
                "failure": {"case": None, "stage": "fuzzer", "kind": "error", "net": task["index"],
                            "spec": "?", "error": _error_text(e)},
                "seconds": 0.0, "traceback": traceback.format_exc()}


def run_many(tasks: list, jobs: int, log_dir: Path, on_result=None) -> list:
    """Run tasks in ``jobs`` spawned processes (in this process when jobs == 1); results in
    task order."""
    results = []
    if jobs <= 1:
        for t in tasks:
            r = fuzz_net(t)
            results.append(r)
            if on_result:
                on_result(r)
        return results
    import multiprocessing as mp
    ctx = mp.get_context("spawn")
    pool = ctx.Pool(jobs, initializer=_worker_init, initargs=(str(log_dir),), maxtasksperchild=50)
    try:
        for r in pool.imap_unordered(_worker_run, tasks, chunksize=1):
            results.append(r)
            if on_result:
                on_result(r)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
    return sorted(results, key=lambda r: r["net"])


def _hist(values) -> dict:
    """{str(value): count}, in numeric order for numbers (shorter strings first)."""
    out = Counter(str(v) for v in values)
    return dict(sorted(out.items(), key=lambda kv: (len(kv[0]), kv[0])))


def case_mix(specs: list) -> dict:
    """Counts over the drawn nets of every varied field."""
    quants = [q for s in specs for q in s.quants()]
    fires = [f for s in specs for f in s.fires]
    pools = [p for s in specs for p in s.pools]
    return {
        "input_size": {"odd": sum(s.size % 2 for s in specs),
                       "even": sum(1 - s.size % 2 for s in specs),
                       "min": min((s.size for s in specs), default=None),
                       "max": max((s.size for s in specs), default=None)},
        "channels": _hist(s.channels for s in specs),
        "input_bits": _hist(s.in_bits for s in specs),
        "stem_kernel": _hist(s.stem.kernel for s in specs),
        "stem_stride": _hist(s.stem.stride for s in specs),
        "stem_padding": _hist(s.stem.padding for s in specs),
        "fires_per_net": _hist(len(s.fires) for s in specs),
        "expand_unequal": sum(f.e1 != f.e3 for f in fires),
        "pools": {f"{p}x{p}/{st}": sum(1 for x in pools if (x.pool, x.stride) == (p, st))
                  for p, st in POOLS},
        "bypass": sum(f.bypass for f in fires),
        "bypass_unquantised": sum(f.bypass and not f.bypass_act for f in fires),
        "dropout": sum(bool(s.dropout) for s in specs),
        "per_layer_quant": sum(len({(q.w_bits, q.w_int, q.a_bits, q.a_int) for q in s.quants()}) > 1
                               for s in specs),
        "w_bits": _hist(q.w_bits for q in quants),
        "w_int": _hist(q.w_int for q in quants),
        "a_bits": _hist(q.a_bits for q in quants),
        "a_int": _hist(q.a_int for q in quants),
        "classes": {"min": min((s.classes for s in specs), default=None),
                    "max": max((s.classes for s in specs), default=None)},
        "rtl_lanes": _hist(s.lanes or "board" for s in specs),
        "backpressure": {"min": min((s.backpressure for s in specs), default=None),
                         "max": max((s.backpressure for s in specs), default=None)},
    }


def expected_outputs(specs: list, frames: int) -> int:
    """The integers a clean run compares: frames x classes per net, in each of the 3 stages."""
    return sum(frames * s.classes * len(STAGES) for s in specs)
