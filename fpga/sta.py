"""Open static-timing estimate of one Yosys-mapped Xilinx netlist (no vendor tools).

``analyse(netlist, top, family)`` takes the JSON that Yosys ``write_json`` writes after
``synth_xilinx -family xc7|xcup -flatten -noiopad -noclkbuf`` and estimates the worst
register-to-register delay, the clock it allows and where the critical path runs.

Timing model
------------
* **Graph on bits.** Every net bit is a node; a combinational cell arc (LUT input -> output,
  CARRY S/DI/CI -> O/CO, MUXF I/S -> O, LUTRAM read address -> data out, SRL address -> Q,
  DSP input -> P/PCOUT when no register lies between them) is an edge from the bit on the
  input pin to the bit on the output pin, weighted with the routing delay of the input pin's
  net plus the cell's pin-to-pin delay.  Arrival times are propagated once in topological
  order (Kahn); only the worst path is traced back afterwards.  Combinational loops are
  broken (the node that closes the loop is forced; the arcs back into it are dropped) and
  counted in ``"loops"`` (strongly connected components with a cycle).
* **Start points** (arrival = clock-to-out): FD* Q, SRL Q/Q15/Q31, LUTRAM outputs (write
  clock to out; the asynchronous read address -> out arcs are combinational arcs as well),
  RAMB DO (``DOA_REG``/``DOB_REG`` select the with/without output-register figure), DSP
  outputs (``PREG=1``: clock-to-P; else the arrival from the last enabled internal register,
  A/B/AD/M/C, plus combinational arcs from unregistered inputs and PCIN), URAM288 DOUT
  (``OREG_A/B``), module input ports at ``input_delay_ns``.
* **End points** (required = arrival + routing + setup): FD* D/CE/R/S/CLR/PRE, SRL D/CE,
  LUTRAM write data/write address/WE, RAMB address/data/enable/WE/REGCE/RST, DSP inputs
  (setup to the first enabled register stage: A/B/C/D/PCIN/ctrl; the internal register to
  register stages are covered by the DSP block Fmax cap, not by the graph), URAM inputs,
  module output ports (required at period - ``output_delay_ns``).
* **Routing allowance** per sink pin: ``base + k * log2(fanout)`` of the driving net
  (fanout = data sink pins; clock pins excluded), capped; dedicated connections get none
  (CARRY CO -> next CARRY CI, DSP PCOUT/ACOUT/BCOUT/CARRYCASCOUT/MULTSIGNOUT cascades,
  BRAM/URAM CAS*, SRL Q15/Q31 -> D), and slice-local ones neither (LUT -> its CARRY S/DI,
  LUT -> MUXF7, MUXF7 -> MUXF8 -> MUXF9: packed together by the placer).
* **Clock**: one clock, all flops on the same edge; a clock uncertainty (jitter + skew
  allowance) is added to every routed path (``ns``), not to ``logic_ns``.
* **Defaults for ports**: ``input_delay_ns`` = the family's FF clock-to-out (the routed
  net from the port to its sinks then supplies "one net": as if driven by a flop of the
  neighbouring block); ``output_delay_ns`` = FF setup (the routed net to the port supplies
  the net: as if captured by a flop next door).  Explicit values are used as given (the
  internal net is still added, as Vivado's set_input_delay/set_output_delay would).
* **Levels**: LUTs, LUT-RAM/SRL address reads and MUXF* count one each, a carry chain counts
  once (a CARRY entered through CI from a CARRY CO adds nothing); DSP/BRAM do not count, nor
  Yosys's stand-alone INV cells (timed as a LUT1; Vivado folds them into a neighbour).
* ``fmax_mhz`` = min(1000 / ns, block Fmax caps of the primitives present: DSP48 by its
  pipeline configuration, RAMB by write mode, URAM, and the global clock buffer).

Result
------
``family``, ``method`` (one line), ``logic_ns`` (worst path with no routing and no clock
uncertainty: clock-to-out + cell arcs + setup), ``ns`` (worst path incl. routing, clock-to-out,
setup and clock uncertainty; port paths included, with the port delays above),
``fmax_mhz``, ``cap`` ({"mhz", "cell"} when a block Fmax is the limit, else None),
``worst`` (start/end cell or port, ``start_pin``/``end_pin``, ``levels``, ``ns``, ``path``:
[{cell, type, pin ("in->out" for arcs), at_ns}], first = start (clock-to-out), last = end
incl. setup + uncertainty; start/end None when nothing is timed), ``levels_histogram``
{levels: endpoints}, ``endpoints`` (timed end points), ``ports``: block-boundary figures
without the port delays, to compose blocks as ``out + net_ns(fanout) + in``:
{"in": {port: from the input pin to the worst register it reaches, incl. setup and clock
uncertainty; the port's own net counts only with its fanout term k*log2(fanout), the base
being the composing net's}, "out": {port: arrival at the cell pin driving the port, from a
register, incl. clock-to-out}, "through": {"in->out": input pin to the output's driving pin,
combinational}}, ``loops``,
``input_delay_ns``/``output_delay_ns`` used, and ``unknown_cells`` {type: n} when cells
of unmodelled types were met (timed as 0.5 ns combinational, scaled).

Delay figures
-------------
``xc7`` = Zynq-7000 speed grade -1 (xc7z020-1, PYNQ-Z2).  The CLB/LUTRAM/SRL/CARRY4/MUXF/
RAMB/DSP48E1 arcs are those of Yosys's ``+/xilinx/cells_sim.v`` ``specify`` blocks, which
come from the Project X-Ray 7-series timing database (Artix-7 fabric, the same 28 nm fabric
as the Z-7020); its LUT pin delays include the slice input-pin routing.  RAMB clock-to-out
(2.46 / 0.89 ns) and setups agree with the 7-series -1 block RAM table of DS189 (Spartan-7,
same fabric; DS187's own table was not in the stored copies searched).  FF clock-to-out is
Vivado's 7-series -1 figure (0.456 ns) rather than X-Ray's 0.303.
``xcup`` = Zynq UltraScale+ -2 (0.85 V).  Of DS925 only the DSP48 and clock-buffer Fmax
tables were found; the CLB, CARRY and DSP pin arcs are the xc7 figures scaled by
``XCUP_SCALE`` = 464/775 (the DSP48 Fmax ratio -1 7-series : -2 UltraScale+), marked
*typical* in the tables below.  (Yosys 0.70 maps adders to CARRY4 on xcup as well; Vivado
retargets them to CARRY8.  Both are modelled.)
DSP48E2 register absorption (``absorb_dsp48e2_registers``): Yosys 0.70 packs no A/B/M/P
register into a DSP48E2, which Vivado does; the estimate treats a DSP48E2 with every register
off as having AREG/BREG when its A/B bits come straight from registers that feed only DSPs,
and PREG when its used P bits drive only flip-flops (else it stays combinational).
The netlists themselves come from ``fpga/blocksynth.py``, whose LUT mapping (ABC9) is told the
same per-net wire delay that this model charges (``blocksynth.abc9_wire_ps``).
Every figure is marked in the tables: *quoted* (read from the data sheet / Yosys model),
*recalled* (well-known data-sheet value not re-read here) or *typical* (estimate).
"""
from __future__ import annotations

import math
from collections import defaultdict

