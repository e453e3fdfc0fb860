"""Loading and saving QKeras models, with one-line errors for bad files."""
from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import FpgaError


def load_model(path):
    """Load a QKeras model (.h5 or .keras) saved by ``save_model`` or by the user."""
    path = Path(path)
    if not path.exists():
        raise FpgaError(f"model file not found: {path}")
    if path.is_dir() and not (path / "saved_model.pb").exists():
        raise FpgaError(f"{path} is a folder, not a model file")
    import tensorflow as tf
    from qkeras.utils import _add_supported_quantized_objects

    custom = {}
    _add_supported_quantized_objects(custom)
    try:
        return tf.keras.models.load_model(path, custom_objects=custom, compile=False)
    except Exception as e:  # Keras raises many types for a corrupt file
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise FpgaError(f"cannot read model {path}: {first[:200]}") from e


def save_model(model, path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part" + path.suffix)
    model.save(tmp, include_optimizer=False)
    tmp.replace(path)


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
