"""Behaviour shared by every estimator: the fitted network as attributes, and input checks."""

from __future__ import annotations

import functools

import numpy as np
import torch
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .._core._network import BNNetwork
from .._core._threads import sized_threads, thread_budget

_NETWORK_ATTRIBUTES = {
    "hidden_weights_": "hidden_weights",
    "bn_mean_": "bn_mean",
    "bn_std_": "bn_std",
    "bn_scale_": "bn_scale",
    "bn_shift_": "bn_shift",
    "output_weights_": "output_weights",
    "intercept_": "intercept",
}


class BNNetworkMixin:
    """Fitted BN network exposed as NumPy attributes, its forward pass and ``to_torch``.

    Estimators call :meth:`_store_network` at the end of ``fit``. Every fitted
    estimator of the library thus has ``hidden_weights_`` (n_features, n_neurons),
    ``bn_mean_``, ``bn_std_``, ``bn_scale_``, ``bn_shift_`` (n_neurons,),
    ``output_weights_`` (n_neurons, n_outputs) and ``intercept_`` (n_outputs,).
    """

    def _store_network(self, network: BNNetwork) -> None:
        for attribute, field in _NETWORK_ATTRIBUTES.items():
            setattr(self, attribute, np.asarray(getattr(network, field), dtype=np.float64))

    def _network(self) -> BNNetwork:
        check_is_fitted(self, "hidden_weights_")
        return BNNetwork(**{f: getattr(self, a) for a, f in _NETWORK_ATTRIBUTES.items()})

    @property
    def n_neurons_(self) -> int:
        """Number of hidden neurons of the fitted network."""
        return self._network().n_neurons

    def _forward(self, X) -> np.ndarray:
        """Validated eval-mode network outputs, shape (n_samples, n_outputs)."""
        network = self._network()
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        with thread_budget(X.size):
            return network.forward(np.asarray(X, dtype=np.float64))

    def to_torch(self, dtype: torch.dtype = torch.float64) -> torch.nn.Module:
        """The fitted network as an eval-mode ``torch.nn.Module``.

        Parameters
        ----------
        dtype : torch.dtype, default=torch.float64
            Floating type of the module's parameters (call ``.float()`` on the
            result, or pass ``torch.float32``, for single precision).

        Returns
        -------
        torch.nn.Sequential
            ``Linear(bias=False) -> BatchNorm1d -> ReLU -> Linear`` whose output on a
            float tensor of ``X`` equals :meth:`decision_function` (classifiers) or
            :meth:`predict` (regressors, as a 2-D array).
        """
        return self._network().to_torch(dtype)


def check_positive_sample_weight(sample_weight, X) -> np.ndarray | None:
    """Validated nonnegative float64 weights, or None; raises if all are zero."""
    if sample_weight is None:
        return None
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    if not np.any(sample_weight > 0):
        raise ValueError("sample_weight has no positive entry: nothing to fit.")
    return sample_weight


def clear_fitted_state(estimator) -> None:
    """Remove every fitted attribute (names ending in '_'), e.g. after an interrupted fit."""
    for name in [k for k in vars(estimator) if k.endswith("_") and not k.startswith("__")]:
        delattr(estimator, name)


def unfitted_on_failure(fit):
    """Decorate every estimator's ``fit(X, ...)``: an exception (KeyboardInterrupt
    included) leaves the estimator unfitted, never half-fitted with attributes of two
    different fits; and the fit runs under the thread budget of ``X``
    (:func:`~sk_convexbn._core._threads.thread_budget`)."""

    @functools.wraps(fit)
    @sized_threads
    def wrapper(self, *args, **kwargs):
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            clear_fitted_state(self)
            raise

    return wrapper


def docstring_entries(cls, section: str) -> dict[str, str]:
    """The numpydoc entries of ``section`` in ``cls``'s docstring: name -> text.

    Lets an estimator document the parameters and attributes it shares with another
    in the same words (the CV estimators take them from the plain ones). An entry is
    its ``name : type`` line (indented by four spaces) and the lines indented more
    deeply, or blank, that follow it.
    """
    lines = (cls.__doc__ or "").splitlines()  # None under python -OO

    def is_header(k):
        return k + 1 < len(lines) and lines[k + 1].strip() and set(lines[k + 1].strip()) == {"-"}

    start = next((k for k in range(len(lines)) if lines[k].strip() == section and is_header(k)),
                 None)
    if start is None:
        return {}
    entries: dict[str, list[str]] = {}
    current = None
    for k in range(start + 2, len(lines)):
        line = lines[k]
        if is_header(k):
            break
        if line.startswith("    ") and not line.startswith("     "):
            current = line.strip().split(" : ")[0]
            entries[current] = [line]
        elif current is not None:
            entries[current].append(line)
    return {name: "\n".join(text).rstrip() for name, text in entries.items()}
