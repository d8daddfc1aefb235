"""What ADMM certifies: networks defined by its blocks, a dual lower bound, the duality gap.

The certificate is the relative duality gap ``(J - D) / J``: ``J`` is the objective
of a network defined by the blocks (ReLU outputs, not pattern masks, so constraint
violations count), ``D`` the value of the dual at a feasible point built from the
ADMM multipliers, a lower bound on the optimum over the sampled patterns. The
network returned is the iterate moved into its cones along each pattern's gate: a
feasible point, so its ``J`` is the program's objective there, an upper bound on
the optimum, and the gap is never negative. (The iterate itself, whose blocks may
violate the cone constraints, defines a network outside the program: its ``J`` can
be below the program's optimum, so it certifies nothing; it is reported in the
verbose log only.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ._problem import ADMMProblem
from ._steps import Buffers, Iterate


@dataclass
class Candidate:
    """A network defined by blocks, with its objective J and its optimal intercept."""

    blocks: torch.Tensor
    intercept: torch.Tensor
    objective: float


@dataclass
class Certificate:
    """The outcome of one check: the candidates, the dual value and the gaps."""

    network: Candidate
    feasible: Candidate
    dual: float
    violation: float

    def gap(self, candidate: Candidate) -> float:
        return (candidate.objective - self.dual) / max(abs(candidate.objective), 1e-300)

    def accepted(self, tol: float) -> Candidate | None:
        """The feasible candidate if its gap is within ``tol``."""
        return self.feasible if self.gap(self.feasible) <= tol else None


def feasible_blocks(pb: ADMMProblem, U, ZU, work):
    """Move each block into its cone along its gate: ``u + t_b g_p(b)``, in place of ``ZU``.

    ``t_b = max_i max(-(A_b u_b)_i, 0) / (A_b g_p)_i`` is the smallest step that
    satisfies every constraint ``(A_b u)_i >= 0`` (the gate satisfies them all
    strictly), so the returned blocks are feasible for the program and the network
    they define has exactly the program's objective. ``ZU`` becomes ``Z`` times them.
    """
    A = pb.view(work)
    torch.mul(pb.view(ZU), pb.cone_sign, out=A)
    A.neg_().clamp_(min=0.0).div_(pb.gate_margins)
    t = torch.nan_to_num(A.amax(dim=0), nan=0.0)  # (n_outputs, 2, P); 0/0 where both vanish
    pb.view(ZU).addcmul_(pb.gate_outputs, t)
    steps = pb.gates[:, None, None, :] * t  # (K, n_outputs, 2, P)
    return U + steps.reshape(U.shape)


def network_candidate(pb: ADMMProblem, U, ZU, b, work) -> Candidate:
    """Objective of the network ``sum_b sigma_b relu(Z u_b) + intercept`` (``ZU = Z U``)."""
    loss = pb.loss
    F = pb.signed_row_sums(torch.clamp(ZU, min=0.0, out=work))
    intercept = loss.optimal_intercept(F, pb.Y, pb.c, b) if pb.fit_intercept else b
    objective = float(loss.value(F + intercept, pb.Y, pb.c)) + pb.alpha * float(
        torch.linalg.vector_norm(U, dim=0).sum())
    return Candidate(U, intercept, objective)


def dual_value(pb: ADMMProblem, Lam, rho, F_s, work, scratch) -> float:
    """Value of the dual at a feasible point built from the s-iterate and the duals.

    ``Theta = c grad l(F_s)`` (re-centred when there is an intercept) with ``nu`` read
    off the scaled duals: ``rho c lambda`` has the form ``sigma D theta - (2D - I) nu``
    up to the projection below. The point is scaled by ``min(1, alpha / max_b
    ||Z^T r_b||)`` into the dual feasible set, so its value bounds the optimum from below.
    """
    loss = pb.loss
    Theta = pb.c[:, None] * loss.row_gradients(F_s, pb.Y)  # (n, n_outputs)
    if pb.fit_intercept:
        Theta = Theta - pb.c[:, None] * (Theta.sum(dim=0) / pb.c.sum())
    r4, tmp = pb.view(work), pb.view(scratch)
    torch.mul(pb.view(Lam), rho * pb.c[:, None, None, None], out=r4)
    r4.mul_(pb.cone_sign)
    # where on: min(r, sigma theta) = r - relu(r - sigma theta); where off: max(r, 0)
    torch.sub(r4, pb.sigma * Theta[:, :, None, None], out=tmp)
    tmp.clamp_(min=0.0).mul_(pb.on_float)
    r4.sub_(tmp)
    torch.neg(r4, out=tmp)
    tmp.clamp_(min=0.0).mul_(pb.off_float)
    r4.add_(tmp)
    dual_norms = torch.linalg.vector_norm(pb.Z.T @ work, dim=0)
    scale = min(1.0, pb.alpha / max(float(dual_norms.max()), 1e-300))
    return -float(loss.conjugate(scale * Theta, pb.Y, pb.c))


def certify(pb: ADMMProblem, it: Iterate, buf: Buffers, violation: float,
            iteration: int) -> Certificate:
    """Both candidate networks of the iterate and the dual value (uses ``buf.v``, ``buf.work``)."""
    torch.matmul(pb.Z, it.U, out=buf.v)
    network = network_candidate(pb, it.U, buf.v, it.b, buf.work)
    feasible = network_candidate(pb, feasible_blocks(pb, it.U, buf.v, buf.work), buf.v,
                                 it.b, buf.work)
    dual = dual_value(pb, it.Lam, it.rho, it.F_s, buf.work, buf.v)
    if not (math.isfinite(network.objective) and math.isfinite(dual)):
        raise FloatingPointError(
            f"ADMM produced non-finite values at iteration {iteration}: standardize "
            "X (and y), use dtype float64, or raise alpha."
        )
    return Certificate(network, feasible, dual, violation)