__all__ = ["analyse", "launch_ns", "net_ns", "FAMILIES"]

# --------------------------------------------------------------------------- constants
# LUT6 pin delays (ns), I0..I5, xc7: Yosys cells_sim.v LUT6 specify (quoted, X-Ray db).
_LUT6_XC7 = (0.642, 0.631, 0.472, 0.407, 0.238, 0.127)

# CARRY4 arcs, xc7 (ns): Yosys cells_sim.v CARRY4 specify (quoted).  (from, to) -> delay.
_CARRY4_XC7 = {
    ("CYINIT", "O0"): .482, ("S0", "O0"): .223, ("CI", "O0"): .222,
    ("CYINIT", "O1"): .598, ("DI0", "O1"): .407, ("S0", "O1"): .400, ("S1", "O1"): .205,
    ("CI", "O1"): .334,
    ("CYINIT", "O2"): .584, ("DI0", "O2"): .556, ("DI1", "O2"): .537, ("S0", "O2"): .523,
    ("S1", "O2"): .558, ("S2", "O2"): .226, ("CI", "O2"): .239,
    ("CYINIT", "O3"): .642, ("DI0", "O3"): .615, ("DI1", "O3"): .596, ("DI2", "O3"): .438,
    ("S0", "O3"): .582, ("S1", "O3"): .618, ("S2", "O3"): .330, ("S3", "O3"): .227,
    ("CI", "O3"): .313,
    ("CYINIT", "CO0"): .536, ("DI0", "CO0"): .379, ("S0", "CO0"): .340, ("CI", "CO0"): .271,
    ("CYINIT", "CO1"): .494, ("DI0", "CO1"): .465, ("DI1", "CO1"): .445, ("S0", "CO1"): .433,
    ("S1", "CO1"): .469, ("CI", "CO1"): .157,
    ("CYINIT", "CO2"): .592, ("DI0", "CO2"): .540, ("DI1", "CO2"): .520, ("DI2", "CO2"): .356,
    ("S0", "CO2"): .512, ("S1", "CO2"): .548, ("S2", "CO2"): .292, ("CI", "CO2"): .228,
    ("CYINIT", "CO3"): .580, ("DI0", "CO3"): .526, ("DI1", "CO3"): .507, ("DI2", "CO3"): .398,
    ("DI3", "CO3"): .385, ("S0", "CO3"): .508, ("S1", "CO3"): .528, ("S2", "CO3"): .378,
    ("S3", "CO3"): .380, ("CI", "CO3"): .114,
}

# UltraScale+ -2 : 7-series -1 speed ratio, from the DSP48 "all registers" Fmax:
# DS187/DS181 -1 464 MHz (recalled) vs DS925 -2 (0.85 V) 775 MHz (quoted).
XCUP_SCALE = 464.0 / 775.0

FAMILIES = {
    "xc7": {
        "name": "Zynq-7000 -1 (xc7z020-1)",
        "scale": 1.0,
        "lut6": _LUT6_XC7,
        # MUXF7 I0/I1/S, MUXF8 I0/I1/S: Yosys specify (quoted).  No MUXF9 on 7-series.
        "muxf7": (0.217, 0.223, 0.296), "muxf8": (0.104, 0.094, 0.273),
        "muxf9": (0.104, 0.094, 0.273),
        # FF: clock-to-Q 0.456 = Vivado's 7-series -1 FDRE Prop C->Q (recalled; X-Ray: 0.303).
        # Setup D 0.05 (typical; X-Ray -0.046 -> 0), CE 0.109, R/S 0.404 (quoted, X-Ray);
        # CLR/PRE recovery taken as R (typical).
        "ff_cko": 0.456, "ff_setup": {"D": 0.05, "CE": 0.109, "R": 0.404, "S": 0.404,
                                        "CLR": 0.404, "PRE": 0.404},
        # SRL: clk->Q 1.472, clk->Q15/Q31 1.114, D setup 0.173, CE 0.109 (quoted, Yosys).
        "srl_cko": 1.472, "srl_cko_casc": 1.114, "srl_setup": {"D": 0.173, "CE": 0.109},
        # LUTRAM: WCLK->O 1.153, WE 0.654, DI 0.453, write addr (worst) 0.362 (quoted).
        # A7 (RAM128) select 0.451 = 0.276 + 0.175, crossing F7+out mux 0.368 (quoted).
        "lutram_cko": 1.153, "lutram_setup": {"WE": 0.654, "D": 0.453, "A": 0.362},
        "lutram_f7": 0.368, "lutram_sel7": 0.451, "lutram_f8": 0.104,
        # RAMB18E1/36E1 (quoted: Yosys specify = DS187/DS189 -1: TRCKO_DO 2.46, _REG 0.89,
        # TRCCK_ADDR 0.57, TRDCK_DI 0.74).  Yosys's conditions on DOA_REG are inverted
        # (&DOA_REG -> 2454); the data sheet (no register -> slow) is followed here.
        "ramb_cko": 2.454, "ramb_cko_reg": 0.882,
        "ramb_setup": {"ADDR": 0.566, "WE": 0.532, "EN": 0.532, "REGCE": 0.360,
                       "RSTREG": 0.342, "RSTRAM": 0.342, "DI": 0.737, "CAS": 0.300,
                       "default": 0.566},
        # URAM: not on 7-series.
        "uram_cko": 1.6, "uram_cko_reg": 0.5, "uram_setup": 0.6,
        # Routing allowance: base + k*log2(fanout) ns, capped (calibration: see below).
        "net_base": 0.30, "net_k": 0.07, "net_cap": 2.5,
        # Clock uncertainty + skew allowance on routed paths (typical Vivado: 0.035 ns
        # jitter-derived uncertainty + ~0.1 ns skew on a -1 7-series part).
        "clock_unc": 0.15,
        # CARRY4 per Yosys (quoted).
        "carry": "carry4",
        # Block Fmax caps (MHz).
        # DSP48E1 -1 (recalled from DS187/DS181 -1 column): all registers 464, with pattern
        # detect 393, multiply without MREG 257 (+PATDET 234), pre-adder without ADREG 280,
        # no pipeline registers (MREG, ADREG) 200 (+PATDET 181).
        "dsp_fmax": {"FMAX": 464.0, "PATDET": 393.0, "MULT_NOMREG": 257.0,
                     "MULT_NOMREG_PATDET": 234.0, "PREADD_NOADREG": 280.0,
                     "NOPIPELINEREG": 200.0, "NOPIPELINEREG_PATDET": 181.0},
        # RAMB -1 (recalled, DS187): WRITE_FIRST/NO_CHANGE 388 MHz, READ_FIRST 313 MHz.
        "ramb_fmax": {"WF_NC": 388.0, "RF": 313.0},
        "uram_fmax": None,
        # BUFG -1 (recalled, DS187): 464 MHz.
        "bufg_fmax": 464.0,
        # DSP48E1 arcs: Yosys cells_sim.v DSP48E1 functions (quoted), see _dsp_model.
    },
    "xcup": {
        "name": "Zynq UltraScale+ -2 (0.85 V)",
        "scale": XCUP_SCALE,
        # LUT/MUXF/SRL/LUTRAM: xc7 x XCUP_SCALE (typical).
        "lut6": tuple(round(d * XCUP_SCALE, 3) for d in _LUT6_XC7),
        "muxf7": (0.130, 0.134, 0.177), "muxf8": (0.062, 0.056, 0.163),
        "muxf9": (0.062, 0.056, 0.163),
        # FF (typical, Vivado US+ -2 reports ~0.08-0.10 ns clk->Q, setup ~0.03 ns).
        "ff_cko": 0.090, "ff_setup": {"D": 0.03, "CE": 0.08, "R": 0.10, "S": 0.10,
                                        "CLR": 0.10, "PRE": 0.10},
        "srl_cko": round(1.472 * XCUP_SCALE, 3), "srl_cko_casc": round(1.114 * XCUP_SCALE, 3),
        "srl_setup": {"D": 0.104, "CE": 0.065},
        "lutram_cko": round(1.153 * XCUP_SCALE, 3),
        "lutram_setup": {"WE": 0.392, "D": 0.271, "A": 0.217},
        "lutram_f7": 0.220, "lutram_sel7": 0.270, "lutram_f8": 0.062,
        # RAMB18E2/36E2 -2 (typical: DS925's table not read; between 7-series -1 2.46/0.89
        # and Versal -2 0.90/0.26 (DS958, quoted)).
        "ramb_cko": 1.25, "ramb_cko_reg": 0.40,
        "ramb_setup": {"ADDR": 0.40, "WE": 0.38, "EN": 0.38, "REGCE": 0.25, "RSTREG": 0.25,
                       "RSTRAM": 0.25, "DI": 0.45, "CAS": 0.20, "default": 0.40},
        # URAM288 -2 (typical): DOUT clk->out without OREG 1.6, with OREG 0.5; setup 0.6.
        "uram_cko": 1.6, "uram_cko_reg": 0.5, "uram_setup": 0.6,
        "net_base": 0.40, "net_k": 0.07, "net_cap": 2.0,
        "clock_unc": 0.10,
        "carry": "carry8",
        # CARRY8 (typical): S/DI[i] -> CO[j] entry 0.20 + 0.010/bit, CI -> CO[j] 0.03 +
        # 0.010/bit, XOR to O 0.06.
        "carry8": {"entry": 0.20, "ci": 0.03, "stage": 0.010, "xor": 0.06},
        # DSP48E2 -2 (quoted, DS925 "DSP48 Slice Switching Characteristics", 0.85 V -2).
        "dsp_fmax": {"FMAX": 775.0, "PATDET": 687.0, "MULT_NOMREG": 544.0,
                     "MULT_NOMREG_PATDET": 492.0, "PREADD_NOADREG": 565.0,
                     "NOPIPELINEREG": 410.0, "NOPIPELINEREG_PATDET": 379.0},
        # RAMB -2 (recalled, DS925): WRITE_FIRST/NO_CHANGE 737 MHz, READ_FIRST 645 MHz.
        "ramb_fmax": {"WF_NC": 737.0, "RF": 645.0},
        # URAM288 -2 (recalled, DS925): 650 MHz.
        "uram_fmax": 650.0,
        # BUFG -2 0.85 V (quoted, DS925 "Clock Buffers and Networks"): 775 MHz.
        "bufg_fmax": 775.0,
    },
}
# Routing calibration (the "typical path of N levels" rule of thumb, UG949):
#  xc7 -1, 200 MHz (5.0 ns) ~ 5-6 levels.  A path of N LUTs entered on a middle pin
#    (0.41 ns in the X-Ray pin table, which already holds the slice input-pin routing),
#    every net with fanout 2 (0.30 + 0.07 = 0.37 ns):
#    0.456 clk->Q + N*0.41 + (N+1)*0.37 + 0.05 setup + 0.15 unc = 4.91 ns for N=5
#    (204 MHz), 5.69 ns for N=6 (176 MHz): 5-6 levels around 200 MHz.
#  xcup -2, 300 MHz (3.33 ns) ~ 3-4 levels: LUT 0.24, net 0.40 + 0.07 = 0.47 ns:
#    0.09 + N*0.24 + (N+1)*0.47 + 0.03 + 0.10 = 2.84 ns for N=3 (352 MHz), 3.55 ns for
#    N=4 at fanout 2 (282 MHz), 3.27 ns for N=4 at fanout 1 (306 MHz).
# So the allowance is "general interconnect incl. a congestion margin" as Vivado reports it
# after place and route of a moderately full device; short local hops will be faster.
# tests/test_sta.py checks these two calibration points.

