"""The fast co-simulation engine (fpga/cosim/fast.py + fast_harness.cpp) against the reference
and against the cocotb engine; its harness on small designs with wide s_axis ports."""
import json
import shutil
import subprocess

import numpy as np
import pytest

from fpga.beats import pack_frame_bytes
from fpga.cli import main
from fpga.cosim.fast import build_fast, simulate_fast
from fpga.graph import Graph
from fpga.reference import run


@pytest.fixture(scope="session")
def default_rtl(default_project, tmp_path_factory):
    """The default project with generated RTL: test_cosim's (with its cached builds) when that
    module ran first, else a copy of our own, since test_cosim's fixture generates the RTL in
    place and fails when it is already there."""
    if (default_project / "rtl" / "rtl.json").exists():
        return default_project
    copy = tmp_path_factory.mktemp("fast") / "default"
    shutil.copytree(default_project, copy)
    assert main(["rtl", str(copy)]) == 0
    return copy


def quiet(_msg):
    pass


def frames(project, n, seed):
    g = Graph.load(project)
    return g, np.random.default_rng(seed).integers(0, 256, (n,) + g.input.out_shape)


def test_fast_engine_bit_exact_under_backpressure(default_rtl):
    g, x = frames(default_rtl, 4, 1)
    r = simulate_fast(default_rtl, x, backpressure=0.5, seed=3, progress=quiet)
    assert r["engine"] == "fast" and np.array_equal(r["outputs"], run(g, x))
    h, w, _ = g.input.out_shape
    classes = r["outputs"].shape[1]
    assert r["beats_in"] == 4 * h * w and r["beats_out"] == 4 * classes and r["tlast_err"] == 0
    assert r["out_bytes"].shape == (4, 4 * classes) and r["out_bytes"].dtype == np.uint8
    meta = json.loads((default_rtl / "rtl/rtl.json").read_text())
    assert abs(r["ii_cycles"] - meta["model_ii_cycles"]) <= 0.02 * meta["model_ii_cycles"]
    assert r["total_cycles"] > 3 * r["ii_cycles"] and r["sim_cycles_per_s"] > 0


def test_fast_and_cocotb_engines_agree(default_rtl):
    from fpga.cosim.runner import cosimulate
    _, x = frames(default_rtl, 3, 2)
    f = simulate_fast(default_rtl, x, progress=quiet)
    c = cosimulate(default_rtl, x, progress=quiet)
    assert c["engine"] == "cocotb" and set(c) <= set(f)
    assert np.array_equal(f["outputs"], c["outputs"]) and np.array_equal(f["out_bytes"], c["out_bytes"])
    # tb_network waits for each frame in steps of 64 cycles: its II is the exact one on a
    # 64-cycle grid, equal to it when the II is on the grid (the default model's, 12544, is)
    assert abs(c["ii_cycles"] - f["ii_cycles"]) < 64
    assert f["ii_cycles"] % 64 or c["ii_cycles"] == f["ii_cycles"]
    assert abs(c["latency_cycles"] - f["latency_cycles"]) < 64  # (the same cycle counter)


def test_harness_moves_exactly_the_packed_bytes(default_rtl):
    """Frames packed by fpga.beats and the same bytes given as packed_bytes give the same
    outputs; a pixel changed in one beat of the bytes changes that frame exactly as the
    reference says (the C++ side puts beat i at bytes [i*nb, (i+1)*nb), little-endian)."""
    g, x = frames(default_rtl, 3, 3)
    h, w, c = g.input.out_shape
    fmt = g.input.out_fmt
    packed = np.stack([np.frombuffer(pack_frame_bytes(f, fmt.width, c), dtype=np.uint8) for f in x])
    a = simulate_fast(default_rtl, x, progress=quiet)
    b = simulate_fast(default_rtl, x, packed_bytes=packed, progress=quiet)
    assert np.array_equal(a["outputs"], b["outputs"]) and np.array_equal(a["out_bytes"], b["out_bytes"])
    nb = packed.shape[1] // (h * w)
    y, xx = h // 2, w // 2                                  # frame 1, the middle pixel
    x2, packed2 = x.copy(), packed.copy()
    x2[1, y, xx, 0] = 255 - x[1, y, xx, 0]
    packed2[1, (y * w + xx) * nb] = x2[1, y, xx, 0]         # channel 0 = the beat's low byte
    r = simulate_fast(default_rtl, x, packed_bytes=packed2, progress=quiet)
    assert np.array_equal(r["outputs"], run(g, x2))
    assert not np.array_equal(r["outputs"][1], a["outputs"][1])
    assert np.array_equal(r["outputs"][[0, 2]], a["outputs"][[0, 2]])


def test_fast_engine_reset_between_frames(default_rtl):
    g, x = frames(default_rtl, 4, 8)
    r = simulate_fast(default_rtl, x, backpressure=0.2, reset_after=2, progress=quiet)
    assert np.array_equal(r["outputs"], run(g, x))
    h, w, _ = g.input.out_shape
    assert r["beats_in"] == 4 * h * w and r["tlast_err"] == 0


