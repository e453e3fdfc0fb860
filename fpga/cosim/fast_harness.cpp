// Verilator main of the fast co-simulation engine (fpga/cosim/fast.py): streams frames through
// the generated network with no Python per cycle.
//
// Usage (run from PROJECT/rtl: the ROMs' $readmemh paths are relative to it):
//   fast_sim in=FILE out=FILE beats=N bytes=NB out_beats=K frames=F
//            [backpressure=P] [seed=S] [reset_after=R] [reset_at=C1,C2,..] [tlast=FILE]
//            [max_cycles=M] [weights=FILE wload_data=A status=A control=A]
// in:  F frames of already-packed s_axis bytes (fpga/beats.py; this file only moves bytes):
//      beat i of a frame is bytes [i*NB, (i+1)*NB), little-endian; N beats a frame.
//      With tlast=FILE (one byte per beat of in, 1 = tlast on that beat) in is any number of
//      beats, framed by that file (malformed frames: early, late or missing tlast), and F is
//      the number of output frames to wait for.
// out: F*K output beats (uint32, little-endian), then F cycle counts (int64, little-endian):
//      the cycle at which each frame's last output beat was accepted.
// stdout: "frame I" as each frame completes (for a progress bar), then the line
//      "summary beats_in=.. beats_out=.. tlast_err=.. tlast_errs=.. resets=.. discarded_in=..
//      discarded_out=.. cycles=..": beats taken on s_axis and m_axis, the design's tlast_err
//      and tlast_errs at the end, the mid-stream resets done, the beats taken in and out for
//      frames a reset cut off (sent again / not kept), rising edges simulated (resets included).
//      Errors (stall, bad arguments, misplaced m_axis tlast) go to stderr, with exit status 1.
//
// weights: a weight image (uint32 words, little-endian; fpga/beats.py weight_image) for an RTL
//      with the weight-load port: after the first reset it is written through s_axi_ctrl
//      (CONTROL at byte address `control` <- CONTROL_WEIGHT_LOAD = 4, then every word to
//      `wload_data`), STATUS (`status`) is polled until bit 1 (weights ready) or bit 3
//      (rejected) rises, the design is reset once more (a completed load survives it) and the
//      cycle counter restarts; the summary line then also has "weights_status=.. wload_edges=..".
//
// Stimulus, as in fpga/cosim/tb_network.py: reset (ap_rst_n low) for 5 cycles, 2 idle cycles,
// then frames back to back with tlast on the last beat of each; with probability P a cycle
// has no new input beat (a valid gap) and, from another random stream, m_axis_tready low. With
// R > 0, after the first R frames have come out the design is reset the same way and the rest
// streamed. With reset_at, the design is reset the same way when the cycle counter reaches each
// Ci, wherever the stream is (mid-frame), like a host that resets the PL and its DMA: the
// output beats of a frame not complete are dropped, and streaming restarts with the first
// frame whose output was not complete. Cycles are counted like tb_network's `cycle`: from 2
// cycles after the first reset release, through any later reset.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "Vtop.h"
#include "verilated.h"

