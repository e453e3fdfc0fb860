"""Quantisation-aware training of the zoo's QKeras SqueezeNets, with a float twin for reference.

The model ends in conv10 -> ReLU -> global average pool; its outputs are the class scores
(logits) and the loss is sparse categorical cross-entropy from logits (softmax stays on the
host). Training is a plain seeded loop: Adam with a cosine-decayed learning rate, mini-batches
in a seeded order, and one augmentation, a random shift of up to ``shift`` pixels (zero fill)
drawn per image and epoch. The float twin is the same graph with the quantisers removed
(:func:`float_twin`), starting from the same initial weights and seeing the same batches, so
the float vs 8-bit accuracy difference is the cost of quantisation alone.
"""
from __future__ import annotations

import json
import logging
import math
import sys
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .data import Dataset, to_model_input
from .errors import FpgaError


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 32
    lr: float = 2e-3             # peak Adam learning rate, cosine-decayed to 0 over training
    shift: int = 2               # augmentation: random shift of up to +-shift pixels
    seed: int = 0
    float_twin: bool = True      # also train the unquantised twin (float accuracy)
    progress: bool = True        # tqdm progress bars on stderr
    threads: int = 0             # TF intra/inter-op threads (0: TensorFlow's default)

    def to_dict(self):
        return asdict(self)


# ---------------------------------------------------------------------------------- models

def set_determinism(seed: int, threads: int = 0) -> None:
    """Seed Python, numpy and TF and ask TF for deterministic kernels."""
    import tensorflow as tf

    if threads:
        try:  # only possible before TensorFlow has started its thread pools
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:
            pass
    tf.keras.utils.set_random_seed(seed)
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # older TF: best effort
        pass


def he_init(model, seed: int) -> None:
    """Re-draw every convolution / dense kernel from He-uniform (seeded, biases stay 0).

    The zoo builds with glorot_uniform, which halves the activation variance at each of the
    ten ReLU layers: activations end up below the 8-bit step (1/32 for ufixed<8,3>) and the
    quantised model starts (and stays) at all-zero scores. He-uniform keeps them at ~0.2-0.7
    with maxima ~2-4, which suits ufixed<8,3> (range [0, 8)) and also gives untrained
    models non-trivial activations for hardware tests.
    """
    import tensorflow as tf

    for i, layer in enumerate(model.layers):
        k = getattr(layer, "kernel", None)
        if k is not None:
            k.assign(tf.keras.initializers.HeUniform(seed=seed * 1000 + i)(k.shape))


def float_twin(model):
    """The same graph with plain Keras layers: QConv2D -> Conv2D, QDense -> Dense,
    QActivation(quantized_relu) -> ReLU; the weights are copied."""
    import tensorflow as tf
    from qkeras import QActivation, QConv2D, QDense
    from tensorflow.keras import layers

    drop = ("kernel_initializer", "bias_initializer", "kernel_constraint", "bias_constraint")

    def clone(layer):
        cfg = layer.get_config()
        if isinstance(layer, (QConv2D, QDense)):   # weights are copied; no QKeras objects
            cfg = {k: v for k, v in cfg.items() if k not in drop}
        if isinstance(layer, QConv2D):
            keep = layers.Conv2D(1, 1).get_config().keys()
            return layers.Conv2D.from_config({k: v for k, v in cfg.items() if k in keep})
        if isinstance(layer, QDense):
            keep = layers.Dense(1).get_config().keys()
            return layers.Dense.from_config({k: v for k, v in cfg.items() if k in keep})
        if isinstance(layer, QActivation):
            q = str(cfg.get("activation", ""))
            if "relu" not in q:
                raise FpgaError(f"float twin: unsupported activation {q!r} in {layer.name}")
            return layers.ReLU(name=layer.name)
        if type(layer).__module__.startswith("qkeras"):
            raise FpgaError(f"float twin: unsupported QKeras layer {type(layer).__name__}")
        return layer.__class__.from_config(cfg)

    with warnings.catch_warnings():    # Keras complains about QKeras objects in get_config
        warnings.simplefilter("ignore")
        twin = tf.keras.models.clone_model(model, clone_function=clone)
    twin._name = model.name + "_float"
    twin.set_weights(model.get_weights())
    return twin


def _bits(layer, attr: str):
    q = getattr(layer, attr + "_internal", None)
    return getattr(q, "bits", None) if q is not None else None