_CLOCK_PINS = {"CLK", "WCLK", "CLKARDCLK", "CLKBWRCLK", "CLKA", "CLKB", "CLKAWRCLK",
               "RDCLK", "WRCLK"}


def _is_clock(cell_type: str, base: str) -> bool:
    """Clock pins: 'C' only on flops/latches (DSP48 has a data input named C)."""
    if base == "C" or base == "G":
        return cell_type.startswith("FD") or cell_type.startswith("LD")
    return base in _CLOCK_PINS
_FF_TYPES = {"FDRE", "FDSE", "FDCE", "FDPE", "FDRE_1", "FDSE_1", "FDCE_1", "FDPE_1",
             "LDCE", "LDPE"}
_IGNORE = {"$scopeinfo", "VCC", "GND", "BUFG", "BUFGCE", "IBUF", "OBUF", "IBUFG"}
_INTERNAL = "<internal>"
_DEDICATED = {("PCOUT", "PCIN"), ("ACOUT", "ACIN"), ("BCOUT", "BCIN"),
              ("CARRYCASCOUT", "CARRYCASCIN"), ("MULTSIGNOUT", "MULTSIGNIN"),
              ("Q31", "D"), ("Q15", "D")}


# --------------------------------------------------------------------------- helpers
def launch_ns(family: str) -> float:
    """Clock-to-out of a fabric flip-flop of ``family`` (launch of a registered signal)."""
    return FAMILIES[family]["ff_cko"]


def net_ns(family: str, fanout: int = 1) -> float:
    """Routing allowance of one net of ``fanout`` sinks: base + k*log2(fanout), capped."""
    return _route(FAMILIES[family], fanout)


def _param(cell: dict, name: str, default=None):
    v = cell.get("parameters", {}).get(name)
    if v is None:
        return default
    if isinstance(v, int):
        return v
    s = str(v).strip()     # write_json pads binary-looking strings with a space
    if s and set(s) <= set("01xz"):
        return int(s.replace("x", "0").replace("z", "0"), 2)
    return s


def _pins(cell: dict):
    """(pin name with [i] when wider than one bit, base name, index, bit, direction)."""
    dirs = cell.get("port_directions", {})
    for port, bits in cell.get("connections", {}).items():
        d = dirs.get(port, "input")
        w = len(bits)
        for i, b in enumerate(bits):
            yield (f"{port}[{i}]" if w > 1 else port), port, i, b, d


def _route(fam, fanout: int) -> float:
    return min(fam["net_cap"], fam["net_base"] + fam["net_k"] * math.log2(max(1, fanout)))


