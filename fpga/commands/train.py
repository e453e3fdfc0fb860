"""fpga train: quantisation-aware training of a zoo SqueezeNet (and its float twin)."""
from __future__ import annotations

import json
import shlex

from ..errors import FpgaError

HELP = "train a QKeras SqueezeNet (8-bit, quantisation-aware) on digits, an .npz or a folder"
DESCRIPTION = HELP + """

Writes MODEL.h5 and MODEL.json (spec, dataset and split, seed, epochs, float and 8-bit test
accuracy, params, MACs, weight bytes). Data: 'digits' (scikit-learn, resized), FILE.npz with
x (N,H,W[,C]) uint8 or float in [0,1] and y (N,) ints, or a FOLDER with one sub-folder per class.
The model input is raw/256 (ufixed<8,0> pixels). Split: stratified 80/20, seed 0.

example (the shipped default model, see models/README.md):
  fpga train --arch squeezenet_mini --input-size 32 --channels 1 --classes 10 --width 0.5 \\
      --a-int 2 --data digits --epochs 30 --seed 0 --threads 1 -o models/squeezenet_mini_digits.h5
"""

SPEC_DEFAULTS = dict(arch="squeezenet_mini", input_size=None, channels=None, classes=None,
                     width=0.5, bypass=False, w_bits=8, a_bits=8, a_int=3)


def add_arguments(p):
    g = p.add_argument_group("model (ignored with --from, which keeps the saved model's)")
    g.add_argument("--arch", help="zoo architecture (default squeezenet_mini)")
    g.add_argument("--input-size", type=int, help="input height = width (default: the data's, "
                   "32 for digits)")
    g.add_argument("--channels", type=int, help="input channels (default: the data's, 1 for digits)")
    g.add_argument("--classes", type=int, help="outputs (default: the data's class count)")
    g.add_argument("--width", type=float, help="channel width multiplier (default 0.5)")
    g.add_argument("--bypass", action="store_true", default=None,
                   help="simple bypass (residual adds) at fire3/5/7/9")
    g.add_argument("--w-bits", type=int, help="weight and bias bits (default 8)")
    g.add_argument("--a-bits", type=int, help="activation bits (default 8)")
    g.add_argument("--a-int", type=int, help="activation integer bits (default 3: ufixed<8,3>)")
    g.add_argument("--from", dest="init", metavar="MODEL.h5",
                   help="continue training this model instead of building a new one")
    p.add_argument("--data", default="digits", help="digits | FILE.npz | FOLDER (default digits)")
    p.add_argument("--epochs", type=int, default=30, help="epochs (default 30)")
    p.add_argument("--batch-size", type=int, default=32, help="mini-batch size (default 32)")
    p.add_argument("--lr", type=float, default=2e-3,
                   help="peak Adam learning rate, cosine-decayed (default 0.002)")
    p.add_argument("--shift", type=int, default=2,
                   help="augmentation: random shift up to +-N pixels (default 2, 0 = none)")
    p.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    p.add_argument("--limit", type=int, metavar="N",
                   help="use only the first N training (and N test) images, for quick checks")
    p.add_argument("--no-float", action="store_true", help="skip the float twin")
    p.add_argument("--threads", type=int, default=0,
                   help="TensorFlow threads (default 0 = TensorFlow's choice)")
    p.add_argument("-o", "--output", required=True, metavar="MODEL.h5", help="model file to write")
    p.add_argument("--force", action="store_true", help="overwrite an existing model")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--json", action="store_true", help="print the metadata as JSON on stdout")


def _command(args) -> str:
    """The command that reproduces this run, every option explicit."""
    parts = ["fpga", "train"]
    if args.init:
        parts += ["--from", args.init]
    else:
        for k in SPEC_DEFAULTS:
            v = getattr(args, k)
            if k == "bypass":
                parts += ["--bypass"] if v else []
            elif v is not None:
                parts += ["--" + k.replace("_", "-"), str(v)]
    parts += ["--data", args.data, "--epochs", str(args.epochs), "--batch-size",
              str(args.batch_size), "--lr", repr(args.lr), "--shift", str(args.shift),
              "--seed", str(args.seed)]
    if args.limit:
        parts += ["--limit", str(args.limit)]
    if args.no_float:
        parts += ["--no-float"]
    if args.threads:
        parts += ["--threads", str(args.threads)]
    parts += ["-o", args.output]
    return " ".join(shlex.quote(p) for p in parts)


def run(args) -> int:
    from .. import zoo
    from ..data import load_dataset
    from ..train import TrainConfig, check_output, model_name, train, write_outputs

    out = check_output(args.output, args.force)
    if args.epochs < 0 or args.batch_size < 1 or args.lr <= 0 or args.shift < 0:
        raise FpgaError("--epochs must be >= 0, --batch-size >= 1, --lr > 0 and --shift >= 0")
    if args.limit is not None and args.limit < 1:
        raise FpgaError("--limit must be >= 1")
    given = {k: getattr(args, k) for k in SPEC_DEFAULTS if getattr(args, k) is not None}
    spec = None
    if args.init:
        if given:
            raise FpgaError(f"--from keeps the saved model's architecture; drop "
                            f"{', '.join('--' + k.replace('_', '-') for k in given)}")
        from ..modelio import load_model
        m = load_model(args.init)
        _, size, _, channels = m.input_shape
        classes = int(m.output_shape[-1])
        del m
    else:
        size, channels, classes = args.input_size, args.channels, args.classes
    ds = load_dataset(args.data, size, channels, classes)
    if args.limit:
        ds = ds.limit(args.limit, args.limit)
    if not args.init:
        h, w, c = ds.shape
        if h != w:
            raise FpgaError(f"the zoo models take square inputs; the images are {h}x{w}")
        spec = zoo.SqueezeNetSpec(**{**SPEC_DEFAULTS, **given, "input_size": h, "channels": c,
                                     "classes": ds.classes})
        zoo.validate(spec)
    cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                      shift=args.shift, seed=args.seed, float_twin=not args.no_float,
                      progress=not args.quiet, threads=args.threads)
    name = model_name(out)
    res = train(ds, cfg, spec=spec, init_path=args.init, name=name)
    meta = dict(res["meta"], command=_command(args))
    meta = write_outputs(res["model"], meta, out)
    if args.json:
        print(json.dumps(meta, indent=2))
    else:
        a = meta["accuracy"]
        fl = f"float {a['float_test']:.4f}, " if "float_test" in a else ""
        print(f"wrote {out} and {out.with_suffix('.json')}: test accuracy {fl}8-bit "
              f"{a['quantized_test']:.4f} ({meta['dataset']['test']} images); "
              f"{meta['params']} params, {meta['macs']} MACs, {meta['weight_bytes']} weight bytes, "
              f"trained in {meta['training']['seconds']:.0f} s")
    return 0
