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
    """Test-split frames of the dataset the model was trained on, if the project knows it."""
    manifest = json.loads((project / "manifest.json").read_text())
    dataset = (manifest.get("training") or {}).get("dataset")
    if dataset != "digits":
        return None
    from . import data
    h, w, c = graph.input.out_shape
    x, _ = data.digits_split(size=h, channels=c, split="test")
    if len(x) == 0:
        return None
    reps = -(-n // len(x))
    x = np.concatenate([x] * reps)[:n]
    return check_input(graph, x.reshape(len(x), h, w, c).astype(np.int64))


def random_frames(graph: Graph, n: int, seed: int = 0) -> np.ndarray:
    fmt = graph.input.out_fmt
    rng = np.random.default_rng(seed)
    return rng.integers(fmt.raw_min, fmt.raw_max + 1, size=(n,) + tuple(graph.input.out_shape))


def frames_for(project, graph: Graph, n: int, inputs=None, seed: int = 0):
    """Returns (frames, description)."""
    if n < 1:
        raise FpgaError("--frames must be >= 1")
    if inputs:
        x = load_npy(inputs, graph)
        return x[:n], f"{len(x[:n])} frames from {inputs}"
    x = dataset_frames(Path(project), graph, n)
    if x is not None:
        return x, f"{n} frames of the digits test split"
    return random_frames(graph, n, seed), f"{n} random in-range frames (seed {seed})"