# --------------------------------------------------------------------------- DSP model
def _dsp_model(cell: dict, typ: str, fam: dict) -> dict:
    """Arcs of one DSP48E1/E2 from its pipeline parameters (xc7 figures: Yosys cells_sim.v
    DSP48E1 timing functions, quoted; xcup: scaled).  Returns dict with 'req' (group ->
    setup, for groups that end at a register), 'comb' ((group, out) -> delay), 'arr'
    (out -> clock-to-out, when some register drives the output), 'cap' (fmax key)."""
    sc = fam["scale"]
    g = lambda n, d=1: _param(cell, n, d)  # noqa: E731
    areg, breg, creg, dreg = g("AREG"), g("BREG"), g("CREG"), g("DREG")
    adreg, mreg, preg = g("ADREG"), g("MREG"), g("PREG")
    use_mult = str(g("USE_MULT", "MULTIPLY")).upper()
    mult = use_mult in ("MULTIPLY", "DYNAMIC")
    if typ == "DSP48E2":
        dport = str(g("AMULTSEL", "A")).upper() == "AD" or str(g("BMULTSEL", "B")).upper() == "AD"
    else:
        dport = str(g("USE_DPORT", "FALSE")).upper() == "TRUE"
    patdet = str(g("USE_PATTERN_DETECT", "NO_PATDET")).upper() != "NO_PATDET"
    pd = 0.290 if patdet else 0.0
    # --- required (setup) of inputs that end at a register
    req, comb, arr = {}, {}, {}
    if areg or mreg or preg or (adreg and dport):
        if areg:
            r = 0.254
        elif mult and not dport:
            r = 1.416 if mreg else 2.739 + pd
        elif mult and dport:
            r = 2.400 if mreg else (1.283 if adreg else 3.723 + pd)
        else:
            r = 1.441 + pd
        req["A"] = r
    else:
        comb[("A", "P")] = 2.823 if (mult and not dport) else (3.806 if mult else 1.523)
        comb[("A", "PCOUT")] = comb[("A", "P")] + 0.148
    if breg or mreg or preg:
        if breg:
            r = 0.324
        elif mreg and mult:
            r = 1.285
        else:
            r = (2.608 if mult else 1.428) + pd
        req["B"] = r
    else:
        comb[("B", "P")] = 2.690 if mult else 1.509
        comb[("B", "PCOUT")] = comb[("B", "P")] + 0.148
    if creg or preg:
        req["C"] = 0.168 if creg else 1.244 + pd
    else:
        comb[("C", "P")] = 1.325
        comb[("C", "PCOUT")] = 1.474
    if dport:
        if dreg or adreg or mreg or preg:
            req["D"] = (0.248 if dreg else 1.195 if adreg else 2.310 if mreg
                        else 3.635 + pd)
        else:
            comb[("D", "P")] = 3.717
            comb[("D", "PCOUT")] = 3.700
    if preg:
        req["PCIN"] = 1.025 + pd
        req["CTRL"] = 0.5 + pd       # OPMODE/ALUMODE/CARRYIN/INMODE/CE/RST (typical)
    else:
        comb[("PCIN", "P")] = 1.107
        comb[("PCIN", "PCOUT")] = 1.255
        comb[("CTRL", "P")] = 1.325
        comb[("CTRL", "PCOUT")] = 1.474
    if areg or breg or creg or dreg or adreg or mreg or preg:
        req["CE"] = 0.5              # CE*/RST* of the enabled registers (typical setup)
    # --- clock-to-out of P/PCOUT
    if preg:
        arr["P"], arr["PCOUT"] = 0.329, 0.435
    else:
        cand = []
        if creg:
            cand.append(1.687)
        if mreg and mult:
            cand.append(1.671)
        if areg:
            cand.append(3.935 if (mult and dport) else 2.952 if mult else 1.632)
        if dreg and dport:
            cand.append(3.908)
        if adreg and dport:
            cand.append(2.958)
        if breg:
            cand.append(2.813 if mult else 1.616)
        if cand:
            arr["P"] = max(cand)
            arr["PCOUT"] = arr["P"] + 0.148
    # ACOUT/BCOUT: from the A/B register (typical 0.3 ns) or through (typical 0.15 ns)
    if areg:
        arr["ACOUT"] = 0.30
    else:
        comb[("A", "ACOUT")] = 0.15
    if breg:
        arr["BCOUT"] = 0.30
    else:
        comb[("B", "BCOUT")] = 0.15
    # --- Fmax configuration
    inregs = bool(areg) and bool(breg)
    if not preg:
        key = "FMAX"
    elif mult and not mreg:
        key = "NOPIPELINEREG" if (dport and not adreg) or not inregs else "MULT_NOMREG"
    elif dport and not adreg:
        key = "PREADD_NOADREG"
    else:
        key = "FMAX"
    if patdet:
        key = {"FMAX": "PATDET"}.get(key, key + "_PATDET" if key + "_PATDET" in
                                     fam["dsp_fmax"] else key)
    return {"req": {k: v * sc for k, v in req.items()},
            "comb": {k: v * sc for k, v in comb.items()},
            "arr": {k: v * sc for k, v in arr.items()}, "cap": key}


_DSP_GROUP = {"A": "A", "ACIN": "A", "B": "B", "BCIN": "B", "C": "C", "D": "D",
              "PCIN": "PCIN", "CARRYCASCIN": "PCIN", "MULTSIGNIN": "PCIN"}
_DSP_OUT = {"P": "P", "PCOUT": "PCOUT", "ACOUT": "ACOUT", "BCOUT": "BCOUT"}


def _dsp_in_group(port: str) -> str:
    if port in _DSP_GROUP:
        return _DSP_GROUP[port]
    if port.startswith("CE") or port.startswith("RST"):
        return "CE"
    return "CTRL"


def _dsp_out_kind(port: str) -> str:
    return _DSP_OUT.get(port, "P")   # CARRYOUT, PATTERN*, OVERFLOW, XOROUT ... like P


# --------------------------------------------------------------------------- analysis
class _Graph:
    def __init__(self):
        self.src, self.dst, self.cdel, self.net, self.inc = [], [], [], [], []
        self.meta = []            # (cell, type, in pin, out pin)

    def arc(self, s, d, cdel, net, inc, meta):
        self.src.append(s)
        self.dst.append(d)
        self.cdel.append(cdel)
        self.net.append(net)
        self.inc.append(inc)
        self.meta.append(meta)


_REG_TYPES = _FF_TYPES | {"SRL16E", "SRLC32E"}


