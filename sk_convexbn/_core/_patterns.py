"""Activation patterns (hyperplane arrangements) of the whitened data."""

from __future__ import annotations

import numpy as np


def sample_patterns(
    Z: np.ndarray,
    n_patterns: int,
    random_state: np.random.RandomState,
    *,
    return_gates: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Sample distinct activation patterns ``1[Z g >= 0]`` with Gaussian gates ``g``.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_columns)
        Whitened data (last column all ones, so each gate includes a bias).
    n_patterns : int
        Number of gates to draw. Duplicate patterns and the all-zero pattern
        (a neuron that never fires) are dropped, so at most ``n_patterns`` remain.
    random_state : numpy.random.RandomState
        Local generator; the global NumPy state is never touched.
    return_gates : bool, default=False
        Also return the gate that produced each kept pattern.

    Returns
    -------
    patterns : ndarray of bool, shape (n_samples, n_kept)
        One column per distinct pattern, in the order the gates were drawn.
    gates : ndarray of shape (n_columns, n_kept)
        Only with ``return_gates=True``.

    Notes
    -----
    The patterns are the diagonals of ``D_i = diag(1[Z g_i >= 0])``. Since the last
    column of ``Z`` is constant, they are the sign patterns of affine hyperplanes on
    the whitened rows, hence also on the raw rows.
    """
    gates = random_state.standard_normal((Z.shape[1], n_patterns))
    masks = Z @ gates >= 0
    keep = unique_pattern_indices(masks)
    patterns = np.ascontiguousarray(masks[:, keep])
    return (patterns, gates[:, keep]) if return_gates else patterns


def unique_pattern_indices(masks: np.ndarray) -> np.ndarray:
    """Indices of the distinct non-empty columns of a boolean matrix, first occurrences.

    Parameters
    ----------
    masks : ndarray of bool, shape (n_samples, n_candidates)

    Returns
    -------
    ndarray of int, increasing
    """
    masks = np.asarray(masks, dtype=bool)
    candidates = np.flatnonzero(masks.any(axis=0))
    packed = np.packbits(masks[:, candidates], axis=0).T  # one byte string per column
    _, first = np.unique(packed, axis=0, return_index=True)
    return candidates[np.sort(first)]


def merge_patterns(patterns: np.ndarray, gates: np.ndarray, Z: np.ndarray,
                   new_gates: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Append the patterns of ``new_gates`` that are new, with their gates.

    Parameters
    ----------
    patterns : ndarray of bool, shape (n_samples, P)
    gates : ndarray of shape (n_columns, P)
    Z : ndarray of shape (n_samples, n_columns)
    new_gates : ndarray of shape (n_columns, Q)
        Directions whose patterns ``1[Z g >= 0]`` may join the set. A gate on the
        boundary of its pattern's cone (``Z g = 0`` on some row) is nudged inside.

    Returns
    -------
    patterns, gates : the extended arrays (existing columns first, unchanged)
    n_new : int
    """
    if new_gates.shape[1] == 0:
        return patterns, gates, 0
    masks = Z @ new_gates >= 0
    candidates = unique_pattern_indices(masks)
    known = {col.tobytes() for col in np.packbits(patterns, axis=0).T}
    fresh = [j for j in candidates
             if np.packbits(masks[:, j]).tobytes() not in known]
    if not fresh:
        return patterns, gates, 0
    return (np.ascontiguousarray(np.column_stack([patterns, masks[:, fresh]])),
            np.column_stack([gates, new_gates[:, fresh]]), len(fresh))


