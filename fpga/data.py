"""Datasets as raw 8-bit images, the accelerator's own input format.

Every loader returns ``uint8`` images of shape (N, H, W, C) and ``int64`` labels. The
accelerator reads each pixel as ``ufixed<8,0>``, so the model sees ``raw / 256``
(:func:`to_model_input`); 255 becomes 0.99609375, never 1.0.

Sources (:func:`load_dataset`):

* ``digits``: scikit-learn's 8x8 handwritten digits (1797 images, values 0..16), resized with
  :func:`resize` (bilinear when enlarging, area average when shrinking) to the model's input
  size, then scaled to 0..255 (``round(v * 255 / 16)``) and replicated to C channels.
* ``FILE.npz``: arrays ``x`` (N, H, W[, C]) and ``y`` (N,). ``x`` is uint8 (or integers in
  0..255) or floats in [0, 1]; floats become ``min(floor(x * 256), 255)``, which recovers the
  raw byte both for ``raw / 256`` and for ``raw / 255`` data. Optional ``x_test``/``y_test``
  give the test split; otherwise the split below is used. The image size must match the model.
* ``FOLDER``: one sub-folder per class (class index = sorted sub-folder name), images in
  PNG, PGM/PPM (P2/P3/P5/P6) or ``.npy``; other formats (JPEG...) only if Pillow is installed.
  Images are resized to the model's input size; colour -> grey uses ITU-R 601 weights.

Split: stratified, ``TEST_FRACTION`` = 20 % of each class (rounded half-to-even; at least one
test image per class with two or more images), shuffled with
``numpy.random.default_rng(SPLIT_SEED)``, seed 0, independent of the training seed. For digits
this gives 1438 train / 359 test images (35-37 test images per class).
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import FpgaError

SPLIT_SEED = 0
TEST_FRACTION = 0.2
IMAGE_EXTENSIONS = (".png", ".pgm", ".ppm", ".pnm", ".npy")
PILLOW_EXTENSIONS = (".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


@dataclass
class Dataset:
    name: str
    x_train: np.ndarray          # uint8 (N, H, W, C)
    y_train: np.ndarray          # int64 (N,)
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int
    class_names: list = field(default_factory=list)
    source: str = ""
    preprocessing: str = ""
    split: dict = field(default_factory=dict)

    @property
    def shape(self):
        return tuple(int(s) for s in self.x_train.shape[1:])

    def describe(self) -> dict:
        h, w, c = self.shape
        return {"name": self.name, "source": self.source, "height": h, "width": w,
                "channels": c, "classes": self.classes, "class_names": list(self.class_names),
                "train": int(len(self.y_train)), "test": int(len(self.y_test)),
                "split": dict(self.split), "preprocessing": self.preprocessing,
                "input_format": "ufixed<8,0>: model input = raw / 256"}

    def limit(self, n_train: int | None = None, n_test: int | None = None) -> "Dataset":
        """The first n images of each split (the splits are already shuffled)."""
        d = Dataset(**{k: getattr(self, k) for k in self.__dataclass_fields__})
        if n_train:
            d.x_train, d.y_train = self.x_train[:n_train], self.y_train[:n_train]
        if n_test:
            d.x_test, d.y_test = self.x_test[:n_test], self.y_test[:n_test]
        d.split = dict(self.split, limit_train=n_train, limit_test=n_test)
        return d


def to_model_input(raw) -> np.ndarray:
    """Raw uint8 pixels -> the float32 values the QKeras model (and ufixed<8,0>) sees."""
    return np.asarray(raw, dtype=np.float32) / np.float32(256.0)


# ---------------------------------------------------------------------------------- resizing

def _axis_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) resampling weights: bilinear (half-pixel centres) when enlarging or
    keeping the size, area average (exact pixel overlap) when shrinking."""
    m = np.zeros((n_out, n_in), dtype=np.float64)
    scale = n_in / n_out
    if n_out >= n_in:
        for i in range(n_out):
            src = (i + 0.5) * scale - 0.5
            lo = int(np.floor(src))
            t = src - lo
            m[i, min(max(lo, 0), n_in - 1)] += 1.0 - t
            m[i, min(max(lo + 1, 0), n_in - 1)] += t
    else:
        for i in range(n_out):
            a, b = i * scale, (i + 1) * scale
            for j in range(int(np.floor(a)), min(int(np.ceil(b)), n_in)):
                m[i, j] = min(b, j + 1) - max(a, j)
            m[i] /= scale
    return m


