"""The network of J as a torch module, shared by gradient descent and ``to_torch``.

:class:`BNModule` is ``Linear(bias=False) -> BatchNorm1d -> ReLU -> Linear``.
Called with one argument it is that ordinary torch network; called as
``net(X, c)`` with row weights it computes the library's training-mode BN
(weighted batch statistics, no ``eps``), the network inside the objective J.
"""

from __future__ import annotations

import torch
from torch.nn.utils import parametrize

from ._statistics import weighted_moments

#: ``eps`` of the exported ``BatchNorm1d`` (torch's default), when the variances allow it
EXPORT_EPS = 1e-5


class _InputWeights(torch.nn.Module):
    """Weight of the first ``Linear``, ``(basis @ coefficients).T`` (no basis: identity)."""

    def __init__(self, basis: torch.Tensor | None):
        super().__init__()
        self.register_buffer("basis", basis if basis is not None else torch.empty(0))

    def forward(self, coefficients: torch.Tensor) -> torch.Tensor:
        W = self.basis @ coefficients if self.basis.numel() else coefficients
        return W.T


class _OutputWeights(torch.nn.Module):
    """Weight of the output ``Linear``, ``(V * output_mask).T`` (no mask: ``V.T``)."""

    def __init__(self, output_mask: torch.Tensor | None):
        super().__init__()
        self.register_buffer("output_mask",
                             output_mask if output_mask is not None else torch.empty(0))

    def forward(self, V: torch.Tensor) -> torch.Tensor:
        return (V * self.output_mask if self.output_mask.numel() else V).T


def _linear(n_in: int, n_out: int, *, bias: bool = True, dtype=None,
            device=None) -> torch.nn.Linear:
    """A Linear layer whose weights are set afterwards: its initial draw (on the CPU)
    leaves torch's global generators as they were. (``torch.nn.utils.skip_init`` does
    the same through the meta device, which imports SymPy on first use: half a second
    at the first fit of a process.)"""
    with torch.random.fork_rng(devices=[]):
        layer = torch.nn.Linear(n_in, n_out, bias=bias, dtype=dtype)
    return layer.to(device)


def _reparametrize(layer: torch.nn.Linear, parametrization: torch.nn.Module,
                   original: torch.Tensor) -> None:
    """Train ``original`` in place of ``layer.weight`` (which becomes its image)."""
    parametrize.register_parametrization(layer, "weight", parametrization, unsafe=True)
    layer.parametrizations.weight.original = torch.nn.Parameter(original)


class BNModule(torch.nn.Sequential):
    """``relu(gamma * (X W - mean) / std + beta) V + b`` as ``Linear -> BatchNorm1d -> ReLU -> Linear``.

    Parameters
    ----------
    coefficients : Tensor of shape (n_features, n_neurons), or (k, n_neurons) with a basis
        First-layer weights ``W``, or their coordinates in ``basis`` (``W = basis @
        coefficients``, e.g. the top principal directions for ``n_components``).
    gamma, beta : Tensor of shape (n_neurons,)
        BN scale and shift.
    V : Tensor of shape (n_neurons, n_outputs)
        Output weights.
    b : Tensor of shape (n_outputs,)
        Output bias.
    basis : Tensor of shape (n_features, k) or None
    output_mask : Tensor of shape (n_neurons, n_outputs) or None
        Zeros and ones: which outputs each neuron feeds (one each: the architecture
        of the convex program).
    statistics : (mean, std) or None
        None: a network to train, whose parameters are ``coefficients``, ``gamma``,
        ``beta``, ``b`` and ``V`` (masked). Else the BN statistics of eval mode: the
        layers then hold plain weights ``W`` and ``V``, ``BatchNorm1d`` has
        ``eps=1e-5`` (0 when a variance is that small) and running variance
        ``std**2 - eps``, so that eval-mode outputs are exactly
        ``relu(gamma * (X W - mean) / std + beta) V + b``.

    Notes
    -----
    ``net(X, c)`` normalizes by the statistics of the batch weighted by ``c``
    (summing to one): weighted mean and biased standard deviation, without
    ``eps`` (a neuron with a constant pre-activation gets a tiny floor instead), in
    either mode. ``net(X)`` runs the layers as torch does (batch statistics with
    ``eps`` in training mode, running statistics in eval mode).
    """

    def __init__(self, coefficients, gamma, beta, V, b, basis=None, output_mask=None, *,
                 statistics=None):
        n_features = coefficients.shape[0] if basis is None else basis.shape[0]
        n_neurons, n_outputs = V.shape
        eps = EXPORT_EPS
        if statistics is not None and float((statistics[1] ** 2).min()) <= EXPORT_EPS:
            eps = 0.0
        options = {"dtype": coefficients.dtype, "device": coefficients.device}
        super().__init__(
            _linear(n_features, n_neurons, bias=False, **options),
            torch.nn.BatchNorm1d(n_neurons, eps=eps, **options),
            torch.nn.ReLU(),
            _linear(n_neurons, n_outputs, **options),
        )
        with torch.no_grad():
            self[1].weight.copy_(gamma)
            self[1].bias.copy_(beta)
            self[3].bias.copy_(b)
        if statistics is None:
            _reparametrize(self[0], _InputWeights(basis), coefficients)
            _reparametrize(self[3], _OutputWeights(output_mask),
                           V if output_mask is None else V * output_mask)
            return
        mean, std = statistics
        with torch.no_grad():
            W = coefficients if basis is None else basis @ coefficients
            self[0].weight.copy_(W.T)
            self[3].weight.copy_((V if output_mask is None else V * output_mask).T)
            self[1].running_mean.copy_(mean)
            self[1].running_var.copy_(std**2 - eps)
        self.eval()

    def __getitem__(self, index):
        if isinstance(index, slice):  # a part of the network is an ordinary Sequential
            return torch.nn.Sequential(*list(self)[index])
        return super().__getitem__(index)

    @property
    def coefficients(self) -> torch.Tensor:
        """The trained first-layer parameter (``W``, or its coordinates in the basis)."""
        return self[0].parametrizations.weight.original

    @property
    def W(self) -> torch.Tensor:
        """First-layer weights, shape (n_features, n_neurons)."""
        return self[0].weight.T

    @property
    def gamma(self) -> torch.Tensor:
        return self[1].weight

    @property
    def beta(self) -> torch.Tensor:
        return self[1].bias

    @property
    def V(self) -> torch.Tensor:
        """Output weights (n_neurons, n_outputs); each neuron feeds only its outputs."""
        return self[3].weight.T

    @property
    def b(self) -> torch.Tensor:
        return self[3].bias

    def forward(self, X: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """Outputs on ``X``; with row weights ``c`` (summing to 1), weighted batch BN."""
        if c is None:
            return super().forward(X)
        H = X @ self.W
        mean, std = weighted_moments(H, c, floor=torch.finfo(H.dtype).tiny ** 0.5)
        A = self.gamma * (H - mean) / std + self.beta
        return torch.relu(A) @ self.V + self.b

    def outputs_with_statistics_of(self, X_train, c_train, X) -> torch.Tensor:
        """Eval-mode outputs on ``X`` with the BN statistics of the rows ``X_train``."""
        with torch.no_grad():
            W = self.W
            mean, std = weighted_moments(X_train @ W, c_train, floor=1e-300)
            A = torch.relu(self.gamma * (X @ W - mean) / std + self.beta)
            return A @ self.V + self.b
