"""The first-order ADMM solver against the exact CVXPY reference on the same patterns."""


import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

from sk_convexbn import ConvexBNRegressor
from sk_convexbn._solvers import solve_admm, solve_cvxpy

from conftest import CASES, make_case, reference_objective, torch_objective


@pytest.mark.parametrize("case", list(CASES))
def test_admm_matches_cvxpy_at_default_tol(case):
    program = make_case(**CASES[case])
    reference = reference_objective(program)
    solution, _ = solve_admm(program, tol=1e-4)
    assert solution.status == "optimal" and 0.0 <= solution.certificate <= 1e-4
    error = (solution.objective - reference) / reference
    # the network is feasible, so it cannot beat the optimum (beyond the reference's
    # own accuracy), and the duality gap bounds how far above it is
    assert -1e-7 <= error <= solution.certificate * solution.objective / reference + 1e-7


@pytest.mark.parametrize("case", ["regression", "multi-output", "weighted"])
def test_admm_matches_cvxpy_to_1e5(case):
    program = make_case(**CASES[case])
    reference = reference_objective(program)
    solution, _ = solve_admm(program, tol=1e-5, max_iter=50_000)
    error = (solution.objective - reference) / reference
    assert abs(error) <= 1e-5, error


def _network_J(program, blocks, intercept):
    _, sign, output = program.block_layout()
    F = np.zeros((program.n_samples, program.n_outputs))
    np.add.at(F.T, output, (np.maximum(program.Z @ blocks, 0.0) * sign).T)
    return float(0.5 * program.row_coefficients @ ((F + intercept - program.targets) ** 2).sum(1)
                 + program.alpha * np.linalg.norm(blocks, axis=0).sum())


def test_reported_objective_is_the_network_J():
    program = make_case(0)
    solution, _ = solve_admm(program, tol=1e-4)
    assert solution.objective == pytest.approx(
        _network_J(program, solution.blocks, solution.intercept), rel=1e-9)


def test_blocks_moved_along_their_gates_are_feasible():
    from sk_convexbn._solvers._admm._certificate import feasible_blocks
    from sk_convexbn._solvers._admm._problem import ADMMProblem

    program = make_case(1)
    with pytest.warns(ConvergenceWarning):  # an unconverged iterate violates constraints
        solution, _ = solve_admm(program, max_iter=200, tol=1e-9, check_every=200)
    pb = ADMMProblem(program, torch.device("cpu"), torch.float64)
    U = torch.as_tensor(solution.blocks)
    ZU = pb.Z @ U
    feasible = feasible_blocks(pb, U, ZU, torch.empty_like(ZU)).numpy()
    pattern, _, _ = program.block_layout()
    cone = (2.0 * program.patterns[:, pattern] - 1.0) * (program.Z @ feasible)
    assert cone.min() >= -1e-12 * np.abs(cone).max()
    np.testing.assert_allclose(ZU.numpy(), program.Z @ feasible, atol=1e-12)
    # feasible blocks: the masked program objective is the network's J
    assert program.objective(feasible, solution.intercept) == pytest.approx(
        _network_J(program, feasible, solution.intercept), rel=1e-12)


def test_estimator_with_admm_reports_an_honest_objective(rng):
    X = rng.standard_normal((70, 3))
    y = np.abs(X[:, 0]) - X[:, 1] + 0.1 * rng.standard_normal(70)
    model = ConvexBNRegressor(alpha=1e-2, n_patterns=30, solver="admm", random_state=0).fit(X, y)
    assert model.solver_ == "admm" and model.duality_gap_ <= 1e-4
    assert model.objective_ == pytest.approx(torch_objective(model, X, y, 1e-2), rel=1e-6)
    cvx = ConvexBNRegressor(alpha=1e-2, n_patterns=30, solver="cvxpy", random_state=0).fit(X, y)
    assert cvx.objective_ * (1 - 1e-4) <= model.objective_ <= cvx.objective_ * (1 + 1e-4)
    with torch.no_grad():
        out = model.to_torch()(torch.from_numpy(X))[:, 0].numpy()
    np.testing.assert_allclose(out, model.predict(X), atol=1e-10)


def test_max_iter_warns_with_the_gap_reached():
    program = make_case(0)
    with pytest.warns(ConvergenceWarning, match=r"max_iter=20 .*duality gap of [0-9.e+-]+ > tol"):
        solution, _ = solve_admm(program, max_iter=20, tol=1e-8)
    assert solution.n_iter == 20 and solution.status == "max_iter"
    assert np.isfinite(solution.objective)


def test_warm_start_along_alpha_saves_iterations(rng):
    X = rng.standard_normal((70, 3))
    y = np.abs(X[:, 0]) - X[:, 1] + 0.1 * rng.standard_normal(70)
    model = ConvexBNRegressor(alpha=1e-2, n_patterns=30, solver="admm", warm_start=True,
                              random_state=0).fit(X, y)
    model.set_params(alpha=1.2e-2).fit(X, y)
    warm = model.n_iter_
    cold = ConvexBNRegressor(alpha=1.2e-2, n_patterns=30, solver="admm",
                             random_state=0).fit(X, y)
    assert warm < cold.n_iter_
    assert model.objective_ == pytest.approx(cold.objective_, rel=2e-4)


def test_float32_compute():
    program = make_case(1)
    reference = solve_cvxpy(program).objective
    solution, state = solve_admm(program, tol=1e-3, dtype=torch.float32)
    assert state.slacks.dtype == np.float32
    error = (solution.objective - reference) / reference
    assert -1e-3 <= error <= 1e-3


def test_verbose_progress(capsys):
    # tol=0 is never met: 1,000 iterations, certificate checks every 5
    with pytest.warns(ConvergenceWarning):
        solve_admm(make_case(0), tol=0.0, max_iter=1000, verbose=1, check_every=5)
    brief = capsys.readouterr().out.splitlines()
    # the first check, every LOG_EVERY-th iteration and the last; no residuals
    assert [int(line.split()[2]) for line in brief] == [5, 250, 500, 750, 1000]
    assert all(line.startswith("[admm] iteration") and "gap" in line and "rho" not in line
               for line in brief)
    with pytest.warns(ConvergenceWarning):
        solve_admm(make_case(0), tol=0.0, max_iter=100, verbose=2, check_every=5)
    detailed = capsys.readouterr().out.splitlines()
    assert len(detailed) == 20
    assert all("rho" in line and "residual" in line for line in detailed)


def test_unavailable_device_is_a_clear_error(rng):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    X, y = rng.standard_normal((30, 2)), rng.standard_normal(30)
    with pytest.raises(ValueError, match="no CUDA device"):
        ConvexBNRegressor(solver="admm", device="cuda").fit(X, y)
    with pytest.raises(ValueError, match="device must be"):
        ConvexBNRegressor(solver="admm", device="tpu").fit(X, y)
