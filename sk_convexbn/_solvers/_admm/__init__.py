"""ADMM for the exact (cone-constrained) convex BN program, written with torch tensors.

The splitting is ``A_b u_b = s_b, s_b >= 0`` with ``A_b = (2 D_p(b) - I) Z``; the
intercept ``b`` is copied into one free variable ``q_i = b`` per row. Because ``Z``
is whitened, ``A_b^T C A_b = diag(column_scales)`` (``C = diag(w) / N``, the metric
of the data term), so every step has a closed form or a scalar root:

* u-step: one GEMM with ``Z^T`` and a group soft-threshold per block; the intercept
  is a weighted mean;
* s-step: ``max(v, 0)`` where a block's pattern is off. Where it is on, the entries
  of one (row, output) couple only through the loss, and the minimizer is
  ``s_b = max(v_b - sigma_b phi / rho, 0)``, ``q = v_q - phi / rho``, with the scalar
  ``phi`` the root of a monotone equation (safeguarded Newton, warm-started). For a
  loss that couples the outputs of a row (softmax), ``phi`` is a vector of
  ``R^n_outputs`` per row, found by Newton's method with small dense solves;
* dual step elementwise; one GEMM with ``Z`` gives ``A_b u_b`` for all blocks.

Modules: ``_problem`` (torch views of the program), ``_steps`` (the three steps),
``_certificate`` (networks, dual value, duality gap), ``_solver`` (the driver and
the solver object).
"""

from ._solver import ADMMSolver, ADMMState, solve_admm

__all__ = ["ADMMSolver", "ADMMState", "solve_admm"]
