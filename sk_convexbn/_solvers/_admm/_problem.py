"""Torch views of a ConvexProgram in the (n_samples, n_outputs, 2, n_patterns) layout of ADMM."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..._core._losses import Loss
from ..._program import ConvexProgram


class ADMMProblem:
    """The arrays of a program on one device and dtype, laid out for ADMM.

    Blocks are laid out as ``(n_outputs, 2, n_patterns)`` (patterns innermost, so
    that broadcasts over rows and signs stay vectorized); an (n_samples, n_blocks)
    tensor is viewed as (n_samples, n_outputs, 2, n_patterns) by :meth:`view`.
    ``c`` holds the row coefficients ``w_i / N`` (the diagonal of the metric).
    """

    def __init__(self, program: ConvexProgram, device: torch.device, dtype: torch.dtype):
        if program.gates is None:
            raise ValueError("the ADMM solver needs the gates of the patterns (program.gates)")
        as_t = lambda a: torch.as_tensor(np.asarray(a), dtype=dtype, device=device)  # noqa: E731
        n, P, n_outputs = program.n_samples, program.n_patterns, program.n_outputs
        self.n, self.P, self.n_outputs, self.B = n, P, n_outputs, 2 * P * n_outputs
        self.Z = as_t(program.Z)
        self.c = as_t(program.row_coefficients)
        self.Zc = self.Z * self.c[:, None]
        self.Y = as_t(program.targets)
        self.loss: Loss = program.loss
        self.alpha = float(program.alpha)
        self.fit_intercept = bool(program.fit_intercept)
        self.scales = None if np.allclose(program.column_scales, 1.0) else as_t(
            program.column_scales)
        self.on = torch.as_tensor(program.patterns, device=device).reshape(n, 1, 1, P)
        self.cone_sign = self.on.to(dtype) * 2.0 - 1.0  # +1 where on, -1 where off
        self.on_float = self.on.to(dtype)
        self.off_float = 1.0 - self.on_float
        # added to v, it removes the entries where the pattern is off from the row sums
        self.off_offset = torch.zeros((n, 1, 1, P), dtype=dtype, device=device)
        self.off_offset.masked_fill_(~self.on, -math.inf)
        self.sigma = torch.tensor([1.0, -1.0], dtype=dtype, device=device).view(1, 1, 2, 1)
        self.sigma_rows = self.sigma.view(2, 1).expand(2, P).reshape(2 * P)
        self.ones_rows = torch.ones(2 * P, dtype=dtype, device=device)
        self.dtype, self.device = dtype, device
        self.eps = torch.finfo(dtype).eps
        self.gates = as_t(program.gates)  # (K, P)
        Zg = self.Z @ self.gates  # (n, P); (2D - I) Z g = |Z g| >= 0
        self.gate_outputs = Zg.view(n, 1, 1, P)
        self.gate_margins = Zg.abs().view(n, 1, 1, P)

    def view(self, T: torch.Tensor) -> torch.Tensor:
        """(n, B) -> (n, n_outputs, 2, P)."""
        return T.view(self.n, self.n_outputs, 2, self.P)

    def signed_row_sums(self, T: torch.Tensor) -> torch.Tensor:
        """``sum_(p, sign) sigma * T`` for an (n, B) tensor -> (n, n_outputs)."""
        return (T.view(self.n * self.n_outputs, 2 * self.P) @ self.sigma_rows).view(
            self.n, self.n_outputs)

    def weighted_norm(self, T: torch.Tensor) -> float:
        """``||T||_c = sqrt(sum_i c_i ||T_i||^2)``."""
        return float(torch.sqrt(self.c @ torch.linalg.vector_norm(T, dim=1) ** 2))
