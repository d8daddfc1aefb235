"""The network as NumPy arrays: forward pass, objective, torch export and its edge cases."""

import numpy as np
import pytest
import torch

from sk_convexbn._core._losses import make_loss
from sk_convexbn._core._network import BNNetwork, normalized_network


def _network(rng, d=3, m=4, n_outputs=2):
    X = rng.standard_normal((30, d))
    return X, normalized_network(X, None, rng.standard_normal((d, m)), rng.standard_normal(m),
                                 rng.standard_normal(m), rng.standard_normal((m, n_outputs)),
                                 rng.standard_normal(n_outputs))


def test_normalized_hidden_weights_have_unit_training_std(rng):
    X, net = _network(rng)
    np.testing.assert_allclose(net.bn_std, 1.0, rtol=1e-12)
    np.testing.assert_allclose(net.bn_mean, (X @ net.hidden_weights).mean(axis=0), atol=1e-12)


def test_to_torch_equals_forward_in_both_precisions(rng):
    X, net = _network(rng)
    module = net.to_torch()
    assert not module.training
    with torch.no_grad():
        out = module(torch.from_numpy(X)).numpy()
        out32 = net.to_torch(torch.float32)(torch.from_numpy(X).float()).numpy()
    np.testing.assert_allclose(out, net.forward(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out32, net.forward(X), rtol=1e-4, atol=1e-4)


def test_an_empty_network_exports_its_intercept(rng):
    net = BNNetwork(np.zeros((3, 0)), np.zeros(0), np.ones(0), np.zeros(0), np.zeros(0),
                    np.zeros((0, 2)), np.array([0.5, -1.0]))
    X = rng.standard_normal((4, 3))
    np.testing.assert_array_equal(net.forward(X), np.tile([0.5, -1.0], (4, 1)))
    with torch.no_grad():
        out = net.to_torch()(torch.from_numpy(X)).numpy()
    np.testing.assert_array_equal(out, net.forward(X))
    assert net.n_neurons == 0
    J = net.objective(X, np.zeros((4, 2)), None, make_loss("squared_error", 2), 0.1)
    assert J == pytest.approx(0.5 * (0.25 + 1.0))


def test_a_constant_neuron_is_an_error(rng):
    X = rng.standard_normal((10, 2))
    W = np.array([[1.0, 0.0], [0.0, 0.0]])  # the second neuron sees nothing
    with pytest.raises(ValueError, match="constant pre-activation"):
        normalized_network(X, None, W, np.ones(2), np.zeros(2), np.ones((2, 1)), np.zeros(1))


def test_objective_uses_training_mode_statistics(rng):
    # J recomputes the BN statistics of the rows it is given (training mode), unlike forward
    X, net = _network(rng, n_outputs=1)
    shifted = X + 1.0
    loss = make_loss("squared_error", 1)
    y = rng.standard_normal((30, 1))
    assert net.objective(shifted, y, None, loss, 0.0) == pytest.approx(
        net.objective(X, y, None, loss, 0.0), rel=1e-12)
    assert not np.allclose(net.forward(shifted), net.forward(X))