namespace {

[[noreturn]] void fail(const std::string& msg) {
    std::fprintf(stderr, "fast_sim: %s\n", msg.c_str());
    std::exit(1);
}

struct Config {
    std::string in_path, out_path;
    uint64_t beats = 0, bytes = 0, out_beats = 0, frames = 0;
    double backpressure = 0.0;
    uint64_t seed = 1, reset_after = 0, max_cycles = 1000000;
    std::vector<uint64_t> reset_at;  // ascending
    std::string tlast_path;
    std::string weights_path;
    uint64_t wload_data = 0, status = 0, control = 0;
};

Config parse_args(int argc, char** argv) {
    std::map<std::string, std::string> kv;
    for (int i = 1; i < argc; ++i) {
        const char* eq = std::strchr(argv[i], '=');
        if (!eq) fail(std::string("argument is not key=value: ") + argv[i]);
        kv[std::string(argv[i], static_cast<size_t>(eq - argv[i]))] = eq + 1;
    }
    auto take = [&](const char* key, bool required) -> std::string {
        auto it = kv.find(key);
        if (it == kv.end()) {
            if (required) fail(std::string("missing argument ") + key + "=");
            return "";
        }
        std::string v = it->second;
        kv.erase(it);
        return v;
    };
    auto number = [&](const char* key, bool required, uint64_t dflt) -> uint64_t {
        std::string v = take(key, required);
        return v.empty() ? dflt : std::strtoull(v.c_str(), nullptr, 10);
    };
    Config c;
    c.in_path = take("in", true);
    c.out_path = take("out", true);
    c.beats = number("beats", true, 0);
    c.bytes = number("bytes", true, 0);
    c.out_beats = number("out_beats", true, 0);
    c.frames = number("frames", true, 0);
    std::string p = take("backpressure", false);
    c.backpressure = p.empty() ? 0.0 : std::strtod(p.c_str(), nullptr);
    c.seed = number("seed", false, c.seed);
    c.reset_after = number("reset_after", false, 0);
    c.max_cycles = number("max_cycles", false, c.max_cycles);
    for (std::string r = take("reset_at", false); !r.empty();) {
        const size_t comma = r.find(',');
        c.reset_at.push_back(std::strtoull(r.substr(0, comma).c_str(), nullptr, 10));
        r = comma == std::string::npos ? "" : r.substr(comma + 1);
    }
    for (size_t i = 1; i < c.reset_at.size(); ++i)
        if (c.reset_at[i] <= c.reset_at[i - 1]) fail("reset_at must be ascending");
    c.tlast_path = take("tlast", false);
    c.weights_path = take("weights", false);
    c.wload_data = number("wload_data", !c.weights_path.empty(), 0);
    c.status = number("status", !c.weights_path.empty(), 0);
    c.control = number("control", !c.weights_path.empty(), 0);
    if (!c.tlast_path.empty() && (!c.reset_at.empty() || c.reset_after))
        fail("tlast= (free framing) does not combine with resets");
    if (!kv.empty()) fail("unknown argument " + kv.begin()->first + "=");
    if (!c.beats || !c.bytes || !c.out_beats || !c.frames) fail("beats, bytes, out_beats, frames must be > 0");
    if (!(c.backpressure >= 0.0 && c.backpressure < 1.0)) fail("backpressure must be in [0, 1)");
    return c;
}

std::vector<uint8_t> read_file(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) fail("cannot open " + path);
    std::vector<uint8_t> data;
    uint8_t buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.insert(data.end(), buf, buf + n);
    std::fclose(f);
    return data;
}

// splitmix64: a tiny, fast generator. One stream per handshake, so that valid gaps and ready
// drops are independent (seeds S and S+1, as tb_network does).
class Pauses {
  public:
    Pauses(double probability, uint64_t seed)
        : state_(seed),
          // P(pause) = threshold / 2^64; probability < 1 so the product fits in 64 bits
          threshold_(static_cast<uint64_t>(probability * 18446744073709551616.0)) {}
    bool next() {
        if (!threshold_) return false;
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return (z ^ (z >> 31)) < threshold_;
    }

  private:
    uint64_t state_, threshold_;
};

// Beat bytes (little-endian) -> a Verilator port: CData/SData/IData/QData for ports of up to
// 64 bits, VlWide<W> (W 32-bit words, least significant first) for wider ones.
template <typename T>
typename std::enable_if<std::is_integral<T>::value>::type put_bytes(T& port, const uint8_t* b, size_t n) {
    uint64_t v = 0;
    for (size_t j = 0; j < n; ++j) v |= uint64_t(b[j]) << (8 * j);
    port = static_cast<T>(v);
}

template <std::size_t W>
void put_bytes(VlWide<W>& port, const uint8_t* b, size_t n) {
    for (size_t w = 0; w < W; ++w) {
        uint32_t v = 0;
        for (size_t j = 0; j < 4 && 4 * w + j < n; ++j) v |= uint32_t(b[4 * w + j]) << (8 * j);
        port[w] = v;
    }
}

