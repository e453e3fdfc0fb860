"""IR -> streaming Verilog top: instantiates and wires the blocks of fpga/rtl/verilog.

The generator holds no arithmetic: it picks block parameters from the IR (formats, shapes,
folding), writes the weight ROM .mem files, inserts stream forks where a layer has several
consumers, and skew FIFOs where forked paths rejoin (see ``skew_fifo``).
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from ..atomic import folder_written_aside
from .. import beats
from ..beats import in_tdata_bits
from ..errors import FpgaError
from ..graph import Graph, Layer
from . import blocks, folding
from .memfiles import write_mac_mems
from ..beats import CTRL_ADDR_BITS, CTRL_MAP_VERSION, CTRL_SOFT_CYCLES

# The AXI4-Lite control port (ctrl_regs.v's s_axi_*, the top's s_axi_ctrl_*): name, direction
# seen from the accelerator, width. The top's port list and the instance are both built from it.
CTRL_PORTS = (("awaddr", "input", CTRL_ADDR_BITS), ("awvalid", "input", 1),
              ("awready", "output", 1), ("wdata", "input", 32), ("wstrb", "input", 4),
              ("wvalid", "input", 1), ("wready", "output", 1), ("bresp", "output", 2),
              ("bvalid", "output", 1), ("bready", "input", 1),
              ("araddr", "input", CTRL_ADDR_BITS), ("arvalid", "input", 1),
              ("arready", "output", 1), ("rdata", "output", 32), ("rresp", "output", 2),
              ("rvalid", "output", 1), ("rready", "input", 1))


def _port_decl(direction: str, width: int, name: str) -> str:
    rng = f"[{width - 1}:0]" if width > 1 else ""
    return f"    {direction:<6} wire {rng:<6} {name}"

WEIGHT_MODES = ("bitstream", "load")
BLOCKS = Path(__file__).with_name("verilog")
ROUND = {"TRN": 0, "RND": 1, "RND_CONV": 2}
FIFO_MARGIN = 64  # pixels of slack over the row skew, for the MAC pipelines' latency


class Literal(str):
    """A parameter value written as it is (a sized Verilog constant such as 32'h1234abcd)."""


def ident(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _b(flag) -> int:
    return 1 if flag else 0


def row_lag(layer: Layer) -> int:
    """Input rows a layer must see before it emits its first output row."""
    if layer.kind == "conv" and folding.needs_window(layer):
        return layer.kernel[0] - 1 - layer.pad[0]
    if layer.kind == "maxpool":
        return layer.pool[0] - 1
    return 0


def _ancestors(graph: Graph, name: str) -> set:
    seen, todo = set(), [name]
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(graph[n].inputs)
    return seen


def _lag_from(graph: Graph, name: str, ancestor: str) -> int:
    if name == ancestor:
        return 0
    layer = graph[name]
    reach = [i for i in layer.inputs if ancestor in _ancestors(graph, i)]
    return row_lag(layer) + max(_lag_from(graph, i, ancestor) for i in reach)


def skew_fifo(graph: Graph, join: Layer) -> dict:
    """Skew FIFO of a concat/add: {"edge": (producer, consumer), "depth", "width", "why"}.

    Both inputs fork from a common ancestor. A window-based branch (3x3 conv) emits output row
    r only after input row r + lag arrives; meanwhile the fork keeps feeding the short branch,
    which must hold the difference: (lag difference + 1) rows of the join's width, plus slack
    for pipeline latencies. Sized so the fork never blocks, hence no deadlock. The FIFO goes on
    the narrowest stream of the short branch at the join's resolution: in a Fire module that
    is the squeeze output feeding expand1x1 (a quarter of the expand1x1 output's bits); any
    stream of the branch works because each layer on it buffers its own pipeline anyway.
    """
    a, b = join.inputs
    common = _ancestors(graph, a) & _ancestors(graph, b)
    order = {l.name: i for i, l in enumerate(graph.layers)}
    fork = max(common, key=order.__getitem__)
    la, lb = _lag_from(graph, a, fork), _lag_from(graph, b, fork)
    short = 0 if la <= lb else 1
    rows = join.out_shape[1]
    depth = (abs(la - lb) + 1) * rows + FIFO_MARGIN

    def bits(name):
        return graph[name].out_shape[2] * graph[name].out_fmt.width

    edges, consumer, producer = [], join.name, join.inputs[short]
    while True:                      # walk the short branch back to the fork
        if graph[producer].out_shape[:2] == join.out_shape[:2]:
            edges.append((producer, consumer))
        if producer == fork or len(graph[producer].inputs) != 1:
            break
        consumer, producer = producer, graph[producer].inputs[0]
    edge = min(edges, key=lambda e: (bits(e[0]), -order[e[1]]))   # narrowest, latest on ties
    why = (f"paths from {fork} rejoin at {join.name}: row lags {la} ({a}) vs {lb} ({b}); "
           f"({abs(la - lb)} + 1) rows x {rows} px + {FIFO_MARGIN}, on {edge[0]} -> {edge[1]} "
           f"({bits(edge[0])} bits, the narrowest stream of the short branch)")
    return {"edge": edge, "short": short, "depth": depth, "width": bits(edge[0]), "why": why}


class Verilog:
    """Collects wire declarations and instances of the top module."""

    def __init__(self):
        self.wires, self.body = [], []

    def stream(self, name: str, width: int) -> str:
        self.wires.append(f"    wire [{width - 1}:0] {name}_tdata;\n"
                          f"    wire {name}_tvalid, {name}_tready;")
        return name

    def inst(self, module: str, name: str, params: dict, ports: dict, comment: str = ""):
        ps = ",\n".join(f"        .{k}({v if isinstance(v, Literal) else json.dumps(v) if isinstance(v, str) else int(v)})"
                        for k, v in params.items())
        pt = ",\n".join(f"        .{k}({v})" for k, v in ports.items())
        head = f"    // {comment}\n" if comment else ""
        self.body.append(f"{head}    {module} #(\n{ps}\n    ) {name} (\n{pt}\n    );")

    @staticmethod
    def s_ports(stream: str, prefix: str = "s") -> dict:
        return {f"{prefix}_tdata": f"{stream}_tdata", f"{prefix}_tvalid": f"{stream}_tvalid",
                f"{prefix}_tready": f"{stream}_tready"}


def _clk() -> dict:
    return {"clk": "ap_clk", "rst": "rst"}


def generate(graph: Graph, out_dir: Path, top: str, styles: dict | None = None,
             build_id: int = 0, weights: str = "bitstream") -> dict:
    """Write ``top``.v, the used blocks and the .mem files into out_dir; returns rtl.json data.
    ``styles``: {(layer, memory kind): STYLE} from the memory plan (fpga.fit.plan_styles);
    memories it does not name keep "auto". ``weights``: "bitstream" (``$readmemh`` ROMs) or
    "load" (RAMs filled through the weight-load port, no .mem files; beats.weight_image)."""
    if weights not in WEIGHT_MODES:
        raise FpgaError(f"weights must be one of {', '.join(WEIGHT_MODES)}, not {weights!r}")
    styles = styles or {}
    load = weights == "load"

    def style(layer_name: str, what: str, param: str) -> dict:
        st = styles.get((layer_name, what), "auto")
        return {} if st == "auto" else {param: st}

    chain = ["wl0"]                  # the weight-load chain's wires, ctrl_regs first
    load_layers = []

    v = Verilog()
    used = {"axis_in", "axis_out", "skid", "ctrl_regs"}
    info = {"layers": {}, "fifos": {}}
    port_of: dict = {}  # (producer, consumer) -> stream feeding consumer
    width = {l.name: l.out_shape[2] * l.out_fmt.width for l in graph.layers}

    def feed(producer: Layer):
        """Create the output stream of ``producer`` and fork it to its consumers."""
        consumers = graph.consumers(producer.name)
        if len(consumers) <= 1:
            for c in consumers:
                port_of[(producer.name, c.name)] = producer.name
            return
        used.update({"stream_fork", "skid"})
        n = len(consumers)
        fork = f"{producer.name}__fork"
        v.wires.append(f"    wire [{width[producer.name] - 1}:0] {fork}_tdata;\n"
                       f"    wire [{n - 1}:0] {fork}_tvalid, {fork}_tready;")
        v.inst("stream_fork", f"u_{fork}", {"WIDTH": width[producer.name], "N": n},
               {**_clk(), **v.s_ports(producer.name), "m_tdata": f"{fork}_tdata",
                "m_tvalid": f"{fork}_tvalid", "m_tready": f"{fork}_tready"},
               f"{producer.name} feeds {', '.join(c.name for c in consumers)}")
        for i, c in enumerate(consumers):
            s = v.stream(f"{producer.name}__to__{c.name}", width[producer.name])
            v.body.append(f"    assign {s}_tdata = {fork}_tdata;\n"
                          f"    assign {s}_tvalid = {fork}_tvalid[{i}];\n"
                          f"    assign {fork}_tready[{i}] = {s}_tready;")
            port_of[(producer.name, c.name)] = s

    skews = {}                                  # edge -> (join name, skew_fifo dict)
    for layer in graph.layers:
        if layer.kind in ("concat", "add"):
            f = skew_fifo(graph, layer)
            skews[f["edge"]] = (layer.name, f)

    def src(layer: Layer, i: int = 0) -> str:
        edge = (layer.inputs[i], layer.name)
        if edge in skews:                       # put the join's skew FIFO on this stream
            join, f = skews.pop(edge)
            fifo = v.stream(f"{join}__skew", f["width"])
            v.inst("fifo", f"u_{ident(join)}_skew", {"WIDTH": f["width"], "DEPTH": f["depth"],
                                                     **style(join, "fifo", "RAM_STYLE")},
                   {**_clk(), **v.s_ports(port_of[edge]), **v.s_ports(fifo, "m")}, f["why"])
            info["fifos"][f"{join}__skew"] = {"depth": f["depth"], "width": f["width"],
                                              "layer": join, "edge": list(edge), "why": f["why"]}
            used.update({"fifo", "ram_sdp"})
            port_of[edge] = fifo
        return port_of[edge]

    inp = graph.input
    h, w, c = inp.out_shape
    tdata_bits = in_tdata_bits(c, inp.out_fmt.width)
    v.stream(inp.name, width[inp.name])
    v.inst("axis_in", "u_axis_in", {"C": c, "DATA_W": inp.out_fmt.width, "TDATA_W": tdata_bits,
                                    "PIXELS": h * w},
           {**_clk(), "s_axis_tdata": "s_axis_tdata", "s_axis_tvalid": "s_axis_tvalid",
            "s_axis_tready": "s_axis_tready", "s_axis_tlast": "s_axis_tlast",
            **v.s_ports(inp.name, "m"), "tlast_err": "tlast_err", "tlast_errs": "tlast_errs"},
           "AXI4-Stream input")
    feed(inp)

    for layer in graph.layers[1:]:
        name = ident(layer.name)
        v.stream(layer.name, width[layer.name])
        out = v.s_ports(layer.name, "m")
        in_fmt = graph.in_fmt(layer)
        if layer.kind == "conv":
            used.update({"mac", "rom", "requant", "fifo", "ram_sdp", "mux_pipe", "wload"})
            kh, kw, cin, cout = layer.weights.shape
            stream_in = src(layer)
            if folding.needs_window(layer):
                used.add("window")
                hi, wi, _ = graph.in_shape(layer)
                win = v.stream(f"{layer.name}__win", kh * kw * cin * in_fmt.width)
                v.inst("window", f"u_{name}_window",
                       {"H": hi, "W": wi, "C": cin, "DATA_W": in_fmt.width, "KH": kh, "KW": kw,
                        "SH": layer.stride[0], "SW": layer.stride[1], "PT": layer.pad[0],
                        "PB": layer.pad[1], "PL": layer.pad[2], "PR": layer.pad[3],
                        **style(layer.name, "linebuf", "RAM_STYLE")},
                       {**_clk(), **v.s_ports(stream_in), **v.s_ports(win, "m")})
                stream_in = win
            prefix = name
            if load:
                load_layers.append({"name": layer.name, "shape": list(layer.weights.shape),
                                    "pe": layer.fold["pe"], "simd": layer.fold["simd"],
                                    "w_bits": layer.w_fmt.width, "b_bits": layer.b_fmt.width})
            else:
                write_mac_mems(layer.weights, layer.bias, layer.fold["pe"], layer.fold["simd"],
                               layer.w_fmt.width, layer.b_fmt.width, out_dir, prefix)
            wl_in, wl_out = chain[-1], f"wl{len(chain)}"
            chain.append(wl_out)
            v.inst("mac", f"u_{name}",
                   {"K": kh * kw * cin, "COUT": cout, "IN_W": in_fmt.width,
                    "IN_SIGNED": _b(in_fmt.signed), "W_W": layer.w_fmt.width,
                    "B_W": layer.b_fmt.width, "BIAS_SHIFT": layer.acc_frac - layer.b_fmt.frac,
                    "PE": layer.fold["pe"], "SIMD": layer.fold["simd"],
                    "OUT_W": layer.out_fmt.width, "OUT_SIGNED": _b(layer.out_fmt.signed),
                    "SHIFT": layer.acc_frac - layer.out_fmt.frac,
                    "ROUND": ROUND[layer.out_fmt.rounding], "RELU": _b(layer.relu),
                    "SAT": _b(layer.out_fmt.saturation == "SAT"),
                    "OUT_FIFO": blocks.mac_out_fifo(kh * kw * cin, cout, layer.fold["pe"],
                                                    layer.fold["simd"]),
                    "MEM_PREFIX": prefix, **style(layer.name, "weights", "ROM_STYLE"),
                    **style(layer.name, "bias", "BIAS_STYLE"),
                    **style(layer.name, "fifo", "FIFO_STYLE"), **({"LOAD": 1} if load else {})},
                   {**_clk(), "wl_rst": "rst_hard", "wl_in_start": f"{wl_in}_start",
                    "wl_in_valid": f"{wl_in}_valid", "wl_in_data": f"{wl_in}_data",
                    "wl_out_start": f"{wl_out}_start", "wl_out_valid": f"{wl_out}_valid",
                    "wl_out_data": f"{wl_out}_data", **v.s_ports(stream_in), **out},
                   f"{layer.name}: {kh}x{kw} conv {cin}->{cout}, PE {layer.fold['pe']} x "
                   f"SIMD {layer.fold['simd']}")
            module = "mac"
        elif layer.kind == "maxpool":
            used.update({"maxpool", "fifo", "ram_sdp"})
            hi, wi, ci = graph.in_shape(layer)
            lanes = folding.channel_lanes(layer)
            v.inst("maxpool", f"u_{name}",
                   {"H": hi, "W": wi, "C": ci, "DATA_W": in_fmt.width,
                    "IN_SIGNED": _b(in_fmt.signed), "PH": layer.pool[0], "PW": layer.pool[1],
                    "SH": layer.stride[0], "SW": layer.stride[1], "LANES": lanes,
                    "OUT_FIFO": folding.pool_out_fifo(layer),
                    **style(layer.name, "linebuf", "RAM_STYLE"),
                    **style(layer.name, "fifo", "FIFO_STYLE")},
                   {**_clk(), **v.s_ports(src(layer)), **out},
                   f"{layer.name}: {layer.pool[0]}x{layer.pool[1]}/{layer.stride[0]} max pool, "
                   f"{lanes} of {ci} channels a cycle")
            module = "maxpool"
        elif layer.kind in ("concat", "add"):
            used.update({layer.kind, "stream_join"} | ({"requant"} if layer.kind == "add" else set()))
            ins = [src(layer, 0), src(layer, 1)]
            ports = {**_clk(), **v.s_ports(ins[0], "a"), **v.s_ports(ins[1], "b"), **out}
            if layer.kind == "concat":
                v.inst("concat", f"u_{name}", {"A_BITS": width[layer.inputs[0]],
                                               "B_BITS": width[layer.inputs[1]]}, ports,
                       f"{layer.name}: channels of {layer.inputs[0]} then {layer.inputs[1]}")
            else:
                fa, fb = graph.in_fmt(layer, 0), graph.in_fmt(layer, 1)
                v.inst("add", f"u_{name}",
                       {"C": layer.out_shape[2], "A_W": fa.width, "A_SIGNED": _b(fa.signed),
                        "B_W": fb.width, "B_SIGNED": _b(fb.signed),
                        "SHIFT_A": layer.acc_frac - fa.frac, "SHIFT_B": layer.acc_frac - fb.frac,
                        "OUT_W": layer.out_fmt.width, "OUT_SIGNED": _b(layer.out_fmt.signed),
                        "SHIFT": layer.acc_frac - layer.out_fmt.frac,
                        "ROUND": ROUND[layer.out_fmt.rounding], "RELU": _b(layer.relu),
                        "SAT": _b(layer.out_fmt.saturation == "SAT")}, ports,
                       f"{layer.name}: elementwise add")
            module = layer.kind
        elif layer.kind == "gap":
            used.update({"gap", "mux_pipe", "ram_sdp"})
            hi, wi, ci = graph.in_shape(layer)
            if layer.out_fmt.frac != layer.acc_frac:
                raise FpgaError(f"{layer.name}: the RTL average needs output frac == accumulator frac")
            lanes = folding.channel_lanes(layer)
            v.inst("gap", f"u_{name}",
                   {"H": hi, "W": wi, "C": ci, "IN_W": in_fmt.width,
                    "IN_SIGNED": _b(in_fmt.signed), "EXTRA": layer.acc_frac - in_fmt.frac,
                    "OUT_W": layer.out_fmt.width, "OUT_SIGNED": _b(layer.out_fmt.signed),
                    "SAT": _b(layer.out_fmt.saturation == "SAT"),
                    "LANES": lanes, **style(layer.name, "linebuf", "RAM_STYLE")},
                   {**_clk(), **v.s_ports(src(layer)), **out},
                   f"{layer.name}: global average, {lanes} of {ci} channels a cycle")
            module = "gap"
        else:
            raise FpgaError(f"{layer.name}: no RTL block for layer kind {layer.kind!r}")
        info["layers"][layer.name] = {"kind": layer.kind, "module": module, "instance": f"u_{name}",
                                      "cycles": folding.layer_cycles(graph, layer),
                                      **({"pe": layer.fold["pe"], "simd": layer.fold["simd"],
                                          "lanes": layer.fold["pe"] * layer.fold["simd"]}
                                         if layer.kind == "conv" else {}),
                                      **({"channels_per_cycle": folding.channel_lanes(layer)}
                                         if layer.kind in folding.SERIAL_KINDS else {})}
        feed(layer)

    last = graph.output
    if last.out_shape[:2] != (1, 1):
        raise FpgaError(f"the network must end in one score vector; {last.name} is {last.out_shape}")
    nclass = last.out_shape[2]
    v.inst("axis_out", "u_axis_out", {"NCLASS": nclass, "OUT_W": last.out_fmt.width,
                                      "OUT_SIGNED": _b(last.out_fmt.signed)},
           {**_clk(), **v.s_ports(last.name), "m_axis_tdata": "m_axis_tdata",
            "m_axis_tvalid": "m_axis_tvalid", "m_axis_tready": "m_axis_tready",
            "m_axis_tlast": "m_axis_tlast"}, "AXI4-Stream output: one 32-bit beat per class")
    payload = sum(beats.mac_load_size(l["shape"], l["pe"], l["simd"], l["w_bits"], l["b_bits"])
                  for l in load_layers)
    v.inst("ctrl_regs", "u_ctrl", {"BUILD_ID": Literal(f"32'h{build_id:08x}"), "SOFT_CYCLES": CTRL_SOFT_CYCLES,
                                   "MAP_VERSION": CTRL_MAP_VERSION,
                                   **({"LOAD": 1, "WL_WORDS": Literal(f"32'd{payload}"),
                                       "WL_MAGIC": Literal(f"32'h{beats.WEIGHT_MAGIC:08x}"),
                                       "WL_DRAIN": len(chain) + 3} if load else {})},
           {"clk": "ap_clk", "rst": "rst_hard", "weights_ready": "weights_ready",
            "wl_start": "wl0_start", "wl_valid": "wl0_valid", "wl_data": "wl0_data",
            **{f"s_axi_{p}": f"s_axi_ctrl_{p}" for p, _, _ in CTRL_PORTS},
            "in_frame": "s_axis_tvalid && s_axis_tready && s_axis_tlast",
            "out_frame": "m_axis_tvalid && m_axis_tready && m_axis_tlast",
            "tlast_err": "tlast_err", "tlast_errs": "tlast_errs", "soft_rst": "soft_rst"},
           "AXI4-Lite control and status (register map: fpga/beats.py CTRL_REGS)")
    for i, wl in enumerate(chain):
        unused = "    /* verilator lint_off UNUSEDSIGNAL */\n" if i == len(chain) - 1 else ""
        v.wires.append(f"{unused}    wire {wl}_start, {wl}_valid;\n    wire [31:0] {wl}_data;"
                       + ("\n    /* verilator lint_on UNUSEDSIGNAL */" if unused else ""))
    info["weight_load"] = {"mode": weights, "layers": load_layers, "payload_words": payload,
                           "image_words": payload + 4 if load else 0}

    ctrl_ports = ",\n".join(_port_decl(d, w, f"s_axi_ctrl_{p}") for p, d, w in CTRL_PORTS)
    weights_note = (
        f"// Weights: loaded through the weight-load port (ctrl_regs.v WLOAD_DATA; image format\n"
        f"// fpga/beats.py weight_image, {payload + 4} words). Until a complete image is in, the\n"
        f"// datapath is held in reset and s_axis refuses input." if load else
        "// Weights: $readmemh ROMs, filled by the bitstream.")
    header = f"""// Generated by `fpga rtl` from the IR of {graph.name}. Do not edit: regenerate.
// Beat format: fpga/beats.py. s_axis: one pixel per beat ({c} x {inp.out_fmt.width} bits, LSB-first,
// padded to {tdata_bits}), tlast on the last pixel. m_axis: {nclass} beats per frame, one class
// score each ({last.out_fmt.hls()} raw, sign-extended to 32 bits), tlast on the last class.
// tlast_err: sticky, high once an s_axis tlast was not on a frame's last pixel; tlast_errs: the
// count of such events (saturating); both cleared by reset. axis_in.v: how framing recovers.
// s_axi_ctrl: AXI4-Lite control/status (ctrl_regs.v; map fpga/beats.py CTRL_REGS): build ID
// {build_id:#010x}, status, frame counters, tlast error count, soft reset of the datapath.
{weights_note}
`default_nettype none
module {top} (
    input  wire        ap_clk,
    input  wire        ap_rst_n,
    input  wire [{tdata_bits - 1}:0] s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    input  wire        s_axis_tlast,
    output wire [31:0] m_axis_tdata,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready,
    output wire        m_axis_tlast,
    output wire        tlast_err,
    output wire [15:0] tlast_errs,
{ctrl_ports}
);
    // synchronous, active-high resets, registered: rst_hard from ap_rst_n (the control
    // registers, the weight-load chain), rst also during a soft reset and while the weights
    // are not ready (every block of the datapath)
    wire soft_rst, weights_ready;
    reg rst_hard, rst;
    always @(posedge ap_clk) begin
        rst_hard <= ~ap_rst_n;
        rst <= ~ap_rst_n | soft_rst | ~weights_ready;
    end
"""
    text = header + "\n".join(v.wires) + "\n\n" + "\n\n".join(v.body) + "\nendmodule\n`default_nettype wire\n"
    (out_dir / f"{top}.v").write_text(text)
    for block in sorted(used):
        shutil.copy2(BLOCKS / f"{block}.v", out_dir / f"{block}.v")
    info["blocks"] = sorted(used)
    return info


def write_rtl(project, force: bool = False, lane_budget: int | None = None,
              clock_mhz: float | None = None, weights: str = "bitstream",
              target_fps: float | None = None) -> dict:
    """Generate PROJECT/rtl atomically. Returns the rtl.json content. ``clock_mhz``: the target
    clock (default: the board's, 'fpga boards'). ``weights``: "bitstream" ($readmemh ROMs) or
    "load" (the weight-load port; see generate). No ``lane_budget``: the board's DSPs, or the
    largest budget that fits by the estimate when that does not (fpga.fit.default_folding).
    ``target_fps``: instead of a lane budget, the
    cheapest folding that reaches this frame rate at the clock and fits the board
    (fpga.fit.fold_for_fps); an FpgaError names the best reachable rate when none does."""
    if weights not in WEIGHT_MODES:
        raise FpgaError(f"--weights must be one of {', '.join(WEIGHT_MODES)}, not {weights!r}")
    from ..boards import get_board
    project = Path(project)
    out = project / "rtl"
    if out.exists() and not force:
        raise FpgaError(f"{out} exists; use --force to regenerate it")
    graph = Graph.load(project)
    manifest = json.loads((project / "manifest.json").read_text())
    board = get_board(manifest.get("board") or "pynq-z2")
    budget = lane_budget or board.dsp
    for layer in graph.layers:
        if layer.kind == "maxpool" and (why := blocks.maxpool_unsupported(layer.pool, layer.stride)):
            raise FpgaError(f"layer {layer.name}: {why}")
    from ..fit import default_folding, estimate, estimated_fifos, fold_for_fps, plan_styles
    clock = float(clock_mhz or board.clock_mhz)
    fps_plan = None
    if target_fps is not None:
        if lane_budget is not None:
            raise FpgaError("give --lanes or --target-fps, not both")
        fps_plan = fold_for_fps(graph, board, target_fps, clock, weights)
        if not fps_plan["reached"]:
            best = fps_plan["best"]
            raise FpgaError(
                f"{target_fps:g} frames/s at {clock:g} MHz (II <= {fps_plan['target_ii']:,} "
                f"cycles) cannot be met on {board.name}: {fps_plan['why']}; "
                + (f"the best reachable is {best['fps']:,} frames/s (II {best['ii']:,}, "
                   f"{best['mac_lanes']} MAC lanes: 'fpga rtl PROJECT --lanes "
                   f"{best['lane_budget']}')" if best else
                   f"no folding of this model fits {board.name}"))
        ii = fps_plan["ii"]
        budget = folding.mac_lanes(graph)
    elif lane_budget is None:
        auto = default_folding(graph, board, weights)
        budget = auto["lane_budget"]
        ii = folding.model_ii(graph)
    else:
        ii = folding.choose_folding(graph, budget)
    plan = estimate(graph, board, estimated_fifos(graph), weights=weights)["memory_plan"]
    top = f"{ident(manifest.get('hls_top', graph.name))}_rtl"
    with folder_written_aside(out) as tmp:
        build_id = model_build_id(project, graph if weights == "load" else None)
        info = generate(graph, tmp, top, plan_styles(plan), build_id, weights)
        lanes = folding.mac_lanes(graph)
        meta = {"top": top, "board": board.name, "lane_budget": budget, "model_ii_cycles": ii,
                "mac_lanes": lanes,
                "dsp": sum(blocks.mac_dsps(l.fold["pe"], l.fold["simd"]) for l in graph.layers
                           if l.kind == "conv"),
                "macs_per_frame": graph.macs,
                "mac_utilisation": round(graph.macs / (lanes * ii), 4),
                "in_tdata_bits": in_tdata_bits(graph.input.out_shape[2], graph.input.out_fmt.width),
                "out_tdata_bits": 32, "clock_mhz": clock,
                "clock_source": "target" + ("" if clock_mhz else f" of {board.name}"),
                "files": sorted(p.name for p in tmp.glob("*.v")),
                "mem_files": sorted(p.name for p in tmp.glob("*.mem")), **info,
                "memory_plan": plan, "build_id": build_id, "weights": weights}
        if fps_plan is not None:
            meta["target_fps"] = {k: fps_plan[k] for k in ("target_fps", "target_ii", "floor_ii")}
        if lane_budget is None and target_fps is None:
            meta["folding"] = {"lane_budget": budget, "fits": auto["fits"],
                               "over_at_board_dsp": auto["over_at_dsp"]}
        (tmp / "rtl.json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def model_build_id(project, load_graph: Graph | None = None) -> int:
    """32-bit build ID, read back from the control registers by the driver: the first bytes of
    a SHA-256 of the IR and its integer weights (what the RTL computes). With the weight-load
    port (``load_graph``: the folded graph) the weights are not part of the hardware: the hash
    covers the IR and each conv's folding instead, so any weight set of the same shapes and
    formats loads into it (the weight image carries the ID)."""
    import hashlib
    import numpy as np
    h = hashlib.sha256((Path(project) / "ir.json").read_bytes())
    if load_graph is not None:
        folds = [[l.name, l.fold["pe"], l.fold["simd"]] for l in load_graph.layers
                 if l.kind == "conv"]
        h.update(b"weights=load" + json.dumps(folds).encode())
        return int.from_bytes(h.digest()[:4], "big")
    with np.load(Path(project) / "weights.npz") as w:
        for k in sorted(w.files):
            h.update(k.encode() + np.ascontiguousarray(w[k]).tobytes())
    return int.from_bytes(h.digest()[:4], "big")