def resize(images, size) -> np.ndarray:
    """Resize (H, W[, C]) or (N, H, W, C) images to ``size`` (int or (h, w)); float64 out."""
    x = np.asarray(images, dtype=np.float64)
    oh, ow = (size, size) if np.isscalar(size) else size
    if x.ndim == 2:
        x = x[:, :, None]
    batched = x.ndim == 4
    if not batched:
        x = x[None]
    mh, mw = _axis_matrix(x.shape[1], oh), _axis_matrix(x.shape[2], ow)
    y = np.einsum("ih,nhwc,jw->nijc", mh, x, mw, optimize=True)
    return y if batched else y[0]


def _to_uint8(x, what: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype == np.uint8:
        return x
    if x.dtype.kind in "iu":
        if x.size and (x.min() < 0 or x.max() > 255):
            raise FpgaError(f"{what}: integer pixels must be in 0..255, got {x.min()}..{x.max()}")
        return x.astype(np.uint8)
    if x.dtype.kind == "f":
        if not np.all(np.isfinite(x)):
            raise FpgaError(f"{what}: pixels contain NaN or infinity")
        if x.size and (x.min() < 0 or x.max() > 1):
            raise FpgaError(f"{what}: float pixels must be in [0, 1], got "
                            f"{x.min():g}..{x.max():g}")
        return np.minimum(np.floor(x.astype(np.float64) * 256), 255).astype(np.uint8)
    raise FpgaError(f"{what}: pixels must be uint8 or float in [0, 1], got dtype {x.dtype}")


def _set_channels(x: np.ndarray, channels: int, what: str) -> np.ndarray:
    """(N, H, W, c) uint8 -> (N, H, W, channels): grey replicated, colour to grey, alpha dropped."""
    c = x.shape[-1]
    if c == channels:
        return x
    if c == 1:
        return np.repeat(x, channels, axis=-1)
    if c in (3, 4) and channels == 1:
        rgb = x[..., :3].astype(np.int64)
        grey = (299 * rgb[..., 0] + 587 * rgb[..., 1] + 114 * rgb[..., 2] + 500) // 1000
        return grey[..., None].astype(np.uint8)
    if c == 4 and channels == 3:
        return x[..., :3]
    raise FpgaError(f"{what}: cannot convert {c} channels to {channels}")


# ---------------------------------------------------------------------------------- the split

def stratified_split(y, test_fraction: float = TEST_FRACTION, seed: int = SPLIT_SEED):
    """Indices (train, test), each shuffled; per class round(n * fraction) test images."""
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_test = int(round(len(idx) * test_fraction))
        if len(idx) >= 2:
            n_test = min(max(n_test, 1), len(idx) - 1)
        test.extend(idx[:n_test])
        train.extend(idx[n_test:])
    return rng.permutation(np.array(train, dtype=np.int64)), \
        rng.permutation(np.array(test, dtype=np.int64))


def _split_info(test_fraction=TEST_FRACTION, seed=SPLIT_SEED, how="stratified"):
    return {"method": how, "test_fraction": test_fraction, "seed": seed}


def _labels(y, what: str, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise FpgaError(f"{what}: labels must be a 1-D array of class indices, got shape {y.shape}")
    if len(y) != n:
        raise FpgaError(f"{what}: {n} images but {len(y)} labels")
    if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        y = y.astype(np.int64)
    if y.dtype.kind not in "iu":
        raise FpgaError(f"{what}: labels must be integers, got dtype {y.dtype}")
    if y.size and y.min() < 0:
        raise FpgaError(f"{what}: labels must be >= 0, got {y.min()}")
    return y.astype(np.int64)


def check_classes(ds: Dataset, classes: int | None) -> Dataset:
    """Use ``classes`` outputs (or the dataset's count); labels must fit."""
    top = int(max(ds.y_train.max(initial=-1), ds.y_test.max(initial=-1)))
    if classes is None:
        ds.classes = max(ds.classes, top + 1)
    elif top >= classes:
        raise FpgaError(f"label {top} is out of range for a model with {classes} classes")
    else:
        ds.classes = classes
    return ds


# ---------------------------------------------------------------------------------- sources

def load_digits(size: int = 32, channels: int = 1) -> Dataset:
    """scikit-learn's digits, resized to size x size, 0..255, stratified 80/20 split."""
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    img = d.images.astype(np.float64)[..., None]                  # (1797, 8, 8, 1), 0..16
    img = resize(img, size) if size != 8 else img
    raw = np.clip(np.round(img * (255.0 / 16.0)), 0, 255).astype(np.uint8)
    raw = _set_channels(raw, channels, "digits")
    y = d.target.astype(np.int64)
    tr, te = stratified_split(y)
    return Dataset("digits", raw[tr], y[tr], raw[te], y[te], classes=10,
                   class_names=[str(i) for i in range(10)],
                   source="sklearn.datasets.load_digits (UCI ML hand-written digits, 8x8)",
                   preprocessing=f"8x8 0..16 -> {size}x{size} bilinear -> round(v*255/16) "
                                 f"-> uint8, {channels} channel(s)",
                   split=_split_info())


def load_npz(path, size: int | None = None, channels: int | None = None) -> Dataset:
    path = Path(path)
    if not path.exists():
        raise FpgaError(f"data file not found: {path}")
    try:
        f = np.load(path, allow_pickle=False)
    except Exception as e:
        raise FpgaError(f"cannot read {path} as .npz: {str(e).splitlines()[0][:150]}") from e
    if not hasattr(f, "files"):
        raise FpgaError(f"{path} is a single .npy array; expected an .npz with 'x' and 'y'")
    missing = [k for k in ("x", "y") if k not in f.files]
    if missing:
        raise FpgaError(f"{path}: missing array(s) {', '.join(missing)} "
                        f"(found: {', '.join(f.files) or 'none'})")
    has_test = "x_test" in f.files and "y_test" in f.files

    def images(key):
        x = f[key]
        if x.ndim == 3:
            x = x[..., None]
        if x.ndim != 4:
            raise FpgaError(f"{path}: '{key}' must have shape (N, H, W) or (N, H, W, C), "
                            f"got {x.shape}")
        if x.shape[0] == 0:
            raise FpgaError(f"{path}: '{key}' holds no images")
        x = _to_uint8(x, f"{path}: '{key}'")
        if size is not None and x.shape[1:3] != (size, size):
            raise FpgaError(f"{path}: images are {x.shape[1]}x{x.shape[2]} but the model input "
                            f"is {size}x{size}")
        if channels is not None and x.shape[3] != channels:
            raise FpgaError(f"{path}: images have {x.shape[3]} channel(s) but the model input "
                            f"has {channels}")
        return x

    x = images("x")
    y = _labels(f["y"], f"{path}: 'y'", len(x))
    if has_test:
        xt = images("x_test")
        if xt.shape[1:] != x.shape[1:]:
            raise FpgaError(f"{path}: 'x_test' images {xt.shape[1:]} differ from 'x' {x.shape[1:]}")
        yt = _labels(f["y_test"], f"{path}: 'y_test'", len(xt))
        split = {"method": "given (x_test, y_test)"}
        rng = np.random.default_rng(SPLIT_SEED)
        order = rng.permutation(len(y))
        x, y = x[order], y[order]
    else:
        tr, te = stratified_split(y)
        x, y, xt, yt = x[tr], y[tr], x[te], y[te]
        split = _split_info()
    return Dataset(path.stem, x, y, xt, yt, classes=int(max(y.max(), yt.max(initial=-1))) + 1,
                   source=str(path), preprocessing="as stored (floats: min(floor(x*256), 255))",
                   split=split)


def load_folder(path, size: int, channels: int | None = None) -> Dataset:
    path = Path(path)
    if not path.exists():
        raise FpgaError(f"data folder not found: {path}")
    subdirs = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subdirs:
        raise FpgaError(f"{path}: no class sub-folders (expected one folder of images per class)")
    xs, ys = [], []
    for label, d in enumerate(subdirs):
        files = sorted(p for p in d.iterdir() if p.is_file() and not p.name.startswith(".")
                       and p.suffix.lower() in IMAGE_EXTENSIONS + PILLOW_EXTENSIONS)
        if not files:
            raise FpgaError(f"{d}: no images ({', '.join(IMAGE_EXTENSIONS)})")
        for p in files:
            img = read_image(p)                                         # (h, w, c) uint8
            if img.shape[:2] != (size, size):
                img = np.clip(np.round(resize(img, size)), 0, 255).astype(np.uint8)
            xs.append(img)
            ys.append(label)
    if channels is None:
        channels = 3 if any(im.shape[2] >= 3 for im in xs) else 1
    x = np.stack([_set_channels(im[None], channels, str(path))[0] for im in xs])
    y = np.array(ys, dtype=np.int64)
    tr, te = stratified_split(y)
    return Dataset(path.name, x[tr], y[tr], x[te], y[te], classes=len(subdirs),
                   class_names=[d.name for d in subdirs], source=str(path),
                   preprocessing=f"resized to {size}x{size} (bilinear up / area down), "
                                 f"{channels} channel(s)",
                   split=_split_info())


def load_dataset(source: str, size: int | None = None, channels: int | None = None,
                 classes: int | None = None) -> Dataset:
    """``digits``, an ``.npz`` file or an image folder; see the module docstring."""
    if source == "digits":
        ds = load_digits(size or 32, channels or 1)
    elif str(source).lower().endswith(".npz"):
        ds = load_npz(source, size, channels)
    elif Path(source).is_dir():
        ds = load_folder(source, size or 32, channels)
    elif not Path(source).exists():
        raise FpgaError(f"data not found: {source} (use 'digits', a .npz file or a folder)")
    else:
        raise FpgaError(f"{source}: unsupported data (use 'digits', a .npz file or a folder)")
    return check_classes(ds, classes)


# ---------------------------------------------------------------------------------- images

def read_image(path) -> np.ndarray:
    """One image file -> (H, W, C) uint8 (C = 1, 3 or 4)."""
    path = Path(path)
    ext = path.suffix.lower()
    try:
        if ext == ".npy":
            img = np.load(path, allow_pickle=False)
            img = img[..., None] if img.ndim == 2 else img
            if img.ndim != 3:
                raise FpgaError(f"{path}: expected an (H, W[, C]) array, got {img.shape}")
            return _to_uint8(img, str(path))
        data = path.read_bytes()
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            return _read_png(data)
        if data[:2] in (b"P2", b"P3", b"P5", b"P6"):
            return _read_pnm(data)
    except FpgaError:
        raise
    except Exception as e:
        raise FpgaError(f"cannot read image {path}: {str(e).splitlines()[0][:150]}") from e
    try:
        from PIL import Image
    except ImportError:
        raise FpgaError(f"cannot read image {path}: only PNG, PGM/PPM and .npy are built in "
                        f"(install Pillow for other formats)") from None
    try:
        with Image.open(path) as im:
            im = im.convert("L" if im.mode in ("1", "L", "I", "I;16", "F") else "RGB")
            a = np.asarray(im, dtype=np.uint8)
    except Exception as e:
        raise FpgaError(f"cannot read image {path}: {str(e).splitlines()[0][:150]}") from e
    return a[..., None] if a.ndim == 2 else a


def _read_pnm(data: bytes) -> np.ndarray:
    magic = data[:2]
    tokens, pos = [], 2
    while len(tokens) < 3:               # width, height, maxval (comments start with '#')
        while pos < len(data) and data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            while pos < len(data) and data[pos:pos + 1] not in (b"\n", b"\r"):
                pos += 1
            continue
        start = pos
        while pos < len(data) and not data[pos:pos + 1].isspace():
            pos += 1
        if start == pos:
            raise ValueError("truncated PNM header")
        tokens.append(int(data[start:pos]))
    w, h, maxval = tokens
    c = 3 if magic in (b"P3", b"P6") else 1
    if magic in (b"P2", b"P3"):
        vals = np.array(data[pos:].split(), dtype=np.int64)[: w * h * c]
    else:
        body = data[pos + 1:]
        dt = np.dtype(">u2") if maxval > 255 else np.dtype(np.uint8)
        vals = np.frombuffer(body, dtype=dt, count=w * h * c).astype(np.int64)
    if vals.size != w * h * c:
        raise ValueError("truncated PNM data")
    img = vals.reshape(h, w, c)
    if maxval != 255:
        img = (img * 255 + maxval // 2) // maxval
    return np.clip(img, 0, 255).astype(np.uint8)


def _read_png(data: bytes) -> np.ndarray:
    pos, idat, palette, trns, ihdr = 8, [], None, None, None
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", chunk)
        elif ctype == b"PLTE":
            palette = np.frombuffer(chunk, dtype=np.uint8).reshape(-1, 3)
        elif ctype == b"tRNS":
            trns = np.frombuffer(chunk, dtype=np.uint8)
        elif ctype == b"IDAT":
            idat.append(chunk)
        elif ctype == b"IEND":
            break
    if ihdr is None:
        raise ValueError("PNG without IHDR")
    w, h, depth, ctype, _, _, interlace = ihdr
    if interlace:
        raise ValueError("interlaced PNG is not supported without Pillow")
    samples = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    bits = samples * depth
    stride = (w * bits + 7) // 8
    bpp = max(1, bits // 8)
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    if raw.size < h * (stride + 1):
        raise ValueError("truncated PNG data")
    rows = raw[: h * (stride + 1)].reshape(h, stride + 1)
    out = np.zeros((h, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int64)
    for r in range(h):
        f, line = rows[r, 0], rows[r, 1:].astype(np.int64)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        elif f == 1:                       # Sub: running sum per byte position within a pixel
            pad = (-stride) % bpp
            cur = np.cumsum(np.concatenate([line, np.zeros(pad, np.int64)]).reshape(-1, bpp),
                            axis=0).reshape(-1)[:stride] & 255
        elif f in (3, 4):
            cur = np.zeros(stride, dtype=np.int64)
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                if f == 3:
                    cur[i] = (line[i] + ((a + b) >> 1)) & 255
                else:
                    c = prev[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                    cur[i] = (line[i] + pred) & 255
        else:
            raise ValueError(f"bad PNG filter type {f}")
        out[r] = cur
        prev = cur
    if depth == 16:
        img = out.reshape(h, w, samples * 2)[..., 0::2]               # high byte
    elif depth == 8:
        img = out.reshape(h, w, samples)
    else:                                                             # 1, 2, 4-bit grey/palette
        bitsarr = np.unpackbits(out, axis=1).reshape(h, -1, depth)
        vals = np.zeros(bitsarr.shape[:2], dtype=np.int64)
        for k in range(depth):
            vals = (vals << 1) | bitsarr[..., k]
        img = vals[:, :w, None]
        if ctype == 0:
            img = img * 255 // ((1 << depth) - 1)
        img = img.astype(np.uint8)
    if ctype == 3:
        if palette is None:
            raise ValueError("palette PNG without PLTE")
        idx = img[..., 0].astype(np.int64)
        rgb = palette[idx]
        if trns is not None:
            alpha = np.full(len(palette), 255, np.uint8)
            alpha[: len(trns)] = trns[: len(palette)]
            return np.concatenate([rgb, alpha[idx][..., None]], axis=-1)
        return rgb
    if ctype == 4:                                                    # grey + alpha: drop alpha
        return np.ascontiguousarray(img[..., :1])
    return np.ascontiguousarray(img.astype(np.uint8))
