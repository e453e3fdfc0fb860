"""fpga info: layers, shapes, params, MACs and weight memory of a model or project."""
from __future__ import annotations

from pathlib import Path

from ._common import print_json, say

HELP = "show layers, output shapes, params, MACs and weight bits/bytes of a model or project"


def add_arguments(p):
    p.add_argument("model", help="QKeras model file (.h5) or converted project folder")
    p.add_argument("--json", action="store_true", help="print as JSON")


def model_info(model) -> dict:
    from ..hls.precision import derive
    fmts = derive(model)
    layers, params, macs, bits = [], 0, 0, 0
    for layer in model.layers:
        shape = layer.output_shape[1:] if not isinstance(layer.output_shape, list) else \
            layer.output_shape[0][1:]
        entry = {"name": layer.name, "type": type(layer).__name__, "output_shape": list(shape),
                 "format": fmts[layer.name].out.hls()}
        if type(layer).__name__ == "QConv2D":
            kh, kw, cin, cout = (int(d) for d in layer.kernel.shape)
            p = kh * kw * cin * cout + cout
            m = int(shape[0] * shape[1]) * kh * kw * cin * cout
            b = kh * kw * cin * cout * fmts[layer.name].weight.width + cout * fmts[layer.name].bias.width
            entry.update(params=p, macs=m, weight_bits=b)
            params, macs, bits = params + p, macs + m, bits + b
        layers.append(entry)
    return {"name": model.name, "input_shape": list(model.input_shape[1:]),
            "output_shape": list(model.output_shape[1:]), "params": params, "macs": macs,
            "weight_bits": bits, "weight_bytes": -(-bits // 8), "layers": layers}


def project_info(folder: Path) -> dict:
    from ..graph import Graph
    g = Graph.load(folder)
    layers = [{"name": l.name, "type": l.kind, "output_shape": list(l.out_shape),
               "format": l.out_fmt.hls(), **({"params": l.params, "macs": l.macs,
                                              "weight_bits": l.weight_bits} if l.kind == "conv" else {})}
              for l in g.layers]
    return {"name": g.name, "input_shape": list(g.input.out_shape),
            "output_shape": list(g.output.out_shape), "params": g.params, "macs": g.macs,
            "weight_bits": g.weight_bits, "weight_bytes": -(-g.weight_bits // 8), "layers": layers}


def run(args) -> int:
    path = Path(args.model)
    if path.is_dir() and (path / "ir.json").exists():
        info = project_info(path)
    else:
        from ..modelio import load_model
        info = model_info(load_model(path))
    if args.json:
        print_json(info)
        return 0
    print(f"{info['name']}: input {tuple(info['input_shape'])} -> output {tuple(info['output_shape'])}")
    print(f"{'layer':28} {'type':22} {'output':16} {'format':34} {'params':>9} {'MACs':>13}")
    for l in info["layers"]:
        print(f"{l['name']:28} {l['type']:22} {str(tuple(l['output_shape'])):16} {l['format']:34} "
              f"{l.get('params', ''):>9} {l.get('macs', ''):>13}")
    print(f"params {info['params']:,}  MACs/frame {info['macs']:,}  "
          f"weights {info['weight_bits']:,} bits = {info['weight_bytes']:,} bytes")
    return 0
