"""Shared fixtures: small QKeras models and their converted projects (built once a session)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Per-block synthesis results (fpga/blocksynth.py) go to a cache of this test session, so that
# a test run never reads what an earlier run (or the user) left in ~/.cache/fpga.
if "FPGA_CACHE_DIR" not in os.environ:
    import tempfile
    os.environ["FPGA_CACHE_DIR"] = tempfile.mkdtemp(prefix="fpga-test-cache-")
REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO / "models" / "squeezenet_mini_digits.h5"


def _quiet(_msg):
    pass


def make_model(tmp: Path, name: str, seed: int = 1, **spec):
    """An untrained model with He-initialised kernels and random biases, so that every
    layer carries non-trivial values (the bias path and saturation are exercised)."""
    import numpy as np
    from fpga.modelio import save_model
    from fpga.zoo import SqueezeNetSpec, build
    model = build(SqueezeNetSpec(**spec), name=name, seed=seed)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if type(layer).__name__ == "QConv2D":
            layer.bias.assign(rng.uniform(-0.3, 0.3, layer.bias.shape).astype("float32"))
    path = tmp / f"{name}.h5"
    save_model(model, path)
    return path


def make_project(tmp: Path, model_path: Path, name: str, **kw) -> Path:
    from fpga.hls.convert import convert
    out = tmp / name
    convert(model_path, out, progress=_quiet, **kw)
    return out


# make test runs on both cores (pytest-xdist, -n 2): whole files go to a worker (module and
# session fixtures are built once per worker), test_timing.py with test_synth.py (both run Yosys
# on the default model's blocks, shared through the block cache only within one worker), and the
# longest files start first so that neither worker is left with a long one at the end.
SAME_WORKER = {"tests/test_timing.py": "tests/test_synth.py"}
LONG_FIRST = ("tests/test_synth.py", "tests/test_timing.py", "tests/test_fuzz.py",
              "tests/test_ctrl_regs.py", "tests/test_cosim.py", "tests/test_weight_load.py",
              "tests/test_fast_engine.py", "tests/test_hls_axis.py", "tests/test_csim.py",
              "tests/test_overlap_pool.py", "tests/test_fit.py")


def _file(nodeid: str) -> str:
    return nodeid.split("::")[0]


def pytest_collection_modifyitems(config, items):
    rank = {f: i for i, f in enumerate(LONG_FIRST)}
    items.sort(key=lambda it: rank.get(_file(it.nodeid), len(rank)))   # stable: files stay whole


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return SAME_WORKER.get(_file(nodeid), _file(nodeid))

    config.option.loadscopereorder = False     # keep LONG_FIRST's order
    return ByFile(config, log)


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fpga")


@pytest.fixture(scope="session")
def default_project(workdir):
    """The shipped default model, converted."""
    assert DEFAULT_MODEL.exists(), "the default model must be shipped in models/"
    return make_project(workdir, DEFAULT_MODEL, "default")


@pytest.fixture(scope="session")
def bypass64_model(workdir):
    return make_model(workdir, "v11_bypass_64", arch="squeezenet1_1", input_size=64,
                      channels=3, classes=10, width=0.25, bypass=True, seed=3)


@pytest.fixture(scope="session")
def bypass64_project(workdir, bypass64_model):
    return make_project(workdir, bypass64_model, "v11_bypass_64")
