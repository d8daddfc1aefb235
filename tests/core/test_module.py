"""The torch module of the network, shared by gradient descent and ``to_torch``."""

import numpy as np
import torch

from sk_convexbn._core._module import BNModule
from sk_convexbn._core._network import normalized_network


def _trainable(rng, d=3, m=4, n_outputs=2, **kwargs):
    t = lambda a: torch.tensor(a, dtype=torch.float64)  # noqa: E731
    return BNModule(t(rng.standard_normal((d, m))), t(rng.uniform(0.5, 1.5, m)),
                    t(rng.standard_normal(m)), t(rng.standard_normal((m, n_outputs))),
                    t(rng.standard_normal(n_outputs)), **kwargs)


def test_the_exported_module_is_an_ordinary_torch_sequential(rng):
    X = rng.standard_normal((20, 3))
    net = normalized_network(X, None, rng.standard_normal((3, 4)), np.ones(4), np.zeros(4),
                             rng.standard_normal((4, 2)), np.zeros(2))
    module = net.to_torch()
    assert isinstance(module, torch.nn.Sequential) and not module.training
    assert [type(layer) for layer in module] == [
        torch.nn.Linear, torch.nn.BatchNorm1d, torch.nn.ReLU, torch.nn.Linear]
    assert module[0].bias is None
    assert sorted(module.state_dict()) == sorted(
        ["0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var",
         "1.num_batches_tracked", "3.weight", "3.bias"])
    head = module[:3]
    assert type(head) is torch.nn.Sequential and len(head) == 3


def test_weighted_statistics_are_batchnorm_in_training_mode(rng):
    X = torch.tensor(rng.standard_normal((30, 3)))
    net = _trainable(rng).train()
    net[1].eps = 1e-12  # the library's BN has no eps; torch needs one in training mode
    uniform = torch.full((30,), 1.0 / 30, dtype=torch.float64)
    with torch.no_grad():
        np.testing.assert_allclose(net(X, uniform).numpy(), net(X).numpy(), rtol=1e-10,
                                   atol=1e-10)
        # integer weights are repeated rows
        counts = torch.tensor(rng.integers(1, 4, 30))
        weighted = net(X, counts.double() / counts.sum())
        repeated = net(torch.repeat_interleave(X, counts, dim=0))
    np.testing.assert_allclose(torch.repeat_interleave(weighted, counts, dim=0).numpy(),
                               repeated.numpy(), rtol=1e-10, atol=1e-10)


def test_basis_and_output_mask_shape_the_trained_network(rng):
    basis = torch.tensor(np.linalg.qr(rng.standard_normal((5, 2)))[0])
    mask = torch.tensor(np.eye(2)[np.arange(4) % 2])
    net = _trainable(rng, d=2, basis=basis, output_mask=mask)
    np.testing.assert_array_equal(net.W.detach().numpy(),
                                  (basis @ net.coefficients).detach().numpy())
    X = torch.tensor(rng.standard_normal((10, 5)))
    net(X, torch.full((10,), 0.1, dtype=torch.float64)).sum().backward()
    assert torch.all(net.V[mask == 0] == 0)
    grad = net[3].parametrizations.weight.original.grad
    assert torch.all(grad[mask == 0] == 0) and torch.any(grad[mask == 1] != 0)