template <typename T>
constexpr size_t port_capacity(const T&) { return sizeof(T); }

template <std::size_t W>
constexpr size_t port_capacity(const VlWide<W>&) { return 4 * W; }

void put_le(std::vector<uint8_t>& out, uint64_t v, int n) {
    for (int j = 0; j < n; ++j) out.push_back(static_cast<uint8_t>(v >> (8 * j)));
}

}  // namespace

int main(int argc, char** argv) {
    const Config cfg = parse_args(argc, argv);
    const std::vector<uint8_t> input = read_file(cfg.in_path);
    const uint64_t frame_bytes = cfg.beats * cfg.bytes;
    std::vector<uint8_t> tlast;  // per input beat
    if (cfg.tlast_path.empty()) {
        if (input.size() != cfg.frames * frame_bytes)
            fail(cfg.in_path + " has " + std::to_string(input.size()) + " bytes, expected " +
                 std::to_string(cfg.frames) + " frames x " + std::to_string(frame_bytes));
        tlast.assign(cfg.frames * cfg.beats, 0);
        for (uint64_t f = 1; f <= cfg.frames; ++f) tlast[f * cfg.beats - 1] = 1;
    } else {
        tlast = read_file(cfg.tlast_path);
        if (input.size() != tlast.size() * cfg.bytes)
            fail(cfg.in_path + " has " + std::to_string(input.size()) + " bytes, expected " +
                 std::to_string(tlast.size()) + " beats (" + cfg.tlast_path + ") x " +
                 std::to_string(cfg.bytes));
    }
    const uint64_t in_beats = tlast.size();

    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Vtop>(ctx.get(), "top");
    if (cfg.bytes > port_capacity(top->s_axis_tdata))
        fail(std::to_string(cfg.bytes) + " bytes a beat do not fit s_axis_tdata");

    Pauses gaps(cfg.backpressure, cfg.seed), drops(cfg.backpressure, cfg.seed + 1);
    uint64_t edges = 0;     // rising edges simulated
    int64_t cycle = 0;      // tb_network's cycle counter
    bool counting = false;  // it starts 2 cycles after the first reset release

    // One clock cycle. The caller has set the inputs for the coming rising edge: evaluate them
    // with the clock low (so that any combinational path to an output settles), sample both
    // handshakes and the output beat as the rising edge sees them, then evaluate the edge.
    bool s_take = false, m_take = false, m_last = false;
    uint32_t m_data = 0;
    auto cycle_step = [&]() {
        top->ap_clk = 0;
        top->eval();
        s_take = top->s_axis_tvalid && top->s_axis_tready;
        m_take = top->m_axis_tvalid && top->m_axis_tready;
        if (m_take) {
            m_data = top->m_axis_tdata;
            m_last = top->m_axis_tlast;
        }
        top->ap_clk = 1;
        top->eval();
        ++edges;
        if (counting) ++cycle;
    };
    auto reset = [&]() {
        top->s_axis_tvalid = 0;
        top->s_axis_tlast = 0;
        top->m_axis_tready = 0;
        top->ap_rst_n = 0;
        for (int i = 0; i < 5; ++i) cycle_step();
        top->ap_rst_n = 1;
        for (int i = 0; i < 2; ++i) cycle_step();
        counting = true;
    };

    std::vector<uint8_t> out;  // output beats, then the cycle counts
    out.reserve(cfg.frames * (cfg.out_beats * 4 + 8));
    std::vector<int64_t> done_at;
    uint64_t beats_in = 0, beats_out = 0, resets = 0, discarded_in = 0, discarded_out = 0;
    size_t next_reset = 0;  // index into cfg.reset_at
    // Stream input beats [first*N, end) back to back until output frame `last` has come out.
    auto stream = [&](uint64_t first, uint64_t last, uint64_t end) {
        uint64_t next = first * cfg.beats;  // the next input beat to offer
        uint64_t since_done = 0;  // cycles since the last frame came out (stall detector)
        while (done_at.size() < last) {
            if (next_reset < cfg.reset_at.size() && uint64_t(cycle) >= cfg.reset_at[next_reset]) {
                ++next_reset;
                ++resets;
                // the beats taken for frames not yet out are sent again; a partial output is dropped
                const uint64_t kept_in = done_at.size() * cfg.beats, kept_out = done_at.size() * cfg.out_beats;
                discarded_in += next - kept_in;
                discarded_out += beats_out - discarded_out - kept_out;
                out.resize(kept_out * 4);
                reset();
                next = kept_in;
                s_take = m_take = false;
                since_done = 0;
                continue;
            }
            // s_axis: an offered beat stays valid until taken (AXI); a new one is offered
            // unless this cycle is a gap
            const bool gap = gaps.next();
            if (s_take || !top->s_axis_tvalid) {
                if (next < end && !gap) {
                    put_bytes(top->s_axis_tdata, &input[next * cfg.bytes], cfg.bytes);
                    top->s_axis_tlast = tlast[next];
                    top->s_axis_tvalid = 1;
                } else {
                    top->s_axis_tvalid = 0;
                }
            }
            top->m_axis_tready = !drops.next();
            cycle_step();
            if (s_take) {
                ++next;
                ++beats_in;
            }
            bool frame_out = false;
            if (m_take) {
                const uint64_t k = (beats_out - discarded_out) % cfg.out_beats;  // beat within its frame
                if (m_last != (k == cfg.out_beats - 1))
                    fail("m_axis tlast " + std::string(m_last ? "on" : "missing from") + " beat " +
                         std::to_string(k) + " of output frame " + std::to_string(done_at.size()) +
                         " (expected on beat " + std::to_string(cfg.out_beats - 1) + " only)");
                put_le(out, m_data, 4);
                ++beats_out;
                if (k == cfg.out_beats - 1) {
                    done_at.push_back(cycle);
                    frame_out = true;
                    std::printf("frame %zu\n", done_at.size() - 1);
                    std::fflush(stdout);
                }
            }
            since_done = frame_out ? 0 : since_done + 1;
            if (since_done > cfg.max_cycles)
                fail("stall: no output frame within " + std::to_string(cfg.max_cycles) +
                     " cycles (waiting for frame " + std::to_string(done_at.size()) + " of " +
                     std::to_string(cfg.frames) + " at cycle " + std::to_string(cycle) + "; beats in " +
                     std::to_string(beats_in) + ", out " + std::to_string(beats_out) + ")");
        }
    };
    uint32_t weights_status = 0;
    uint64_t wload_edges = 0;
#ifdef FPGA_WLOAD
    // AXI4-Lite single transfers on s_axi_ctrl (weight load only; no other traffic). Compiled
    // in for an RTL with the weight-load port (fast.py defines FPGA_WLOAD).
    auto axil_write = [&](uint64_t addr, uint32_t data) {
        top->s_axi_ctrl_awaddr = static_cast<uint8_t>(addr);
        top->s_axi_ctrl_wdata = data;
        top->s_axi_ctrl_wstrb = 0xF;
        top->s_axi_ctrl_awvalid = 1;
        top->s_axi_ctrl_wvalid = 1;
        top->s_axi_ctrl_bready = 1;
        bool aw = false, w = false, b = false;
        for (int i = 0; !b; ++i) {
            if (i > 1000) fail("s_axi_ctrl write did not complete");
            top->ap_clk = 0;
            top->eval();
            const bool aw_t = top->s_axi_ctrl_awvalid && top->s_axi_ctrl_awready;
            const bool w_t = top->s_axi_ctrl_wvalid && top->s_axi_ctrl_wready;
            const bool b_t = top->s_axi_ctrl_bvalid && top->s_axi_ctrl_bready;
            top->ap_clk = 1;
            top->eval();
            ++edges;
            if (aw_t) { aw = true; top->s_axi_ctrl_awvalid = 0; }
            if (w_t) { w = true; top->s_axi_ctrl_wvalid = 0; }
            if (b_t && aw && w) b = true;
        }
        top->s_axi_ctrl_bready = 0;
    };
    auto axil_read = [&](uint64_t addr) -> uint32_t {
        top->s_axi_ctrl_araddr = static_cast<uint8_t>(addr);
        top->s_axi_ctrl_arvalid = 1;
        top->s_axi_ctrl_rready = 1;
        bool ar = false;
        for (int i = 0;; ++i) {
            if (i > 1000) fail("s_axi_ctrl read did not complete");
            top->ap_clk = 0;
            top->eval();
            const bool ar_t = top->s_axi_ctrl_arvalid && top->s_axi_ctrl_arready;
            const bool r_t = top->s_axi_ctrl_rvalid && top->s_axi_ctrl_rready;
            const uint32_t v = top->s_axi_ctrl_rdata;
            top->ap_clk = 1;
            top->eval();
            ++edges;
            if (ar_t) { ar = true; top->s_axi_ctrl_arvalid = 0; }
            if (r_t && ar) { top->s_axi_ctrl_rready = 0; return v; }
        }
    };
    auto load_weights = [&]() {
        const std::vector<uint8_t> image = read_file(cfg.weights_path);
        if (image.size() % 4) fail(cfg.weights_path + " is not a whole number of 32-bit words");
        const uint64_t e0 = edges;
        axil_write(cfg.control, 4);  // CONTROL_WEIGHT_LOAD
        for (size_t i = 0; i < image.size(); i += 4) {
            uint32_t word = 0;
            for (int j = 0; j < 4; ++j) word |= static_cast<uint32_t>(image[i + j]) << (8 * j);
            axil_write(cfg.wload_data, word);
        }
        for (int i = 0;; ++i) {
            weights_status = axil_read(cfg.status);
            if (weights_status & 0xA) break;  // ready or rejected
            if (i > 10000) fail("weights neither ready nor rejected after the image");
        }
        wload_edges = edges - e0;
    };
#else
    auto load_weights = [&]() { fail("weights= given, but this RTL has no weight-load port"); };
#endif

    // frames [0, split) before the optional reset between frames, [split, frames) after it
    const uint64_t split = cfg.reset_after && cfg.reset_after < cfg.frames ? cfg.reset_after : cfg.frames;
    reset();
    if (!cfg.weights_path.empty()) {
        load_weights();
        if (!(weights_status & 0x2)) {
            std::printf("summary beats_in=0 beats_out=0 tlast_err=0 tlast_errs=0 resets=0 "
                        "discarded_in=0 discarded_out=0 cycles=%llu weights_status=%u "
                        "wload_edges=%llu\n", static_cast<unsigned long long>(edges),
                        weights_status, static_cast<unsigned long long>(wload_edges));
            fail("the weight image was rejected (STATUS " + std::to_string(weights_status) + ")");
        }
        counting = false;
        cycle = 0;
        reset();
    }
    stream(0, split, split < cfg.frames ? split * cfg.beats : in_beats);
    if (split < cfg.frames) {
        reset();
        stream(split, cfg.frames, in_beats);
    }
    const int tlast_err = top->tlast_err;
    const unsigned tlast_errs = top->tlast_errs;
    top->final();

    for (int64_t c : done_at) put_le(out, static_cast<uint64_t>(c), 8);
    FILE* f = std::fopen(cfg.out_path.c_str(), "wb");
    if (!f || std::fwrite(out.data(), 1, out.size(), f) != out.size() || std::fclose(f))
        fail("cannot write " + cfg.out_path);
    std::printf("summary beats_in=%llu beats_out=%llu tlast_err=%d tlast_errs=%u resets=%llu "
                "discarded_in=%llu discarded_out=%llu cycles=%llu weights_status=%u "
                "wload_edges=%llu\n",
                static_cast<unsigned long long>(beats_in), static_cast<unsigned long long>(beats_out),
                tlast_err, tlast_errs, static_cast<unsigned long long>(resets),
                static_cast<unsigned long long>(discarded_in), static_cast<unsigned long long>(discarded_out),
                static_cast<unsigned long long>(edges), weights_status,
                static_cast<unsigned long long>(wload_edges));
    return 0;
}
