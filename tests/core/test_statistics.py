"""Weighted BN statistics: weights act like repeated rows, in NumPy and torch."""

import numpy as np
import torch

from sk_convexbn._core._statistics import weighted_moments


def test_integer_weights_are_repeated_rows_and_backends_agree(rng):
    H = rng.standard_normal((9, 3))
    w = rng.integers(1, 4, 9).astype(float)
    mean, std = weighted_moments(H, w / w.sum())
    repeated = np.repeat(H, w.astype(int), axis=0)
    np.testing.assert_allclose(mean, repeated.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(std, repeated.std(axis=0), rtol=1e-12)  # biased, as BN
    tmean, tstd = weighted_moments(torch.tensor(H), torch.tensor(w / w.sum()))
    np.testing.assert_allclose(tmean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(tstd.numpy(), std, rtol=1e-12)


def test_floor_keeps_constant_columns_differentiable():
    H = torch.ones((5, 2), dtype=torch.float64, requires_grad=True)
    c = torch.full((5,), 0.2, dtype=torch.float64)
    _, std = weighted_moments(H, c, floor=1e-20)
    std.sum().backward()
    assert torch.isfinite(H.grad).all()
    assert np.allclose(std.detach().numpy(), 1e-10)
