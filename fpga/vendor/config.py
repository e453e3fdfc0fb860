"""The build configuration: one JSON-serialisable record every script generator reads.

``from_project`` gathers it from a project folder (see ``layout.py``): the HLS top and sources,
or the RTL top and files, and the stream widths from the IR. For ``--from hls`` the synthesised
top is the beat-format wrapper ``<hls4ml top>_axis`` (``hls_axis.py``, written into the build
folder), ``hls_model_top`` the hls4ml function it calls and ``hls_wrapper`` what the wrapper was
made from. It is saved as ``build/<board>/build.json`` next to the scripts, so what a build was
made from can be read back.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import beats
from ..boards import Board
from ..errors import FpgaError
from .hls_axis import spec_from_project, wrapper_names
from .ip import VIVADO_VERSION, accel_vlnv
from .layout import Layout

SOURCES = ("hls", "rtl")
MAX_DMA_TDATA = 1024  # axi_dma stream widths: 8..1024 bits


@dataclass
class BuildConfig:
    name: str                       # base name of out/<name>.bit/.hwh/.xsa
    board: dict                     # the Board, as a dict
    source: str                     # "hls" or "rtl"
    top: str                        # synthesised HLS top (<hls_model_top>_axis) or RTL top module
    in_tdata_bits: int              # s_axis tdata width of the accelerator (= DMA MM2S)
    out_tdata_bits: int = beats.OUT_TDATA_BITS
    clock_mhz: float = 100.0
    hls_model_top: str = ""         # the hls4ml top function the wrapper calls
    hls_wrapper: dict = field(default_factory=dict)    # hls_axis.AxisSpec, as a dict
    hls_sources: list = field(default_factory=list)    # relative to the project folder
    hls_include_dirs: list = field(default_factory=list)
    hls_cflags: str = "-std=c++14"
    rtl_files: list = field(default_factory=list)      # *.v, relative to the project folder
    rtl_mem_files: list = field(default_factory=list)  # *.mem ($readmemh data)
    # block RAM tiles / URAM of the accelerator by rtl.json's memory plan (checked after synthesis)
    plan_bram36: float | None = None
    plan_uram: int | None = None
    build_id: int | None = None     # rtl.json "build_id": the control registers' model hash
    weight_load: dict | None = None  # rtl.json "weight_load" when the weights use the load port
    jobs: int = 2
    vivado_version: str = VIVADO_VERSION

    @property
    def part(self) -> str:
        return self.board["part"]

    @property
    def ps(self) -> str:
        return self.board["ps"]

    @property
    def accel_vlnv(self) -> str:
        return accel_vlnv(self.source, self.top)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1) + "\n"


def _manifest(project: Path) -> dict:
    path = project / "manifest.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise FpgaError(f"{path} is not valid JSON: {e.msg} (line {e.lineno})") from None
    return data if isinstance(data, dict) else {}


def _rel(project: Path, path: Path) -> str:
    return path.relative_to(project).as_posix()


def hls_inputs(project: Path, top: str | None = None):
    """(top, sources, include_dirs) of the hls4ml project in ``<project>/hls/``."""
    firmware = project / "hls" / "firmware"
    if not firmware.is_dir():
        raise FpgaError(f"no hls4ml project in {project / 'hls'} (missing firmware/); "
                        f"run 'fpga convert' first or use --from rtl")
    top = top or _manifest(project).get("hls_top")
    if not top:
        cpps = sorted(firmware.glob("*.cpp"))
        if len(cpps) != 1:
            raise FpgaError(f"cannot tell the HLS top function: {firmware} has {len(cpps)} .cpp "
                            f"files; set \"hls_top\" in {project / 'manifest.json'} or pass --top")
        top = cpps[0].stem
    main = firmware / f"{top}.cpp"
    if not main.is_file():
        raise FpgaError(f"HLS top '{top}' has no source {main}")
    sources = [main] + [p for p in sorted(firmware.glob("*.cpp")) if p != main]
    return top, [_rel(project, p) for p in sources], [_rel(project, firmware)]


_MODULE = re.compile(r"^\s*module\s+([A-Za-z_][A-Za-z0-9_$]*)", re.M)
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def rtl_inputs(project: Path, top: str | None = None):
    """(top, verilog_files, mem_files) from ``<project>/rtl/``. The top is the one module no
    other module instantiates, unless given (``--top`` or manifest "rtl_top")."""
    rtl = project / "rtl"
    vfiles = sorted(list(rtl.glob("*.v")) + list(rtl.glob("*.sv"))) if rtl.is_dir() else []
    if not vfiles:
        raise FpgaError(f"no Verilog in {rtl}; run 'fpga rtl' first or use --from hls")
    mems = sorted(rtl.glob("*.mem"))
    texts = {p: _COMMENT.sub(" ", p.read_text(errors="replace")) for p in vfiles}
    declared = {m: p for p, t in texts.items() for m in _MODULE.findall(t)}
    top = top or _manifest(project).get("rtl_top")
    if top:
        if top not in declared:
            raise FpgaError(f"RTL top module '{top}' is not declared in {rtl}/*.v")
    else:
        body = "\n".join(_MODULE.sub(" ", t) for t in texts.values())
        roots = [m for m in declared if not re.search(rf"\b{re.escape(m)}\b", body)]
        if len(roots) != 1:
            raise FpgaError(f"cannot tell the RTL top module in {rtl} (candidates: "
                            f"{', '.join(sorted(roots)) or 'none'}); set \"rtl_top\" in "
                            f"manifest.json or pass --top")
        top = roots[0]
    return top, [_rel(project, p) for p in vfiles], [_rel(project, p) for p in mems]


def load_graph(project: Path):
    from ..graph import Graph

    project = Path(project)
    if not (project / "ir.json").is_file():
        raise FpgaError(f"no IR in {project} (missing ir.json); run 'fpga convert' first")
    try:
        return Graph.load(project)
    except (OSError, KeyError, ValueError, TypeError) as e:
        raise FpgaError(f"cannot read the IR in {project}: {e}") from None


def stream_widths(graph) -> int:
    """in_tdata_bits of the accelerator, from the IR's input layer (channels x width)."""
    layer = graph.input
    channels = int(layer.out_shape[-1])
    bits = beats.in_tdata_bits(channels, layer.out_fmt.width)
    if bits > MAX_DMA_TDATA:
        raise FpgaError(f"input beat is {bits} bits ({channels} channels x "
                        f"{layer.out_fmt.width} bits); AXI DMA streams are at most "
                        f"{MAX_DMA_TDATA} bits")
    return bits