def model_stats(model) -> dict:
    """Parameters, multiply-accumulates per image and weight storage, from the Keras layers.

    conv: MACs = Hout*Wout*Kh*Kw*Cin*Cout; dense: in*out. Weight bytes: each kernel and bias at
    its quantiser's bit width (32 bits if unquantised), in bits / 8 summed over the model.
    """
    import tensorflow as tf

    rows, macs, wbits = [], 0, 0
    for layer in model.layers:
        if not layer.weights:
            continue
        params = int(layer.count_params())
        lmacs = 0
        if isinstance(layer, tf.keras.layers.Conv2D):
            _, h, w, cout = layer.output_shape
            kh, kw, cin, _ = layer.kernel.shape
            lmacs = int(h * w * kh * kw * cin * cout)
        elif isinstance(layer, tf.keras.layers.Dense):
            lmacs = int(np.prod(layer.kernel.shape))
        kb = _bits(layer, "kernel_quantizer") or 32
        bb = _bits(layer, "bias_quantizer") or 32
        k = getattr(layer, "kernel", None)
        b = getattr(layer, "bias", None)
        lbits = (int(np.prod(k.shape)) * kb if k is not None else 0) + \
                (int(np.prod(b.shape)) * bb if b is not None else 0)
        if k is None and b is None:
            lbits = params * 32
        rows.append({"name": layer.name, "params": params, "macs": lmacs,
                     "weight_bits": kb, "bias_bits": bb})
        macs += lmacs
        wbits += lbits
    return {"params": int(model.count_params()), "macs": int(macs),
            "weight_bytes": int(math.ceil(wbits / 8)), "layers": rows}


def spec_from_model(model, path=None) -> dict:
    """The zoo spec of a saved model: from its metadata JSON if present, else from its shapes."""
    if path is not None:
        meta = Path(path).with_suffix(".json")
        if meta.exists():
            try:
                spec = json.loads(meta.read_text()).get("spec")
            except (OSError, ValueError):
                spec = None
            if isinstance(spec, dict):
                return spec
    _, h, w, c = model.input_shape
    return {"arch": None, "input_size": h if h == w else [h, w], "channels": c,
            "classes": int(model.output_shape[-1])}


# ---------------------------------------------------------------------------------- training

def _shifted(x: np.ndarray, shift: int, rng: np.random.Generator) -> np.ndarray:
    """Each image moved by a random (dy, dx) in [-shift, shift]^2, zero fill."""
    if shift <= 0:
        return x
    n, h, w, _ = x.shape
    pad = np.pad(x, ((0, 0), (shift, shift), (shift, shift), (0, 0)))
    off = rng.integers(0, 2 * shift + 1, size=(n, 2))
    out = np.empty_like(x)
    for i, (dy, dx) in enumerate(off):
        out[i] = pad[i, dy:dy + h, dx:dx + w]
    return out


def accuracy(model, raw: np.ndarray, y: np.ndarray, batch: int = 256) -> float:
    if len(y) == 0:
        return float("nan")
    hits = 0
    for i in range(0, len(y), batch):
        logits = model(to_model_input(raw[i:i + batch]), training=False).numpy()
        hits += int(np.sum(np.argmax(logits, axis=-1) == y[i:i + batch]))
    return hits / len(y)


def fit(models: dict, ds: Dataset, cfg: TrainConfig, log=None) -> dict:
    """Train every model in ``models`` (name -> Keras model) on the same seeded batches."""
    import tensorflow as tf
    from tqdm import tqdm

    log = log or (lambda msg: print(msg, file=sys.stderr))
    n = len(ds.y_train)
    if n == 0:
        raise FpgaError("no training images")
    steps = max(1, math.ceil(n / cfg.batch_size))
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    steppers, history = {}, {name: [] for name in models}
    for name, model in models.items():
        sched = tf.keras.optimizers.schedules.CosineDecay(cfg.lr, steps * max(cfg.epochs, 1))
        opt = tf.keras.optimizers.Adam(learning_rate=sched)

        def make(model=model, opt=opt):
            _, h, w, c = model.input_shape      # one trace for every batch size
            sig = [tf.TensorSpec([None, h, w, c], tf.float32), tf.TensorSpec([None], tf.int64)]

            opt.build(model.trainable_variables)  # no variable creation inside the trace

            # autograph off: the step has no Python control flow on tensors, and converting
            # QKeras' quantisers costs seconds of tracing
            @tf.function(input_signature=sig, autograph=False)
            def step(x, y):
                with tf.GradientTape() as tape:
                    logits = model(x, training=True)
                    loss = loss_fn(y, logits)
                grads = tape.gradient(loss, model.trainable_variables)
                opt.apply_gradients(zip(grads, model.trainable_variables))
                hits = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int64),
                                                      y), tf.int64))
                return loss, hits
            return step
        steppers[name] = make()

    rng = np.random.default_rng(cfg.seed)
    for epoch in range(cfg.epochs):
        order = rng.permutation(n)
        xs = _shifted(ds.x_train[order], cfg.shift, rng)
        ys = ds.y_train[order]
        stats = {name: [0.0, 0] for name in models}
        bar = tqdm(range(steps), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch",
                   disable=not (cfg.progress and sys.stderr.isatty()), leave=False, file=sys.stderr, dynamic_ncols=True)
        for b in bar:
            sl = slice(b * cfg.batch_size, (b + 1) * cfg.batch_size)
            x = tf.constant(to_model_input(xs[sl]))
            y = tf.constant(ys[sl])
            for name in models:
                loss, hits = steppers[name](x, y)
                stats[name][0] += float(loss) * int(y.shape[0])
                stats[name][1] += int(hits)
            bar.set_postfix({f"{k}_loss": f"{v[0] / min(n, (b + 1) * cfg.batch_size):.3f}"
                             for k, v in stats.items()})
        bar.close()
        parts = []
        for name in models:
            entry = {"epoch": epoch + 1, "loss": stats[name][0] / n, "train_acc": stats[name][1] / n}
            history[name].append(entry)
            parts.append(f"{name}: loss {entry['loss']:.4f} acc {entry['train_acc']:.4f}")
        if cfg.progress:
            log(f"epoch {epoch + 1}/{cfg.epochs}  " + "  ".join(parts))
    return history