def test_fast_engine_takes_a_relative_project_path(default_rtl, monkeypatch):
    # (make demo passes hls_projects/NAME; Verilator runs in PROJECT/rtl)
    g, x = frames(default_rtl, 2, 9)
    monkeypatch.chdir(default_rtl.parent)
    r = simulate_fast(default_rtl.name, x, progress=quiet)
    assert np.array_equal(r["outputs"], run(g, x))


def test_cli_fast_engine(default_rtl, capsys):
    code = main(["cosim", str(default_rtl), "--frames", "4", "--backpressure", "0.3", "--json"])
    r = json.loads(capsys.readouterr().out)
    assert code == 0 and r["engine"] == "fast" and r["mismatches"] == 0 and r["outputs_compared"] == 40
    # the speed itself is measured by make bench (docs/BENCHMARKS.md), not asserted here
    assert r["sim_cycles_per_s"] > 0
    assert main(["cosim", str(default_rtl), "--engine", "fast", "--waves"]) == 2
    assert "cocotb" in capsys.readouterr().err


# ---------------------------------------------------------------- AXI4-Stream stress (issue 9)
@pytest.mark.parametrize("backpressure", [0.0, 0.9])
def test_backpressure_extremes_bit_exact_no_beat_lost(default_rtl, backpressure):
    g, x = frames(default_rtl, 3, 11)
    r = simulate_fast(default_rtl, x, backpressure=backpressure, seed=5, progress=quiet)
    h, w, _ = g.input.out_shape
    assert np.array_equal(r["outputs"], run(g, x))
    assert (r["beats_in"], r["beats_out"]) == (3 * h * w, 3 * r["outputs"].shape[1])
    assert r["tlast_errs"] == 0 and r["resets"] == 0


def test_reset_in_mid_frame_then_exact_and_nothing_stale(default_rtl):
    """Resets at random cycles (seeded) while frames stream in and out; after each, the host
    sends again from the first frame whose output was not complete (fast_harness.cpp). Every
    frame's output must be exact: a stale beat from before a reset would shift or corrupt it.
    The first reset comes two cycles before frame 0's last score (the run is the same as an
    unreset one up to there), so that a partial output is cut off and dropped."""
    g, x = frames(default_rtl, 5, 12)
    h, w, _ = g.input.out_shape
    classes = int(np.prod(g.output.out_shape))
    clean = simulate_fast(default_rtl, x, backpressure=0.3, seed=4, progress=quiet)
    ii, lat = clean["ii_cycles"], clean["latency_cycles"]
    rng = np.random.default_rng(3)
    resets = [lat - 2, *sorted(set(rng.integers(lat, lat + 4 * ii, 3).tolist()))]
    r = simulate_fast(default_rtl, x, backpressure=0.3, seed=4, progress=quiet, reset_at=resets)
    assert r["resets"] == len(resets)
    assert np.array_equal(r["outputs"], run(g, x))
    assert r["discarded_in"] > 0 and r["discarded_out"] > 0   # resets really cut frames short
    # every beat accounted for: none lost, none duplicated
    assert r["beats_in"] - r["discarded_in"] == 5 * h * w
    assert r["beats_out"] - r["discarded_out"] == 5 * classes
    assert r["tlast_err"] == 0 and r["tlast_errs"] == 0