def enumerate_patterns(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every activation pattern of whitened data of rank 1 or 2, with a gate inside each.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, 2) or (n_samples, 3)
        Whitened data (last column all ones).

    Returns
    -------
    patterns : ndarray of bool, shape (n_samples, P)
        All distinct non-empty patterns ``1[Z g >= 0]`` (``P = O(n)`` for two
        columns, ``O(n^2)`` for three).
    gates : ndarray of shape (n_columns, P)
        A direction strictly inside each pattern's cone.

    Notes
    -----
    The patterns are the cells of the arrangement of the hyperplanes ``z_i^T g = 0``
    in ``R^K``. For ``K = 2`` every cell is adjacent to a ray ``g ⟂ z_i``; for
    ``K = 3`` (generic rows) every cell is adjacent to a vertex ``g ∝ z_i × z_j`` of
    the arrangement on the sphere. A small step from the ray or the vertex into each
    adjacent cell gives a gate of that cell; repeated rows share their hyperplane.
    """
    n, K = Z.shape
    if K not in (2, 3):
        raise ValueError(f"patterns can be enumerated for 2 or 3 whitened columns, got {K}.")
    Zu = np.unique(Z, axis=0)
    norms = np.linalg.norm(Zu, axis=1)
    candidates = []
    if K == 2:
        rays = np.column_stack([-Zu[:, 1], Zu[:, 0]])  # g ⟂ z_i
        for ray, z in zip(rays, Zu):
            for sign in (1.0, -1.0):
                for side in (1.0, -1.0):
                    candidates.append((sign * ray, side * z))
    else:
        i, j = np.triu_indices(len(Zu), k=1)
        vertices = np.cross(Zu[i], Zu[j])
        keep = np.linalg.norm(vertices, axis=1) > 1e-12 * norms[i] * norms[j]
        i, j, vertices = i[keep], j[keep], vertices[keep]
        for vertex, a, b in zip(vertices, i, j):
            # dual directions: moving along u changes only z_a^T g, along v only z_b^T g
            basis = np.linalg.pinv(np.vstack([Zu[a], Zu[b]]))  # (3, 2)
            for sign in (1.0, -1.0):
                for sa in (1.0, -1.0):
                    for sb in (1.0, -1.0):
                        candidates.append((sign * vertex, basis @ [sa, sb]))
    gates = []
    for base, step in candidates:
        base = base / np.linalg.norm(base)
        margin = np.abs(Zu @ base)
        slack = margin[margin > 1e-12 * norms].min(initial=1.0)
        shift = np.abs(Zu @ step).max()
        gates.append(base + 0.25 * slack / max(shift, 1e-300) * step)
    gates = np.column_stack(gates)
    masks = Z @ gates >= 0
    keep = unique_pattern_indices(masks)
    return np.ascontiguousarray(masks[:, keep]), gates[:, keep]


def search_gates(Z: np.ndarray, directions: np.ndarray, starts: np.ndarray, *,
                 n_steps: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Ascend ``r^T relu(Z s)`` over unit vectors ``s``, from many starts at once.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_columns)
    directions : ndarray of shape (n_samples, n_starts)
        The vector ``r`` each start is scored against (for the convex program,
        ``-sigma G_c``: a neuron that lowers J feeds its output along it).
    starts : ndarray of shape (n_columns, n_starts)
        Initial gates.
    n_steps : int

    Returns
    -------
    gates : ndarray of shape (n_columns, n_starts)
        Unit vectors, each at least as good as its start.
    values : ndarray of shape (n_starts,)
        ``r^T relu(Z s)`` at the returned gates.

    Notes
    -----
    Projected gradient ascent on the sphere, with a step halved for the starts whose
    value did not increase. ``relu(Z s)`` is piecewise linear in ``s``, so this is
    a local search among activation patterns: each step moves to the best unit
    vector of the current pattern's linear piece and beyond.
    """
    S = starts / np.maximum(np.linalg.norm(starts, axis=0), 1e-300)
    value = np.einsum("ij,ij->j", directions, np.maximum(Z @ S, 0.0))
    step = np.full(S.shape[1], 1.0)
    for _ in range(n_steps):
        active = (Z @ S > 0).astype(Z.dtype)
        grad = Z.T @ (directions * active)
        grad -= S * np.einsum("ij,ij->j", grad, S)  # tangent to the sphere
        scale = np.linalg.norm(grad, axis=0)
        if float(scale.max()) <= 1e-14:
            break
        trial = S + step * grad / np.maximum(scale, 1e-300)
        trial /= np.maximum(np.linalg.norm(trial, axis=0), 1e-300)
        new = np.einsum("ij,ij->j", directions, np.maximum(Z @ trial, 0.0))
        better = new > value
        S[:, better], value[better] = trial[:, better], new[better]
        step = np.where(better, np.minimum(2.0 * step, 1.0), 0.5 * step)
    return S, value
