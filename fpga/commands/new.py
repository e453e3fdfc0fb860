"""fpga new: write an untrained (seeded random, 8-bit quantised) SqueezeNet from the zoo."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import FpgaError

HELP = "write an untrained QKeras SqueezeNet (squeezenet1_0, squeezenet1_1, squeezenet_mini)"
DESCRIPTION = HELP + """

The kernels are He-uniform (seeded), biases zero, all quantised: weights and biases
quantized_bits(w_bits, 0, alpha=1), activations quantized_relu(a_bits, a_int), input
ufixed<8,0> (pixels / 256). Writes MODEL.h5 and MODEL.json (spec, seed, params, MACs).

examples:
  fpga new squeezenet1_1                         # models/squeezenet1_1_224px_1000c.h5
  fpga new squeezenet_mini --input-size 32 --channels 1 --classes 10 --width 0.5 -o m.h5
"""


def add_arguments(p):
    from ..zoo import ARCHS, SqueezeNetSpec

    d = SqueezeNetSpec()
    p.add_argument("arch", metavar="ARCH", help="one of " + ", ".join(ARCHS))
    p.add_argument("--input-size", type=int, default=d.input_size,
                   help=f"input height = width (default {d.input_size})")
    p.add_argument("--channels", type=int, default=d.channels,
                   help=f"input channels (default {d.channels})")
    p.add_argument("--classes", type=int, default=d.classes, help=f"outputs (default {d.classes})")
    p.add_argument("--width", type=float, default=d.width,
                   help=f"channel width multiplier (default {d.width:g})")
    p.add_argument("--bypass", action="store_true", help="simple bypass at fire3/5/7/9")
    p.add_argument("--w-bits", type=int, default=d.w_bits, help=f"weight bits (default {d.w_bits})")
    p.add_argument("--a-bits", type=int, default=d.a_bits,
                   help=f"activation bits (default {d.a_bits})")
    p.add_argument("--a-int", type=int, default=d.a_int,
                   help=f"activation integer bits (default {d.a_int})")
    p.add_argument("--seed", type=int, default=0, help="initialisation seed (default 0)")
    p.add_argument("-o", "--output", metavar="MODEL.h5",
                   help="model file (default models/<arch>[_bypass]_<N>px_<K>c[_w<W>].h5)")
    p.add_argument("--force", action="store_true", help="overwrite an existing model")
    p.add_argument("--json", action="store_true", help="print the metadata as JSON on stdout")


def run(args) -> int:
    from .. import zoo
    from ..train import check_output, he_init, model_name, model_stats, versions, write_outputs

    spec = zoo.SqueezeNetSpec(arch=args.arch, input_size=args.input_size, channels=args.channels,
                              classes=args.classes, width=args.width, bypass=args.bypass,
                              w_bits=args.w_bits, a_bits=args.a_bits, a_int=args.a_int)
    zoo.validate(spec)
    out = Path(args.output) if args.output else Path("models") / (spec.default_name() + ".h5")
    check_output(out, args.force)
    name = model_name(out)
    try:
        model = zoo.build(spec, name=name, seed=args.seed)
    except FpgaError:
        raise
    except ValueError as e:  # Keras shape errors for odd sizes
        raise FpgaError(f"cannot build {spec.arch}: {str(e).splitlines()[0][:200]}") from e
    he_init(model, args.seed)
    meta = {"name": model.name, "trained": False, "spec": spec.to_dict(), "seed": args.seed,
            "init": "He-uniform kernels, zero biases (seeded)",
            "input_format": "ufixed<8,0>: model input = raw / 256",
            **model_stats(model), "versions": versions()}
    meta = write_outputs(model, meta, out)
    if args.json:
        print(json.dumps(meta, indent=2))
    else:
        print(f"wrote {out} and {out.with_suffix('.json')}: {spec.arch}, "
              f"{spec.input_size}x{spec.input_size}x{spec.channels} -> {spec.classes} classes, "
              f"{meta['params']} params, {meta['macs']} MACs, {meta['weight_bytes']} weight bytes")
    return 0