def test_malformed_tlast_flagged_counted_and_next_frame_exact(default_rtl):
    """Early, missing and late tlast (axis_in.v): each is counted (late counts 2: its missing
    end, then the early end of the spill-over frame), framing recovers, and the frames around
    them are exact; the malformed ones are processed as axis_in.v documents (zero-completed)."""
    g, _ = frames(default_rtl, 1, 0)
    h, w, c = g.input.out_shape
    n = h * w
    rng = np.random.default_rng(13)
    px = [rng.integers(0, 256, (n, c)) for _ in range(7)]
    sent, marks, seen = [], [], []   # transfers sent; tlast per beat; frames the network sees

    def transfer(pixels, tlast=True):
        sent.append(pixels)
        marks.append(np.r_[np.zeros(len(pixels) - 1, np.uint8), np.uint8(tlast)])

    def zero_completed(pixels):
        return np.concatenate([pixels, np.zeros((n - len(pixels), c), int)])

    transfer(px[0]); seen.append(px[0])
    transfer(px[1][:n // 3]); seen.append(zero_completed(px[1][:n // 3]))       # early
    transfer(px[2]); seen.append(px[2])
    transfer(px[3], tlast=False); seen.append(px[3])                            # missing
    transfer(px[4]); seen.append(px[4])
    spill = rng.integers(0, 256, (7, c))
    transfer(np.concatenate([px[5], spill])); seen += [px[5], zero_completed(spill)]  # late
    transfer(px[6]); seen.append(px[6])
    pixels, tlast = np.concatenate(sent), np.concatenate(marks)
    want = run(g, np.stack(seen).reshape(len(seen), h, w, c))
    r = simulate_fast(default_rtl, pixels, backpressure=0.4, seed=2, progress=quiet,
                      tlast=tlast, out_frames=len(seen))
    assert r["tlast_err"] == 1 and r["tlast_errs"] == 4
    assert np.array_equal(r["outputs"], want)
    assert r["beats_in"] == len(pixels) and r["beats_out"] == want.size


# A stand-in network with the generated top's ports and a W-bit s_axis: each input beat comes
# out as W/32 beats (its 32-bit words, least significant first), tlast on the last word of a
# beat taken with tlast; tlast_err (sticky) goes high once a beat with tlast has been taken,
# tlast_errs counts them.
ECHO = """
module echo{W} (
    input  wire ap_clk, input wire ap_rst_n,
    input  wire [{W}-1:0] s_axis_tdata, input wire s_axis_tvalid, output wire s_axis_tready,
    input  wire s_axis_tlast,
    output wire [31:0] m_axis_tdata, output wire m_axis_tvalid, input wire m_axis_tready,
    output wire m_axis_tlast, output reg tlast_err, output reg [15:0] tlast_errs
);
    reg [{W}-1:0] data;
    reg [7:0]     left;
    reg           last;
    assign s_axis_tready = ap_rst_n && left == 0;
    assign m_axis_tvalid = left != 0;
    assign m_axis_tdata  = data[31:0];
    assign m_axis_tlast  = last && left == 1;
    always @(posedge ap_clk)
        if (!ap_rst_n) begin
            left <= 0;
            tlast_err <= 0;
            tlast_errs <= 0;
        end else if (s_axis_tvalid && s_axis_tready) begin
            data <= s_axis_tdata;
            left <= {W} / 32;
            last <= s_axis_tlast;
            tlast_err <= tlast_err | s_axis_tlast;
            tlast_errs <= tlast_errs + s_axis_tlast;
        end else if (m_axis_tvalid && m_axis_tready) begin
            data <= data >> 32;
            left <= left - 1;
        end
endmodule
"""


@pytest.fixture(scope="module", params=[64, 128])
def echo(request, tmp_path_factory):
    width = request.param
    project = tmp_path_factory.mktemp(f"echo{width}")
    (project / "rtl").mkdir()
    (project / "rtl/rtl.json").write_text(json.dumps({"top": f"echo{width}"}))
    (project / "rtl/echo.v").write_text(ECHO.replace("{W}", str(width)))
    exe, build_s = build_fast(project, progress=quiet)
    assert build_s > 0 and build_fast(project, progress=quiet) == (exe, 0.0)  # cached
    return project, exe, width


def run_echo(echo, data: bytes, beats: int, out_beats: int, **kw):
    project, exe, width = echo
    (project / "in.bin").write_bytes(data)
    args = {"in": project / "in.bin", "out": project / "out.bin", "beats": beats,
            "bytes": width // 8, "out_beats": out_beats,
            "frames": len(data) // (beats * width // 8), **kw}
    res = subprocess.run([str(exe), *(f"{k}={v}" for k, v in args.items())],
                         cwd=project / "rtl", capture_output=True, text=True)
    return res, (project / "out.bin").read_bytes() if res.returncode == 0 else None


def test_harness_drives_wide_ports_byte_exact(echo):
    _, _, width = echo
    frames_, beats = 3, 5
    data = np.random.default_rng(width).integers(0, 256, frames_ * beats * width // 8, dtype=np.uint8)
    out_beats = beats * width // 32
    res, out = run_echo(echo, data.tobytes(), beats, out_beats, backpressure=0.4, seed=7)
    assert res.returncode == 0, res.stderr
    assert out[:data.size] == data.tobytes()               # the words, in byte order
    done_at = np.frombuffer(out[data.size:], dtype="<i8")
    assert len(done_at) == frames_ and np.all(np.diff(done_at) > 0)
    summary = dict(kv.split("=") for kv in res.stdout.splitlines()[-1].split()[1:])
    assert summary["beats_in"] == str(frames_ * beats)
    assert summary["beats_out"] == str(frames_ * out_beats) and summary["tlast_err"] == "1"
    assert summary["tlast_errs"] == str(frames_) and summary["resets"] == "0"


def test_harness_reports_stalls_and_misplaced_tlast(echo):
    _, _, width = echo
    data = bytes(5 * width // 8)
    res, _ = run_echo(echo, data, 5, 5 * width // 32, backpressure=0.9, max_cycles=3)
    assert res.returncode == 1 and "stall: no output frame within 3 cycles" in res.stderr
    res, _ = run_echo(echo, data, 5, 5 * width // 32 + 1)  # the design ends its frame early
    assert res.returncode == 1 and "m_axis tlast on beat" in res.stderr
