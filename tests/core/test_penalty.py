"""The spectral penalty: the factor on gamma^2 in NumPy and torch, and its gradient."""

import numpy as np
import torch

from sk_convexbn._core._penalty import SpectralPenalty
from sk_convexbn._core._whitening import Whitening

from conftest import spectral_penalty_factors


def test_plain_batch_normalization_has_unit_factors(rng):
    X = rng.standard_normal((40, 3))
    penalty = SpectralPenalty.from_whitening(Whitening.fit(X))
    assert not penalty.weighted
    np.testing.assert_array_equal(penalty.scale_factors(rng.standard_normal((3, 4))), 1.0)


def test_factors_along_principal_directions(rng):
    X = rng.standard_normal((40, 3)) * np.array([2.0, 1.0, 0.5])
    wh = Whitening.fit(X, spectral_power=1.0)
    penalty = SpectralPenalty.from_whitening(wh)
    # along the top principal direction no extra penalty; along the last, (s1 / s3)^2
    sigma = wh.singular_values
    np.testing.assert_allclose(penalty.scale_factors(wh.components), (sigma[0] / sigma) ** 2,
                               rtol=1e-10)


def test_numpy_torch_and_an_independent_svd_agree(rng):
    X = rng.standard_normal((50, 4)) * np.array([3.0, 1.0, 0.5, 0.2])
    W = rng.standard_normal((4, 6))
    penalty = SpectralPenalty.from_whitening(Whitening.fit(X, spectral_power=0.7))
    expected = spectral_penalty_factors(X, W, 0.7)
    np.testing.assert_allclose(penalty.scale_factors(W), expected, rtol=1e-10)
    Wt = torch.tensor(W, requires_grad=True)
    kappa = penalty.scale_factors(Wt)
    np.testing.assert_allclose(kappa.detach().numpy(), expected, rtol=1e-10)
    # differentiable, and invariant to the scale of each w (so its gradient is orthogonal to w)
    kappa.sum().backward()
    np.testing.assert_allclose((Wt.grad * Wt).sum(0).detach().numpy(), 0.0, atol=1e-10)


def test_value_is_the_weight_decay_of_J(rng):
    X = rng.standard_normal((30, 3)) * np.array([2.0, 1.0, 0.3])
    penalty = SpectralPenalty.from_whitening(Whitening.fit(X, spectral_power=1.0))
    W, gamma, beta = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal(2)
    V = rng.standard_normal((2, 3))
    kappa = spectral_penalty_factors(X, W, 1.0)
    expected = 0.5 * 0.1 * (np.sum(kappa * gamma**2) + np.sum(beta**2) + np.sum(V**2))
    assert np.isclose(penalty.value(W, gamma, beta, V, 0.1), expected, rtol=1e-12)
