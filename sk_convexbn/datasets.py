"""Loaders for image data sets that take a local path (no downloads).

:func:`load_cifar10` reads either the JPEG archive shipped with this project's data
(``train/<class>/NNNN.jpg``, ``test/<class>/NNNN.jpg`` inside a ``.tar.xz``) or the
standard ``cifar-10-python.tar.gz`` of pickled batches, and caches the decoded
arrays on disk.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

#: The usual CIFAR-10 label order (label k is CIFAR10_CLASSES[k]).
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)


def _default_cache_dir() -> Path:
    root = os.environ.get("SK_CONVEXBN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "sk_convexbn")
    return Path(root)


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def _decode_jpeg(data: bytes) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "decoding the CIFAR-10 JPEG archive needs Pillow: pip install 'sk_convexbn[images]'"
        ) from exc
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _read_archive(path: Path) -> dict:
    """Decode either layout in one streaming pass over the archive.

    The archive is read as a stream (``r|*``): compressed tar files cannot seek
    back cheaply, so each member is handled as it comes.
    """
    index = {name: k for k, name in enumerate(CIFAR10_CLASSES)}
    images = {"train": [], "test": []}
    labels = {"train": [], "test": []}
    with tarfile.open(path, mode="r|*") as archive:
        for member in archive:
            if not member.isfile():
                continue
            parts = Path(member.name).parts
            name = parts[-1]
            if name.startswith("data_batch_") or name == "test_batch":
                split = "test" if name == "test_batch" else "train"
                batch = pickle.load(archive.extractfile(member), encoding="bytes")
                block = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
                images[split].extend(block.transpose(0, 2, 3, 1))
                labels[split].extend(int(v) for v in batch[b"labels"])
            elif name.lower().endswith(".jpg") and len(parts) >= 3:
                split, label = parts[-3], parts[-2]
                if split in images and label in index:
                    images[split].append(_decode_jpeg(archive.extractfile(member).read()))
                    labels[split].append(index[label])
    if not images["train"] and not images["test"]:
        raise ValueError(
            f"'{path}' holds neither CIFAR-10 layout (pickled data_batch_* files or "
            "train/<class>/*.jpg images)."
        )
    return {f"X_{s}": np.stack(images[s]) if images[s] else np.zeros((0, 32, 32, 3), np.uint8)
            for s in images} | {f"y_{s}": np.asarray(labels[s], dtype=np.int64) for s in labels}


def load_cifar10(path, *, cache: bool = True, cache_dir=None) -> Bunch:
    """Load CIFAR-10 (50,000 training and 10,000 test images) from a local archive.

    Parameters
    ----------
    path : str or os.PathLike
        The JPEG archive (``.tar.xz`` with ``train/<class>/*.jpg`` and
        ``test/<class>/*.jpg``) or the standard ``cifar-10-python.tar.gz``.
    cache : bool, default=True
        Store the decoded arrays (about 180 MB) and reuse them on later calls.
    cache_dir : str or os.PathLike, default=None
        Where the cache lives; by default ``$SK_CONVEXBN_CACHE`` or
        ``~/.cache/sk_convexbn``.

    Returns
    -------
    Bunch
        ``X_train`` (50000, 32, 32, 3) uint8, ``y_train`` (50000,) int64,
        ``X_test`` (10000, 32, 32, 3) uint8, ``y_test`` (10000,) int64 and
        ``classes`` (label k is ``classes[k]``, the usual CIFAR-10 order). Images
        keep the archive's order (the JPEG archive is sorted by class).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist (nothing is downloaded).
    ValueError
        If the archive holds neither layout.

    Examples
    --------
    >>> from sk_convexbn.datasets import load_cifar10
    >>> data = load_cifar10("../shared/data/cifar10-jpg.tar.xz")  # doctest: +SKIP
    >>> data.X_train.shape, data.X_train.dtype, data.y_test.shape  # doctest: +SKIP
    ((50000, 32, 32, 3), dtype('uint8'), (10000,))

    The loader never downloads; a missing archive is a clear error:

    >>> load_cifar10("missing.tar.xz")
    Traceback (most recent call last):
    ...
    FileNotFoundError: CIFAR-10 archive not found at 'missing.tar.xz' ...
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"CIFAR-10 archive not found at '{path}' (this loader never downloads: pass "
            "the path of cifar10-jpg.tar.xz or cifar-10-python.tar.gz)."
        )
    cached = None
    if cache:
        cache_root = Path(cache_dir) if cache_dir is not None else _default_cache_dir()
        cached = cache_root / f"cifar10-{_fingerprint(path)}.npz"
        if cached.is_file():
            with np.load(cached) as stored:
                return Bunch(**{k: stored[k] for k in stored.files}, classes=CIFAR10_CLASSES)
    arrays = _read_archive(path)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(cached)
    return Bunch(**arrays, classes=CIFAR10_CLASSES)
