"""Size and cost of the exact CVXPY + Clarabel reference on a regression problem.

Usage: python benchmarks/cvxpy_reference.py [--n 200] [--d 5] [--patterns 100]
Prints a table and writes benchmarks/results/cvxpy_reference.json.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from sk_convexbn import ConvexBNRegressor
from sk_convexbn._program import make_program
from sk_convexbn._solvers import build_cvxpy_problem


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--d", type=int, default=5)
    parser.add_argument("--patterns", type=int, default=100)
    parser.add_argument("--alpha", type=float, default=1e-2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n, args.d))
    y = np.abs(X[:, 0]) - X[:, 1] + 0.5 * np.sin(3 * X[:, 2 % args.d]) + 0.1 * rng.standard_normal(args.n)

    program = make_program(X, y[:, None], None, loss="squared_error", alpha=args.alpha,
                           n_patterns=args.patterns, random_state=0)
    start = time.perf_counter()
    problem, _, _ = build_cvxpy_problem(program)
    build = time.perf_counter() - start
    sizes = problem.size_metrics

    times, model = [], None
    for _ in range(args.repeats):
        start = time.perf_counter()
        model = ConvexBNRegressor(alpha=args.alpha, n_patterns=args.patterns, solver="cvxpy",
                                  random_state=0).fit(X, y)
        times.append(time.perf_counter() - start)
    result = {
        "n_samples": args.n, "n_features": args.d, "n_patterns": program.n_patterns,
        "alpha": args.alpha, "scalar_variables": int(sizes.num_scalar_variables),
        "scalar_inequalities": int(sizes.num_scalar_leq_constr),
        "build_seconds": build, "fit_seconds_median": float(np.median(times)),
        "fit_seconds_all": times, "objective": model.objective_, "solver_iterations": model.n_iter_,
        "neurons": model.n_neurons_,
    }
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    out = Path(__file__).parent / "results" / "cvxpy_reference.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
