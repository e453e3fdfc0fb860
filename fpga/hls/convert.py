"""QKeras model -> hls4ml 1.3 Vitis io_stream project + IR + manifest, written atomically."""
from __future__ import annotations

import json
import re
import shutil
import time
import warnings
from pathlib import Path

from ..atomic import folder_written_aside
from ..errors import FpgaError
from ..modelio import file_sha256, load_model
from . import precision, reuse
from .to_ir import graph_from_hls

DEFAULT_BOARD = "pynq-z2"


CPP_KEYWORDS = set("""alignas alignof and and_eq asm auto bitand bitor bool break case catch char
char16_t char32_t class compl const constexpr const_cast continue decltype default delete do double
dynamic_cast else enum explicit export extern false float for friend goto if inline int long
mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public
register reinterpret_cast return short signed sizeof static static_assert static_cast struct
switch template this thread_local throw true try typedef typeid typename union unsigned using
virtual void volatile wchar_t while xor xor_eq main""".split())


def hls_identifier(name: str) -> str:
    """A C++ identifier for the HLS top function (and file names) from a folder name."""
    ident = re.sub(r"\W", "_", name)
    if not ident or ident[0].isdigit():
        ident = f"net_{ident}"
    return f"{ident}_net" if ident in CPP_KEYWORDS else ident


def board_target(board: str | None):
    """(board name, part, clock period ns, multiplier budget) for the conversion."""
    from ..boards import get_board
    b = get_board(board or DEFAULT_BOARD)
    return b.name, b.part, 1000.0 / b.clock_mhz, b.dsp


def parse_reuse(text: str | None) -> dict:
    """'8' -> {'*': 8}; 'conv1=4,fire2_squeeze=16' -> per layer."""
    if not text:
        return {}
    out = {}
    for item in text.split(","):
        name, _, value = item.rpartition("=")
        try:
            out[name.strip() or "*"] = int(value)
        except ValueError:
            raise FpgaError(f"--reuse: {item!r} is not N or LAYER=N") from None
    return out


def conv_geometry(model) -> dict:
    out = {}
    for layer in model.layers:
        if type(layer).__name__ == "QConv2D":
            kh, kw, cin, cout = layer.kernel.shape
            _, h, w, _ = layer.output_shape
            out[layer.name] = (int(kh * kw * cin), int(cout), int(h * w))
    return out


def build_config(model, fmts: dict, rfs: dict) -> dict:
    layers = {}
    for layer in model.layers:
        f = fmts[layer.name]
        prec = {"result": f.out.hls()}
        entry = {"Precision": prec}
        kind = type(layer).__name__
        if kind == "QConv2D":
            prec.update(weight=f.weight.hls(), bias=f.bias.hls(), accum=f.accum.hls())
            entry.update(ReuseFactor=rfs[layer.name], Strategy="Resource",
                         ConvImplementation="LineBuffer")
            # hls4ml adds a linear activation after a QConv2D: keep it exact
            layers[layer.name + "_linear"] = {"Precision": {"result": f.out.hls()}}
        elif f.accum is not None:
            prec["accum"] = f.accum.hls()
        layers[layer.name] = entry
    return {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 2, "Strategy": "Resource",
                      "BramFactor": 0, "TraceOutput": False},
            "LayerName": layers}


def merge_user_config(cfg: dict, path) -> dict:
    try:
        user = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FpgaError(f"config file not found: {path}") from None
    except json.JSONDecodeError as e:
        raise FpgaError(f"config file {path} is not valid JSON: {e}") from None
    for section in ("Model", "LayerName"):
        for key, value in user.get(section, {}).items():
            if section == "LayerName":
                if key not in cfg["LayerName"]:
                    raise FpgaError(f"config file names unknown layer {key!r}")
                cfg["LayerName"][key].update(value)
            else:
                cfg["Model"][key] = value
    return cfg


def tool_versions() -> dict:
    import hls4ml
    import numpy
    import qkeras
    import tensorflow
    return {"hls4ml": hls4ml.__version__, "tensorflow": tensorflow.__version__,
            "qkeras": getattr(qkeras, "__version__", "0.9.0"), "numpy": numpy.__version__}