def absorb_dsp48e2_registers(cells: dict) -> dict:
    """Model the DSP48E2 register absorption that Vivado does and Yosys 0.70 does not.

    Yosys's xilinx_dsp packs A/B/M/P registers into DSP48E1 cells but none into DSP48E2
    (measured: a registered 9x8 multiply gets AREG=BREG=MREG=1 on xc7, every register 0 on
    xcup), so a mapped UltraScale+ netlist has combinational DSPs between fabric flip-flops.
    Vivado synthesis pulls such registers into the slice (UG579 "DSP48E2 inference").
    For a DSP48E2 with every pipeline register off: A (or B) counts as registered (AREG/BREG=1)
    when every connected bit comes straight from a flip-flop or shift-register output whose
    loads are all DSP48E2 inputs; P counts as registered (PREG=1) when every used P bit drives
    flip-flop D pins only. The fabric registers stay in the graph (a one-net path each way).
    Returns {cell name: replaced parameters} (cells not touched are absent); ``cells`` is not
    modified."""
    driver, loads = {}, defaultdict(list)
    for cname, c in cells.items():
        for _pin, base, _i, b, d in _pins(c):
            if isinstance(b, int):
                if d == "output":
                    driver[b] = (cname, c.get("type", ""), base)
                else:
                    loads[b].append((cname, c.get("type", ""), base))
    out = {}
    for cname, c in cells.items():
        if c.get("type") != "DSP48E2":
            continue
        if any(_param(c, k, 0) for k in ("AREG", "BREG", "MREG", "PREG")):
            continue
        conns = c.get("connections", {})

        def registered_input(port):
            bits = [b for b in conns.get(port, []) if isinstance(b, int)]
            if not bits:
                return False
            for b in bits:
                drv = driver.get(b)
                if drv is None or drv[1] not in _REG_TYPES:
                    return False
                if any(t != "DSP48E2" for _n, t, _p in loads[b]):
                    return False
            return True

        pbits = [b for b in conns.get("P", []) if isinstance(b, int) and loads[b]]
        p_reg = bool(pbits) and all(all(t in _FF_TYPES and pin == "D" for _n, t, pin in loads[b])
                                    for b in pbits)
        new = dict(c.get("parameters", {}))
        new["AREG"] = "1" if registered_input("A") else new.get("AREG", "0")
        new["BREG"] = "1" if registered_input("B") else new.get("BREG", "0")
        if p_reg:
            new["PREG"] = "1"
        if new != c.get("parameters", {}):
            out[cname] = new
    return out


