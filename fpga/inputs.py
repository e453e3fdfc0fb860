"""Where check inputs come from (shared by csim, cosim and the board runner):
the user's .npy, else the model's dataset test split, else seeded random in-range frames.

A user's .npy holds raw integers of the input format (e.g. 0..255 for ufixed<8,0>), shaped
(N, H, W, C) or (H, W, C); float arrays are accepted when every value is an exact multiple of
the format's step (e.g. pixels / 256).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .errors import FpgaError
from .graph import Graph
from .reference import check_input


def load_npy(path, graph: Graph) -> np.ndarray:
    path = Path(path)
    if not path.exists():
        raise FpgaError(f"inputs file not found: {path}")
    try:
        x = np.load(path, allow_pickle=False)
    except Exception as e:
        raise FpgaError(f"cannot read {path} as a .npy array: {e}") from None
    if np.issubdtype(x.dtype, np.floating):
        scaled = x * 2.0 ** graph.input.out_fmt.frac
        if not np.array_equal(scaled, np.round(scaled)):
            raise FpgaError(f"{path}: float inputs must be exact {graph.input.out_fmt.hls()} "
                            "values; pass raw integers instead")
        x = np.round(scaled).astype(np.int64)
    return check_input(graph, x)


def dataset_frames(project: Path, graph: Graph, n: int):
    """(frames, labels) of the test split of the dataset the model was trained on (digits),
    cycled to n frames, or None when the project does not know its dataset."""
    manifest = json.loads((project / "manifest.json").read_text())
    dataset = ((manifest.get("training") or {}).get("dataset") or {}).get("name")
    if dataset != "digits":
        return None
    from . import data
    h, w, c = graph.input.out_shape
    ds = data.load_digits(size=h, channels=c)
    idx = np.arange(n) % len(ds.x_test)
    return check_input(graph, ds.x_test[idx].astype(np.int64)), ds.y_test[idx]


def random_frames(graph: Graph, n: int, seed: int = 0) -> np.ndarray:
    fmt = graph.input.out_fmt
    rng = np.random.default_rng(seed)
    return rng.integers(fmt.raw_min, fmt.raw_max + 1, size=(n,) + tuple(graph.input.out_shape))


def frames_for(project, graph: Graph, n: int, inputs=None, seed: int = 0):
    """Returns (frames, description, labels or None)."""
    if n < 1:
        raise FpgaError("--frames must be >= 1")
    if inputs:
        x = load_npy(inputs, graph)
        return x[:n], f"{len(x[:n])} frames from {inputs}", None
    found = dataset_frames(Path(project), graph, n)
    if found is not None:
        return found[0], f"{n} frames of the digits test split", found[1]
    return random_frames(graph, n, seed), f"{n} random in-range frames (seed {seed})", None