def from_project(project, board: Board, source: str, graph=None, top: str | None = None,
                 clock_mhz: float | None = None, jobs: int = 2) -> BuildConfig:
    project = Path(project).resolve()
    if not project.is_dir():
        raise FpgaError(f"project folder {project} does not exist")
    if source not in SOURCES:
        raise FpgaError(f"--from must be one of {', '.join(SOURCES)}, not {source!r}")
    graph = graph if graph is not None else load_graph(project)
    in_bits = stream_widths(graph)
    cfg = BuildConfig(name=Layout(project, board.name).name, board=board.to_dict(),
                      source=source, top="", in_tdata_bits=in_bits,
                      clock_mhz=float(clock_mhz or board.clock_mhz), jobs=jobs)
    if source == "hls":
        model_top, sources, cfg.hls_include_dirs = hls_inputs(project, top)
        spec = spec_from_project(project, graph, model_top)
        wrapper_cpp = Layout(project, board.name).build_dir / wrapper_names(model_top)[0]
        cfg.top, cfg.hls_model_top, cfg.hls_wrapper = spec.top, model_top, spec.to_dict()
        cfg.hls_sources = [_rel(project, wrapper_cpp)] + sources
    else:
        cfg.top, cfg.rtl_files, cfg.rtl_mem_files = rtl_inputs(project, top)
        meta = _rtl_json(project)
        plan = meta.get("memory_plan")
        if isinstance(plan, dict) and {"bram36", "uram"} <= set(plan):
            cfg.plan_bram36, cfg.plan_uram = float(plan["bram36"]), int(plan["uram"])
        if isinstance(meta.get("build_id"), int):
            cfg.build_id = meta["build_id"]
        if (meta.get("weight_load") or {}).get("mode") == "load":
            cfg.weight_load = meta["weight_load"]
    return cfg


def _rtl_json(project: Path) -> dict:
    """rtl.json, or {} (RTL not made by 'fpga rtl', or made before these fields existed)."""
    path = project / "rtl" / "rtl.json"
    try:
        meta = json.loads(path.read_text()) if path.is_file() else {}
    except json.JSONDecodeError as e:
        raise FpgaError(f"{path} is not valid JSON: {e.msg} (line {e.lineno})") from None
    return meta if isinstance(meta, dict) else {}
