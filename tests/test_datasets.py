import io
import pickle
import tarfile

import numpy as np
import pytest

from sk_convexbn.datasets import CIFAR10_CLASSES, load_cifar10


def _add(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def test_python_batches(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "cifar-10-python.tar.gz"
    train = rng.integers(0, 256, (4, 3 * 32 * 32), dtype=np.uint8)
    test = rng.integers(0, 256, (2, 3 * 32 * 32), dtype=np.uint8)
    with tarfile.open(path, "w:gz") as archive:
        _add(archive, "cifar-10-batches-py/data_batch_1",
             pickle.dumps({b"data": train, b"labels": [0, 3, 9, 1]}))
        _add(archive, "cifar-10-batches-py/test_batch",
             pickle.dumps({b"data": test, b"labels": [5, 2]}))
        _add(archive, "cifar-10-batches-py/batches.meta", pickle.dumps({}))
    data = load_cifar10(path, cache_dir=tmp_path / "cache")
    assert data.X_train.shape == (4, 32, 32, 3) and data.X_train.dtype == np.uint8
    np.testing.assert_array_equal(data.y_train, [0, 3, 9, 1])
    np.testing.assert_array_equal(data.y_test, [5, 2])
    # channel-first rows become (height, width, channel)
    np.testing.assert_array_equal(data.X_train[1, :, :, 2], train[1, 2048:].reshape(32, 32))
    again = load_cifar10(path, cache_dir=tmp_path / "cache")  # from the cache
    np.testing.assert_array_equal(again.X_train, data.X_train)
    assert list((tmp_path / "cache").iterdir())


def test_jpeg_tree(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    path = tmp_path / "cifar10-jpg.tar.xz"
    with tarfile.open(path, "w:xz") as archive:
        for split, label, value in [("train", "cat", 40), ("train", "truck", 200),
                                    ("test", "airplane", 120)]:
            buffer = io.BytesIO()
            Image.fromarray(np.full((32, 32, 3), value, np.uint8)).save(buffer, "JPEG")
            _add(archive, f"{split}/{label}/0001.jpg", buffer.getvalue())
    data = load_cifar10(path, cache=False)
    assert [CIFAR10_CLASSES[k] for k in data.y_train] == ["cat", "truck"]
    assert data.y_test.tolist() == [0]
    assert abs(int(data.X_train[1].mean()) - 200) <= 2  # JPEG is lossy


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="never downloads"):
        load_cifar10(tmp_path / "nope.tar.gz")


def test_unknown_layout(tmp_path):
    path = tmp_path / "other.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        _add(archive, "readme.txt", b"hello")
    with pytest.raises(ValueError, match="neither CIFAR-10 layout"):
        load_cifar10(path, cache=False)