def analyse(netlist: dict, top: str, family: str, *, input_delay_ns=None,
            output_delay_ns=None) -> dict:
    """Estimate the timing of module ``top`` of a Yosys JSON netlist for ``family``
    ('xc7' or 'xcup'); see the module docstring for the model and the result keys."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {sorted(FAMILIES)}, not {family!r}")
    fam = FAMILIES[family]
    mod = netlist["modules"][top]
    cells = mod.get("cells", {})
    ports = mod.get("ports", {})
    absorbed = absorb_dsp48e2_registers(cells)
    if absorbed:
        cells = {n: (dict(c, parameters=absorbed[n]) if n in absorbed else c)
                 for n, c in cells.items()}

    # ---- drivers and fanout (data sinks only)
    driver = {}                               # bit -> (cellname, type, pin base)
    fanout = defaultdict(int)
    const_bits = set()
    for pname, p in ports.items():
        if p.get("direction") == "input":
            for b in p["bits"]:
                if isinstance(b, int):
                    driver[b] = (pname, "<port>", pname)
        elif p.get("direction") == "output":
            for b in p["bits"]:
                if isinstance(b, int):
                    fanout[b] += 1
    cellpins = {}
    clock_bits = set()
    for cname, c in cells.items():
        t = c.get("type", "")
        pl = cellpins[cname] = list(_pins(c))
        for pin, base, i, b, d in pl:
            if not isinstance(b, int):
                continue
            if d == "output":
                driver[b] = (cname, t, base)
                if t in ("VCC", "GND"):
                    const_bits.add(b)
            elif not _is_clock(t, base):
                fanout[b] += 1
            else:
                clock_bits.add(b)

    def route(b, sink_type: str, sink_base: str) -> float:
        drv = driver.get(b)
        if drv is not None:
            dc, dt, dp = drv
            if (dp, sink_base) in _DEDICATED and (dp not in ("Q15", "Q31")
                                                  or sink_type.startswith("SRL")):
                return 0.0
            if dp.startswith("CAS") and sink_base.startswith("CAS"):
                return 0.0
            if dt.startswith("CARRY") and sink_type.startswith("CARRY") and dp == "CO" \
                    and sink_base == "CI":
                return 0.0
            if (dt.startswith("LUT") or dt == "INV") and (
                    (sink_type.startswith("CARRY") and sink_base in ("S", "DI"))
                    or (sink_type == "MUXF7" and sink_base in ("I0", "I1"))):
                return 0.0
            if dt.startswith("MUXF") and sink_type.startswith("MUXF") \
                    and sink_base in ("I0", "I1"):
                return 0.0
        return _route(fam, fanout.get(b, 1))

    g = _Graph()
    vnode = {}
    next_v = [1 + max([1] + list(driver) + list(fanout))]   # internal (virtual) nodes
    starts = []        # (bit, clk->out, cell, type, pin)
    ends = []          # (bit, setup, net, cell, type, pin)
    caps = []          # (mhz, cell type)
    unknown = defaultdict(int)
    lut6 = fam["lut6"]
    ff_cko = fam["ff_cko"]
    ff_setup = fam["ff_setup"]

    for cname, c in cells.items():
        t = c.get("type", "")
        if t in _IGNORE or t.startswith("$scopeinfo"):
            continue
        conn = c.get("connections", {})
        pl = cellpins[cname]
        ins = [(pin, base, i, b) for pin, base, i, b, d in pl
               if d != "output" and isinstance(b, int) and not _is_clock(t, base)
               and b not in const_bits]
        outs = [(pin, base, i, b) for pin, base, i, b, d in pl
                if d == "output" and isinstance(b, int)]

        def endpoint(b, setup, pin, base):
            ends.append((b, setup, route(b, t, base), cname, t, pin))

        if t.startswith("LUT") and t != "LUT6_2":
            k = int(t[3:]) if t[3:].isdigit() else 6
            o = conn.get("O", [None])[0]
            if isinstance(o, int):
                for pin, base, i, b in ins:
                    idx = int(base[1:]) if base[1:].isdigit() else 0
                    dl = lut6[min(5, 6 - k + idx)]
                    g.arc(b, o, dl, route(b, t, base), 1, (cname, t, pin, "O"))
        elif t == "LUT6_2":
            for opin, kk in (("O6", 6), ("O5", 5)):
                o = conn.get(opin, [None])[0]
                if not isinstance(o, int):
                    continue
                for pin, base, i, b in ins:
                    idx = int(base[1:]) if base[1:].isdigit() else 0
                    if kk == 5 and idx == 5:
                        continue
                    dl = lut6[min(5, 6 - kk + idx)]
                    g.arc(b, o, dl, route(b, t, base), 1, (cname, t, pin, opin))
        elif t == "INV":
            o = conn.get("O", [None])[0]
            for pin, base, i, b in ins:
                if isinstance(o, int):
                    # timed as a LUT1; not a level (Vivado usually absorbs it in a LUT)
                    g.arc(b, o, lut6[5], route(b, t, base), 0, (cname, t, pin, "O"))
        elif t in ("MUXF7", "MUXF8", "MUXF9"):
            d0, d1, ds = fam[t.lower()]
            o = conn.get("O", [None])[0]
            for pin, base, i, b in ins:
                if isinstance(o, int):
                    dl = {"I0": d0, "I1": d1}.get(base, ds)
                    g.arc(b, o, dl, route(b, t, base), 1, (cname, t, pin, "O"))
        elif t == "CARRY4" or t == "CARRY8":
            _carry_arcs(g, c, cname, t, fam, ins, route, driver)
        elif t in _FF_TYPES:
            for pin, base, i, b in outs:
                starts.append((b, ff_cko, cname, t, pin))
            for pin, base, i, b in ins:
                endpoint(b, ff_setup.get(base, ff_setup["D"]), pin, base)
        elif t.startswith("SRL"):
            off = 0 if "32" in t else 1      # Yosys specify: SRLC32E A0 642, SRL16E A0 631
            for pin, base, i, b in outs:
                casc = base in ("Q15", "Q31")
                starts.append((b, fam["srl_cko_casc"] if casc else fam["srl_cko"],
                               cname, t, pin))
            q = conn.get("Q", [None])[0]
            for pin, base, i, b in ins:
                if base in ("D", "CE"):
                    endpoint(b, fam["srl_setup"][base], pin, base)
                elif base.startswith("A") and isinstance(q, int):
                    idx = i if base == "A" else (int(base[1:]) if base[1:].isdigit() else 0)
                    dl = lut6[min(5, off + idx)]
                    g.arc(b, q, dl, route(b, t, base), 1, (cname, t, pin, "Q"))
        elif t.startswith("RAM") and not t.startswith("RAMB"):
            _lutram(g, c, cname, t, fam, ins, outs, starts, endpoint, route)
        elif t.startswith("RAMB") or t.startswith("FIFO"):
            for pin, base, i, b in outs:
                side = "B" if ("DOB" in base or "DOUTB" in base or "DOPB" in base
                               or "DOUTPB" in base) else "A"
                reg = _param(c, f"DO{side}_REG", 0)
                starts.append((b, fam["ramb_cko_reg"] if reg else fam["ramb_cko"],
                               cname, t, pin))
            st = fam["ramb_setup"]
            for pin, base, i, b in ins:
                key = ("CAS" if base.startswith("CAS") else "ADDR" if "ADDR" in base
                       else "REGCE" if "REGCE" in base else "RSTREG" if "RSTREG" in base
                       else "RSTRAM" if "RSTRAM" in base else "WE" if base.startswith("WE")
                       else "EN" if base.startswith("EN") else "DI" if base.startswith("DI")
                       else "default")
                endpoint(b, st[key], pin, base)
            modes = {str(_param(c, "WRITE_MODE_A", "WRITE_FIRST")).upper(),
                     str(_param(c, "WRITE_MODE_B", "WRITE_FIRST")).upper()}
            caps.append((fam["ramb_fmax"]["RF" if "READ_FIRST" in modes else "WF_NC"], t))
        elif t in ("DSP48E1", "DSP48E2"):
            m = _dsp_model(c, t, fam)
            for pin, base, i, b in ins:
                grp = _dsp_in_group(base)
                if grp in m["req"]:
                    endpoint(b, m["req"][grp], pin, base)
                kinds = [(kind, dl) for (cg, kind), dl in m["comb"].items() if cg == grp]
                if kinds:
                    # one internal node per input group keeps the arc count linear
                    v = vnode.get((cname, grp))
                    if v is None:
                        v = vnode[(cname, grp)] = next_v[0]
                        next_v[0] += 1
                        for kind, dl in kinds:
                            for opin, obase, oi, ob in outs:
                                if _dsp_out_kind(obase) == kind:
                                    g.arc(v, ob, dl, 0.0, 0, (cname, t, grp, opin))
                    g.arc(b, v, 0.0, route(b, t, base), 0, (cname, t, pin, _INTERNAL))
                if grp == "CTRL" and "CTRL" not in m["req"] and ("CTRL", "P") not in m["comb"]:
                    endpoint(b, 0.5 * fam["scale"], pin, base)
            for opin, obase, oi, ob in outs:
                kind = _dsp_out_kind(obase)
                if kind in m["arr"]:
                    starts.append((ob, m["arr"][kind], cname, t, opin))
            caps.append((fam["dsp_fmax"][m["cap"]], t))
        elif t.startswith("URAM288"):
            for pin, base, i, b in outs:
                side = "B" if base.endswith("_B") else "A"
                reg = _param(c, f"OREG_{side}", "FALSE")
                reg = str(reg).upper() in ("TRUE", "1")
                starts.append((b, fam["uram_cko_reg"] if reg else fam["uram_cko"],
                               cname, t, pin))
            for pin, base, i, b in ins:
                endpoint(b, fam["uram_setup"], pin, base)
            if fam["uram_fmax"]:
                caps.append((fam["uram_fmax"], t))
        else:
            # unknown primitive: combinational all-inputs -> all-outputs, 0.5 ns (typical)
            unknown[t] += 1
            if ins and outs:
                v = next_v[0]
                next_v[0] += 1
                for opin, obase, oi, ob in outs:
                    g.arc(v, ob, 0.5 * fam["scale"], 0.0, 0, (cname, t, "*", opin))
                for pin, base, i, b in ins:
                    g.arc(b, v, 0.0, route(b, t, base), 0, (cname, t, pin, _INTERNAL))

    # ---- ports
    in_delay = fam["ff_cko"] if input_delay_ns is None else float(input_delay_ns)
    out_delay = fam["ff_setup"]["D"] if output_delay_ns is None else float(output_delay_ns)
    in_bits = {}
    out_ends = []
    for pname, p in ports.items():
        bits = p.get("bits", [])
        w = len(bits)
        for i, b in enumerate(bits):
            if not isinstance(b, int):
                continue
            label = f"{pname}[{i}]" if w > 1 else pname
            if p.get("direction") == "input":
                in_bits[b] = (pname, label)
            elif p.get("direction") == "output":
                out_ends.append((b, pname, label))


    # ---- topological order (Kahn), loops broken
    nbits = max([next_v[0]] + [1 + b for b in g.dst] + [1 + b for b in g.src])
    out_arcs = [[] for _ in range(nbits)]
    indeg = [0] * nbits
    for a, (s, d) in enumerate(zip(g.src, g.dst)):
        out_arcs[s].append(a)
        indeg[d] += 1
    nodes = set(g.src) | set(g.dst)
    order, done = [], bytearray(nbits)
    queue = [n for n in nodes if indeg[n] == 0]
    remaining = len(nodes)
    pending = None
    frontier = []        # nodes with some, not all, predecessors placed (loop entries)
    while remaining:
        while queue:
            n = queue.pop()
            if done[n]:
                continue
            done[n] = 1
            remaining -= 1
            order.append(n)
            for a in out_arcs[n]:
                d = g.dst[a]
                indeg[d] -= 1
                if indeg[d] == 0:
                    if not done[d]:
                        queue.append(d)
                elif not done[d]:
                    frontier.append(d)
        if remaining:
            # break a loop: force the entry node reached last (its arcs from the loop are
            # dropped), or any node left when no loop entry is reachable
            n = None
            while frontier:
                c = frontier.pop()
                if not done[c]:
                    n = c
                    break
            if n is None:
                if pending is None:
                    pending = sorted(n for n in nodes if not done[n])
                while pending and done[pending[-1]]:
                    pending.pop()
                n = pending.pop()
            if pending is None:
                pending = []          # marks that a loop was broken
            queue.append(n)
    loops = _count_loops(g, nodes, nbits, out_arcs) if pending is not None else 0
    del frontier
    pos = [0] * nbits
    for k, n in enumerate(order):
        pos[n] = k

    # ---- propagation
    unc = fam["clock_unc"]

    def propagate(routed: bool, from_inputs: bool = True, from_regs: bool = True,
                  in_arr: float = in_delay):
        NEG = -1e30
        arr = [NEG] * nbits
        lvl = [0] * nbits
        pred = [-1] * nbits
        smeta = {}
        if from_regs:
            for b, cko, cn, ct, pin in starts:
                if cko > arr[b]:
                    arr[b] = cko
                    smeta[b] = (cn, ct, pin, cko)
        if from_inputs:
            for b, (pname, label) in in_bits.items():
                if b in clock_bits or b in const_bits:
                    continue
                if in_arr > arr[b]:
                    arr[b] = in_arr
                    smeta[b] = (pname, "<input>", label, in_arr)
        src, dst, cdel, net, inc = g.src, g.dst, g.cdel, g.net, g.inc
        for n in order:
            an = arr[n]
            if an <= NEG:
                continue
            ln = lvl[n]
            pn = pos[n]
            for a in out_arcs[n]:
                d = dst[a]
                if pos[d] <= pn:       # arc into a forced (loop-broken) node
                    continue
                t = an + cdel[a] + (net[a] if routed else 0.0)
                if t > arr[d]:
                    arr[d] = t
                    lvl[d] = ln + inc[a]
                    pred[d] = a
        return arr, lvl, pred, smeta

    def evaluate(arr, lvl, routed):
        res = []          # (required, bit, levels, cellname, type, pin, net)
        for b, setup, netd, cn, ct, pin in ends:
            if arr[b] <= -1e29:
                continue
            n = netd if routed else 0.0
            res.append((arr[b] + n + setup + (unc if routed else 0.0), b, lvl[b], cn, ct,
                        pin, n, setup))
        for b, pname, label in out_ends:
            if arr[b] <= -1e29:
                continue
            n = route(b, "<output>", pname) if routed else 0.0
            res.append((arr[b] + n + out_delay + (unc if routed else 0.0), b, lvl[b], pname,
                        "<output>", label, n, out_delay))
        return res

    arr, lvl, pred, smeta = propagate(True)
    res = evaluate(arr, lvl, True)
    arr0, lvl0, _, _ = propagate(False)
    res0 = evaluate(arr0, lvl0, False)

    hist = defaultdict(int)
    for r in res:
        hist[r[2]] += 1
    worst = max(res, key=lambda r: r[0]) if res else None
    ns = worst[0] if worst else 0.0
    logic_ns = max((r[0] for r in res0), default=0.0)

    # ---- back-trace of the worst path
    wdict = {"start": None, "start_pin": None, "end": None, "end_pin": None, "levels": 0,
             "ns": 0.0, "setup_ns": 0.0, "clock_uncertainty_ns": unc, "path": []}
    if worst:
        req, b, levels, cn, ct, pin, n, setup = worst
        chain = []
        x = b
        guard = 0
        while pred[x] >= 0 and guard < nbits:
            a = pred[x]
            chain.append(a)
            x = g.src[a]
            guard += 1
        chain.reverse()
        steps, inpin = [], None
        for a in chain:
            mc, mt, mi, mo = g.meta[a]
            if mo == _INTERNAL:          # input pin -> internal node of a DSP/unknown cell
                inpin = mi
                continue
            steps.append({"cell": mc, "type": mt, "pin": f"{inpin or mi}->{mo}",
                          "at_ns": round(arr[g.dst[a]], 3)})
            inpin = None
        sm = smeta.get(x, ("?", "?", "?", arr[x]))
        path = [{"cell": sm[0], "type": sm[1], "pin": sm[2], "at_ns": round(sm[3], 3)}]
        path += steps
        path.append({"cell": cn, "type": ct, "pin": pin, "at_ns": round(req, 3)})
        wdict = {"start": sm[0], "start_pin": sm[2], "end": cn, "end_pin": pin,
                 "levels": levels, "ns": round(req, 3), "setup_ns": round(setup, 3),
                 "clock_uncertainty_ns": unc, "path": path}

    # ---- ports
    arr_r, _, _, _ = propagate(True, from_inputs=False)
    port_out = {}
    for b, pname, label in out_ends:
        if arr_r[b] > -1e29:
            v = arr_r[b]                 # at the pin driving the port (no port net)
            port_out[pname] = round(max(port_out.get(pname, 0.0), v), 3)
    port_in, through = _port_paths(g, order, pos, out_arcs, nbits, ends, out_ends, in_bits,
                                   clock_bits | const_bits, unc, fam["net_base"])

    # ---- Fmax and caps
    caps.append((fam["bufg_fmax"], "BUFG"))
    cap = None
    for mhz, ct in caps:
        if cap is None or mhz < cap[0]:
            cap = (mhz, ct)
    fmax = 1000.0 / ns if ns > 0 else float("inf")
    cap_d = None
    if cap is not None and cap[0] <= fmax:
        cap_d = {"mhz": cap[0], "cell": cap[1]}
        fmax = cap[0]
    method = (f"open STA estimate for {fam['name']}: bit-level timing graph, one topological "
              f"pass; cell arcs from Yosys cells_sim.v/X-Ray (xc7) or scaled (xcup); routing "
              f"{fam['net_base']:.2f}+{fam['net_k']:.2f}*log2(fanout) ns per net "
              f"(none on carry/DSP cascades, slice-local LUT->CARRY/MUXF); clock uncertainty "
              f"{unc:.2f} ns; DSP/RAMB/URAM/BUFG block Fmax caps")
    out = {
        "family": family,
        "method": method,
        "logic_ns": round(logic_ns, 3),
        "ns": round(ns, 3),
        "fmax_mhz": round(fmax, 1) if math.isfinite(fmax) else fmax,
        "cap": cap_d,
        "worst": wdict,
        "levels_histogram": dict(sorted(hist.items())),
        "endpoints": len(res),
        "ports": {"in": port_in, "out": port_out, "through": through},
        "loops": loops,
        "input_delay_ns": round(in_delay, 3),
        "output_delay_ns": round(out_delay, 3),
    }
    if unknown:
        out["unknown_cells"] = dict(unknown)
    return out


def _carry_arcs(g, c, cname, t, fam, ins, route, driver):
    conn = c.get("connections", {})
    o_bits = conn.get("O", [])
    co_bits = conn.get("CO", [])
    outs = [("O", j, b) for j, b in enumerate(o_bits)] + \
           [("CO", j, b) for j, b in enumerate(co_bits)]
    # a CARRY entered through CI from another CARRY's CO continues the chain: no new level

    def level_inc(base, b):
        if base in ("CI", "CI_TOP"):
            drv = driver.get(b)
            if drv is not None and drv[1].startswith("CARRY"):
                return 0
        return 1

    if t == "CARRY4":
        table = _CARRY4_XC7
        sc = fam["scale"]
        for pin, base, i, b in ins:
            key_in = base if base in ("CI", "CYINIT") else f"{base}{i}"
            inc = level_inc(base, b)
            for oname, j, ob in outs:
                if not isinstance(ob, int):
                    continue
                dl = table.get((key_in, f"{oname}{j}"))
                if dl is None:
                    continue
                g.arc(b, ob, dl * sc, route(b, t, base), inc,
                      (cname, t, pin, f"{oname}[{j}]"))
        return
    p = fam.get("carry8") or {"entry": 0.33, "ci": 0.05, "stage": 0.017, "xor": 0.10}
    dual = str(_param(c, "CARRY_TYPE", "SINGLE_CY8")).upper() == "DUAL_CY4"
    for pin, base, i, b in ins:
        inc = level_inc(base, b)
        if base == "CI":
            lo, first, d0 = 0, 0, p["ci"]
        elif base == "CI_TOP":
            if not dual:
                continue
            lo, first, d0 = 4, 4, p["ci"]
        else:              # S[i] / DI[i]
            lo, first, d0 = i, i, p["entry"]
        hi = 3 if (dual and lo < 4) else 7
        for oname, j, ob in outs:
            if not isinstance(ob, int) or j < first or j > hi:
                continue
            if oname == "CO":
                if base == "S" or base == "DI" or base.startswith("CI"):
                    dl = d0 + (j - first) * p["stage"]
                else:
                    continue
            else:  # O[j] = S[j] ^ carry into j
                if base == "S" and j == i:
                    dl = p["xor"]
                elif base == "DI" and j == i:
                    continue
                elif base.startswith("CI") and j == first:
                    dl = p["ci"] + p["xor"]
                else:
                    if j - 1 < first:
                        continue
                    dl = d0 + (j - 1 - first) * p["stage"] + p["xor"]
            g.arc(b, ob, dl, route(b, t, base), inc, (cname, t, pin, f"{oname}[{j}]"))


def _lutram(g, c, cname, t, fam, ins, outs, starts, endpoint, route):
    """LUT RAM: outputs start at write-clock-to-out and are also reached asynchronously from
    the read address; write data/address/WE are endpoints."""
    lut6 = fam["lut6"]
    st = fam["lutram_setup"]
    for pin, base, i, b in outs:
        starts.append((b, fam["lutram_cko"], cname, t, pin))
    depth = 64
    digits = "".join(ch for ch in t[3:].split("X")[0] if ch.isdigit())
    if digits:
        depth = int(digits)
    multi = t.startswith("RAM32M") or t.startswith("RAM64M")
    out_by = defaultdict(list)
    for pin, base, i, b in outs:
        out_by[base].append((pin, b))

    def addr_delay(idx):
        if idx >= 6:
            return fam["lutram_sel7"] + (fam["lutram_f8"] if depth > 128 and idx == 6 else 0)
        extra = fam["lutram_f7"] if depth > 64 else 0.0
        if depth > 128:
            extra += fam["lutram_f8"]
        return lut6[min(5, idx)] + extra        # Yosys specify: A0 642 .. A5 127

    for pin, base, i, b in ins:
        # write side
        if base in ("WE", "WE0", "WE1"):
            endpoint(b, st["WE"], pin, base)
            continue
        if base == "D" or base.startswith("DI"):
            endpoint(b, st["D"], pin, base)
            continue
        targets = []
        if multi and base.startswith("ADDR"):
            port = base[4:]
            targets = out_by.get(f"DO{port}", [])
            last = "H" if t.endswith("8") or t.endswith("16") else "D"
            if port == last:
                endpoint(b, st["A"], pin, base)   # the write address port
            idx = i
        elif base.startswith("DPRA"):
            targets = out_by.get("DPO", [])
            idx = i if base == "DPRA" else int(base[4:] or 0)
        elif base.startswith("A") or base.startswith("ADR"):
            targets = out_by.get("SPO", []) or out_by.get("O", [])
            idx = i if base in ("A", "ADR") else int("".join(ch for ch in base if ch.isdigit())
                                                       or 0)
            endpoint(b, st["A"], pin, base)
        else:
            endpoint(b, st["A"], pin, base)
            continue
        for opin, ob in targets:
            g.arc(b, ob, addr_delay(idx), route(b, t, base), 1, (cname, t, pin, opin))


def _count_loops(g, nodes, nbits, out_arcs) -> int:
    """Strongly connected components with a cycle (iterative Tarjan)."""
    index = [-1] * nbits
    low = [0] * nbits
    onstack = bytearray(nbits)
    stack, count, idx = [], 0, 0
    for root in nodes:
        if index[root] != -1:
            continue
        work = [(root, 0)]
        index[root] = low[root] = idx
        idx += 1
        stack.append(root)
        onstack[root] = 1
        while work:
            v, k = work[-1]
            arcs = out_arcs[v]
            if k < len(arcs):
                work[-1] = (v, k + 1)
                w = g.dst[arcs[k]]
                if index[w] == -1:
                    index[w] = low[w] = idx
                    idx += 1
                    stack.append(w)
                    onstack[w] = 1
                    work.append((w, 0))
                elif onstack[w]:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
                if low[v] == index[v]:
                    size, selfloop = 0, False
                    while True:
                        w = stack.pop()
                        onstack[w] = 0
                        size += 1
                        if w == v:
                            break
                    if size == 1:
                        selfloop = any(g.dst[a] == v for a in out_arcs[v])
                    if size > 1 or selfloop:
                        count += 1
    return count


def _port_paths(g, order, pos, out_arcs, nbits, ends, out_ends, in_bits, skip, unc, base):
    """Block-boundary figures, for composing blocks (see ``net_ns``): ports.in = from the
    input pin (the port net counted by its fanout term only) to the worst register endpoint
    incl. setup and clock uncertainty; ports.through = 'in->out' from the input pin to the
    cell pin driving the output port (combinational paths only)."""
    NEG = -1e30
    # backward pass: tail[n] = worst delay from node n to a register endpoint incl. setup
    tail = [NEG] * nbits
    for b, setup, netd, cn, ct, pin in ends:
        v = netd + setup + unc
        if v > tail[b]:
            tail[b] = v
    src, dst, cdel, net = g.src, g.dst, g.cdel, g.net
    for n in reversed(order):
        best = tail[n]
        pn = pos[n]
        for a in out_arcs[n]:
            d = dst[a]
            if pos[d] <= pn or tail[d] <= NEG:
                continue
            v = cdel[a] + net[a] + tail[d]
            if v > best:
                best = v
        tail[n] = best
    port_in = {}
    for b, (pname, label) in in_bits.items():
        if b in skip or tail[b] <= NEG:
            continue
        v = max(0.0, tail[b] - base)
        port_in[pname] = round(max(port_in.get(pname, 0.0), v), 3)
    # through paths: backward cone of each output port
    through = {}
    outs_by_port = defaultdict(list)
    for b, pname, label in out_ends:
        outs_by_port[pname].append(b)
    in_arcs = defaultdict(list)
    for a, d in enumerate(dst):
        in_arcs[d].append(a)
    for pname, bits in outs_by_port.items():
        t = {}
        for b in bits:
            t[b] = 0.0
        # cone nodes in reverse topological order
        cone, stackn, seen = [], list(t), set(t)
        while stackn:
            n = stackn.pop()
            cone.append(n)
            for a in in_arcs.get(n, ()):
                s = src[a]
                if s not in seen:
                    seen.add(s)
                    stackn.append(s)
        cone.sort(key=lambda n: -pos[n])
        for n in cone:
            best = t.get(n, NEG)
            for a in out_arcs[n] if n < nbits else ():
                d = dst[a]
                if d in t and pos[d] > pos[n]:
                    v = cdel[a] + net[a] + t[d]
                    if v > best:
                        best = v
            if best > NEG:
                t[n] = best
        for b, (iname, label) in in_bits.items():
            if b in skip or b not in t:
                continue
            key = f"{iname}->{pname}"
            v = 0.0 if b in bits else max(0.0, t[b] - base)
            through[key] = round(max(through.get(key, 0.0), v), 3)
    return port_in, through