def convert(model_path, out_dir, board=None, reuse_text=None, config_file=None,
            force=False, input_bits=8, progress=print, verbose=False) -> dict:
    """Convert a QKeras model into a project folder (hls4ml project, IR, weights, manifest).
    Python warnings raised meanwhile (Keras's and hls4ml's own) go to
    ``out_dir/logs/convert.log`` and one progress line counts them; ``verbose`` shows them too."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise FpgaError(f"{out_dir} exists; use --force to replace it")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")          # each warning once per place
        manifest, seconds = _convert(model_path, out_dir, board, reuse_text, config_file,
                                     input_bits, progress, caught)
    if caught:
        if verbose:
            for w in caught:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        progress(f"{len(caught)} warning(s) from Keras/hls4ml: {out_dir / LOG}")
    # the time is reported, not written: the same model must give the same bytes
    return {**manifest, "convert_seconds": seconds}


LOG = "logs/convert.log"


def _write_log(path: Path, caught: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}\n"
                            for w in caught))


def _convert(model_path, out_dir, board, reuse_text, config_file, input_bits, progress,
             caught) -> tuple:
    board_name, part, period, budget = board_target(board)
    model = load_model(model_path)
    fmts = precision.derive(model, input_bits=input_bits)
    geometry = conv_geometry(model)
    rfs = reuse.choose(geometry, budget)
    overrides = parse_reuse(reuse_text)
    for name, rf in overrides.items():
        targets = geometry if name == "*" else {name: None}
        for t in targets:
            if t not in geometry:
                raise FpgaError(f"--reuse: no convolution named {t!r}")
            valid = reuse.valid_reuse_factors(*geometry[t][:2])
            if rf not in valid:
                raise FpgaError(f"--reuse: {rf} is not valid for {t}; valid: "
                                f"{', '.join(map(str, valid[:12]))}{' ...' if len(valid) > 12 else ''}")
            rfs[t] = rf
    cfg = build_config(model, fmts, rfs)
    if config_file:
        cfg = merge_user_config(cfg, config_file)

    with folder_written_aside(out_dir) as tmp:
        import hls4ml
        from .overlap_pool import register
        register()
        progress(f"converting {model_path} with hls4ml {hls4ml.__version__} (Vitis, io_stream)")
        t0 = time.time()
        top = hls_identifier(out_dir.name)
        hls_model = hls4ml.converters.convert_from_keras_model(
            model, hls_config=cfg, output_dir=str(tmp / "hls"), project_name=top,
            backend="Vitis", io_type="io_stream", part=part, clock_period=period)
        hls_model.write()
        graph = graph_from_hls(hls_model, out_dir.name, fmts)
        graph.save(tmp)
        shutil.copy2(model_path, tmp / "model.h5")
        check_rom_pragmas(tmp / "hls", graph)
        manifest = make_manifest(model_path, graph, board_name, part, period, top, cfg)
        meta = Path(model_path).with_suffix(".json")
        if meta.exists():  # training metadata written by `fpga train`
            manifest["training"] = json.loads(meta.read_text())
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        if caught:
            _write_log(tmp / LOG, caught)
    return manifest, round(time.time() - t0, 1)


def check_rom_pragmas(hls_dir: Path, graph) -> None:
    """Every conv uses RF > 1 and the Resource kernel, whose weights are a block-RAM ROM. The
    one exception is a conv with a single weight (1x1 kernel, one input and one output
    channel): RF 1 is the only factor hls4ml accepts, and one constant needs no memory."""
    kernel = (hls_dir / "firmware/nnet_utils/nnet_dense_resource.h").read_text()
    if "core=ROM_nP_BRAM" not in kernel:
        raise FpgaError("hls4ml's Resource kernel no longer has the block-RAM ROM pragma")
    for layer in graph.layers:
        if layer.kind == "conv" and layer.reuse < 2 and layer.weights.size > 1:
            raise FpgaError(f"{layer.name}: ReuseFactor 1 keeps weights in registers, not BRAM")


def rom_bram36(layer) -> int:
    """BRAM36 blocks for one layer's weight ROM as hls4ml shapes it: RF words deep, each
    word holding n_in*n_out/RF weights (ARRAY_RESHAPE block), in 512x72 mode."""
    if layer.weights.size == 1:      # a constant operand (see check_rom_pragmas)
        return 0
    words = layer.reuse
    word_bits = layer.weights.size // layer.reuse * layer.w_fmt.width
    return -(-word_bits // 72) * -(-words // 512)


def make_manifest(model_path, graph, board, part, period, top, cfg) -> dict:
    layers = []
    for l in graph.layers:
        entry = {"name": l.name, "kind": l.kind, "inputs": l.inputs, "out_shape": list(l.out_shape),
                 "out_fmt": l.out_fmt.hls()}
        if l.kind == "conv":
            entry.update(kernel=list(l.kernel), stride=list(l.stride), weight_fmt=l.w_fmt.hls(),
                         bias_fmt=l.b_fmt.hls(), accum_frac=l.acc_frac, relu=l.relu,
                         reuse=l.reuse, params=l.params, macs=l.macs,
                         weight_bits=l.weight_bits, rom_bram36=rom_bram36(l))
        layers.append(entry)
    convs = [l for l in graph.layers if l.kind == "conv"]
    return {
        "name": graph.name, "hls_top": top, "hls_dir": "hls", "backend": "Vitis",
        "io_type": "io_stream", "strategy": "Resource", "board": board, "part": part,
        "clock_period_ns": period, "model_file": "model.h5",
        "model_sha256": file_sha256(model_path), "tools": tool_versions(),
        "input_shape": list(graph.input.out_shape), "input_fmt": graph.input.out_fmt.hls(),
        "output_fmt": graph.output.out_fmt.hls(), "params": graph.params, "macs": graph.macs,
        "weight_bits": graph.weight_bits, "weight_bytes": -(-graph.weight_bits // 8),
        "weights_rom_bram36": sum(rom_bram36(l) for l in convs),
        "layers": layers, "hls_config": cfg,
    }
