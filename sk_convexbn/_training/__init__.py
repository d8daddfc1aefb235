"""Gradient-descent training of the non-convex BN network in PyTorch.

The model is the usual ``Linear -> BatchNorm1d -> ReLU -> Linear``
(:class:`~sk_convexbn._core._module.BNModule`, the module ``to_torch`` returns)
with BN in training mode, trained on the objective J of the library: weight decay
on the BN scales and shifts and on the output weights, none on the first layer (BN
makes the network invariant to the scale of each hidden weight vector, so that
decay is vacuous and not part of J).

The layers mirror the convex side: :func:`make_gd_problem` turns validated arrays
into a :class:`GDProblem` (as ``make_program`` builds a program),
:func:`train_gd_problem` initialises and trains its network, and
:func:`fit_gd_network` does both. The epoch loop (:func:`train_bn_network`) and
its :class:`StoppingRule` know nothing of the data's preparation. The estimators in
:mod:`sk_convexbn._estimators._gd` only validate and translate.
"""

from .._core._module import BNModule
from ._fit import GDFit, fit_gd_network, initial_parameters, train_gd_problem, validation_score
from ._loop import GDConfig, GDResult, StoppingRule, objective, run_epoch, train_bn_network
from ._problem import GDProblem, make_gd_problem

__all__ = [
    "BNModule",
    "GDConfig",
    "GDFit",
    "GDProblem",
    "GDResult",
    "StoppingRule",
    "fit_gd_network",
    "initial_parameters",
    "make_gd_problem",
    "objective",
    "run_epoch",
    "train_bn_network",
    "train_gd_problem",
    "validation_score",
]