def train(ds: Dataset, cfg: TrainConfig, spec=None, init_path=None, name=None, log=None) -> dict:
    """Build (from ``spec``) or load (``init_path``) a QKeras model and train it on ``ds``.

    Returns ``{"model": keras model, "float_model": twin or None, "meta": dict}``.
    """
    from . import zoo
    from .modelio import load_model

    log = log or (lambda msg: print(msg, file=sys.stderr))
    set_determinism(cfg.seed, cfg.threads)
    if init_path is not None:
        model = load_model(init_path)
        spec_d = spec_from_model(model, init_path)
    else:
        model = zoo.build(spec, name=name, seed=cfg.seed)
        he_init(model, cfg.seed)
        spec_d = spec.to_dict()
    _, h, w, c = model.input_shape
    if (h, w, c) != ds.shape:
        raise FpgaError(f"the data is {ds.shape[0]}x{ds.shape[1]}x{ds.shape[2]} but the model "
                        f"input is {h}x{w}x{c}")
    if model.output_shape[-1] < ds.classes:
        raise FpgaError(f"the data has {ds.classes} classes but the model only "
                        f"{model.output_shape[-1]} outputs")
    if name and init_path is not None:
        model._name = name
    models = {"q8": model}
    twin = None
    if cfg.float_twin:
        twin = float_twin(model)
        models["float"] = twin
    t0 = time.perf_counter()
    history = fit(models, ds, cfg, log)
    seconds = time.perf_counter() - t0
    acc = {"quantized_test": accuracy(model, ds.x_test, ds.y_test),
           "quantized_train": accuracy(model, ds.x_train, ds.y_train)}
    if twin is not None:
        acc["float_test"] = accuracy(twin, ds.x_test, ds.y_test)
        acc["float_train"] = accuracy(twin, ds.x_train, ds.y_train)
    meta = {
        "name": model.name,
        "trained": True,
        "spec": spec_d,
        "dataset": ds.describe(),
        "training": dict(cfg.to_dict(), optimizer="Adam", schedule="cosine decay to 0",
                         loss="sparse categorical cross-entropy from logits (GAP scores)",
                         augmentation=f"random shift up to +-{cfg.shift} px, zero fill"
                         if cfg.shift else "none",
                         init=str(init_path) if init_path else "random: He-uniform kernels, zero biases (seeded)",
                         seconds=round(seconds, 1),
                         history={k: [{kk: (round(vv, 5) if isinstance(vv, float) else vv)
                                       for kk, vv in e.items()} for e in v]
                                  for k, v in history.items()}),
        "accuracy": {k: round(v, 5) for k, v in acc.items()},
        **model_stats(model),
        "versions": versions(),
    }
    return {"model": model, "float_model": twin, "meta": meta}


def versions() -> dict:
    import qkeras
    import tensorflow as tf

    from . import __version__
    return {"fpga": __version__, "tensorflow": tf.__version__,
            "qkeras": getattr(qkeras, "__version__", "?"), "numpy": np.__version__}


# ---------------------------------------------------------------------------------- output

def check_output(path, force: bool) -> Path:
    path = Path(path)
    if path.suffix.lower() not in (".h5", ".keras"):
        raise FpgaError(f"output must be a .h5 (or .keras) file, got {path}")
    if path.is_dir():
        raise FpgaError(f"output {path} is a folder")
    if not force:
        for p in (path, path.with_suffix(".json")):
            if p.exists():
                raise FpgaError(f"{p} exists; use --force to overwrite")
    return path


def model_name(path) -> str:
    """A Keras/C++-safe model name from a file name (``models/my-net.h5`` -> ``my_net``)."""
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in Path(path).stem)
    return name if name and not name[0].isdigit() else "m_" + name


def write_outputs(model, meta: dict, path) -> dict:
    """Save the model (atomically, via modelio) and its metadata ``NAME.json`` next to it."""
    from .modelio import file_sha256, save_model

    path = Path(path)
    tf_log = logging.getLogger("tensorflow")
    level = tf_log.level
    tf_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # Keras' "HDF5 is legacy" notice
            save_model(model, path)
    finally:
        tf_log.setLevel(level)
    meta = dict(meta, file=path.name, sha256=file_sha256(path))
    meta_path = path.with_suffix(".json")
    tmp = meta_path.with_name(meta_path.name + ".part")
    tmp.write_text(json.dumps(meta, indent=2) + "\n")
    tmp.replace(meta_path)
    return meta
