"""Side-by-side comparison of the convex BN solvers on identical programs.

Each (problem, solver) pair runs in its own subprocess (with a time limit and its
own peak-memory reading) on the *same* whitened data, patterns and alpha. The
objective of every solver is recomputed here, by our J, at the network its blocks
define (ReLU outputs, not pattern masks).

Problems
  a  scikit-learn digits, standardized, stratified 80/20 split (train part),
     10 classes, squared loss on one-hot targets, 100 gates
  b  regression, n=2000, d=50, 100 gates
  c  CIFAR-10 train set (50,000 images), standardized pixels, n_components=256,
     200 gates, squared loss on one-hot targets (needs --cifar PATH)
  d  regression, n=300, d=6, 60 gates (small enough for CVXPY)

Solvers
  working_set  this library's exact working-set solver (the default); ``--tol``,
               ``--max-iter`` (rounds) and ``--float32`` set its options
  cvxpy  CVXPY + Clarabel (the exact reference)
  scnn   pyscnn's exact-ReLU ConvexReLU with its augmented-Lagrangian solver (AL)
  mlp    scikit-learn MLPClassifier(hidden_layer_sizes=(100,)) (problem a only; not
         the same objective: it is the speed yardstick of the issue)

Usage
  python benchmarks/solver_comparison.py --problems a b --solvers working_set cvxpy scnn mlp
  python benchmarks/solver_comparison.py --problems c --solvers working_set --cifar ../shared/data/cifar10-jpg.tar.xz

Writes benchmarks/results/solver_comparison.json (merging with earlier runs). Rows of
earlier runs stay in that file, among them those of the ADMM solver, since removed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _report import fmt, load_results, save_results, save_table  # noqa: E402

NAME = "solver_comparison"
ALPHA = {"a": 1e-3, "b": 1e-3, "c": 1e-3, "d": 1e-3}


def regression_2000x50() -> tuple[np.ndarray, np.ndarray]:
    """Problem b's data: 2,000 rows, 50 features of decaying scale, a target made by five
    ReLU units plus noise (raw scale)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 50)) @ np.diag(np.geomspace(3.0, 0.1, 50))
    directions = rng.standard_normal((50, 5))
    y = np.maximum(X @ directions, 0.0) @ rng.standard_normal(5) + 0.1 * rng.standard_normal(2000)
    return X, y


def build_problem(name: str, cifar: str | None = None):
    """The program of a benchmark problem (and raw data for the MLP yardstick)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from sk_convexbn._program import make_program

    n_components, n_gates = None, 100
    if name == "a":
        X, y = load_digits(return_X_y=True)
        X, _, y, _ = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
        X = StandardScaler().fit_transform(X)
        Y = np.eye(10)[y]
    elif name == "b":
        X, y = regression_2000x50()
        Y = ((y - y.mean()) / y.std())[:, None]
    elif name == "d":
        rng = np.random.default_rng(0)
        X = rng.standard_normal((300, 6)) * np.linspace(2.0, 0.5, 6)
        y = np.abs(X[:, 0]) - X[:, 1] + 0.1 * rng.standard_normal(300)
        Y = ((y - y.mean()) / y.std())[:, None]
        n_gates = 60
    elif name == "c":
        from sk_convexbn.datasets import load_cifar10

        data = load_cifar10(cifar)
        X = data.X_train.reshape(len(data.X_train), -1).astype(np.float64) / 255.0
        X -= X.mean(axis=0)
        X /= X.std(axis=0)
        y = data.y_train
        Y = np.eye(10)[y]
        n_components, n_gates = 256, 200
    else:
        raise ValueError(name)
    program = make_program(X, Y, None, loss="squared_error", alpha=ALPHA[name],
                           fit_intercept=False, n_components=n_components, n_patterns=n_gates,
                           random_state=0)
    return program, X, (Y[:, 0] if name in "bd" else y)


def network_objective(program, blocks: np.ndarray, intercept: np.ndarray) -> float:
    """Our J at the network of the blocks: sum_b sigma_b relu(Z u_b) e_c(b) + b."""
    _, sign, output = program.block_layout()
    F = np.zeros((program.n_samples, program.n_outputs))
    for c in range(program.n_outputs):  # one GEMM per output keeps memory bounded
        mine = output == c
        F[:, c] = np.maximum(program.Z @ blocks[:, mine], 0.0) @ sign[mine]
    F += intercept
    data = 0.5 * np.sum(program.row_coefficients[:, None] * (F - program.targets) ** 2)
    return float(data + program.alpha * np.linalg.norm(blocks, axis=0).sum())


def run_solver(problem: str, solver: str, cifar: str | None, options: dict) -> dict:
    start = time.perf_counter()
    program, X, y = build_problem(problem, cifar)
    setup = time.perf_counter() - start
    info = {"n_samples": program.n_samples, "n_columns": program.n_columns,
            "n_patterns": program.n_patterns, "n_outputs": program.n_outputs,
            "n_blocks": program.n_blocks, "alpha": program.alpha, "setup_seconds": setup}
    if solver == "working_set":
        import torch

        from sk_convexbn._solvers import solve_working_set

        dtype = torch.float32 if options.get("float32") else torch.float64
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            solution, _ = solve_working_set(program, tol=options.get("tol", 1e-6),
                                            max_iter=options.get("max_iter", 100), dtype=dtype)
        seconds = time.perf_counter() - start
        blocks, intercept = solution.blocks, solution.intercept
        info |= {"iterations": solution.n_iter, "status": solution.status,
                 "certificate": solution.certificate, "dtype": str(dtype)}
    elif solver == "cvxpy":
        from sk_convexbn._solvers import solve_cvxpy

        start = time.perf_counter()
        solution = solve_cvxpy(program)
        seconds = time.perf_counter() - start
        blocks, intercept = solution.blocks, solution.intercept
        info |= {"iterations": solution.n_iter, "status": solution.status}
    elif solver == "scnn":
        from scnn.metrics import Metrics
        from scnn.models import ConvexReLU
        from scnn.optimize import optimize_model
        from scnn.regularizers import NeuronGL1
        from scnn.solvers import AL

        C = program.n_outputs
        model = ConvexReLU(program.gates, c=C, bias=False)
        start = time.perf_counter()
        # scnn scales the squared loss by 1/(2 n c) where ours is 1/(2 n): its
        # regularization alpha / c gives the identical problem (times 1/c).
        fitted, _ = optimize_model(model, AL(model), Metrics(), program.Z, program.targets,
                                   regularizer=NeuronGL1(program.alpha / C), return_convex=True,
                                   unitize_data=False, dtype="float64")
        seconds = time.perf_counter() - start
        v, w = (np.asarray(p) for p in fitted.parameters)  # (C, P, K) each
        K, P = program.n_columns, program.n_patterns
        blocks = np.zeros((K, program.n_blocks))
        layout = blocks.reshape(K, C, 2, P)
        layout[:, :, 0, :] = v.transpose(2, 0, 1)
        layout[:, :, 1, :] = w.transpose(2, 0, 1)
        intercept = np.zeros(C)
        info |= {"iterations": None, "status": "done"}
    elif solver == "mlp":
        from sklearn.neural_network import MLPClassifier

        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mlp = MLPClassifier(hidden_layer_sizes=(100,), random_state=0).fit(X, y)
        seconds = time.perf_counter() - start
        info |= {"iterations": mlp.n_iter_, "status": "done", "objective": None,
                 "note": "different objective (MLP loss); timing yardstick only"}
        blocks = None
    else:
        raise ValueError(solver)
    info["seconds"] = seconds
    if blocks is not None:
        info["objective"] = network_objective(program, blocks, intercept)
        norms = np.linalg.norm(blocks, axis=0)
        info["neurons"] = int(np.sum(norms > 1e-6 * max(norms.max(), 1e-300)))
    info["peak_memory_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    return info


def main():
    parser = argparse.ArgumentParser(description="Compare convex BN solvers side by side.")
    parser.add_argument("--problems", nargs="+", default=["a", "b", "d"],
                        choices=["a", "b", "c", "d"])
    parser.add_argument("--solvers", nargs="+",
                        default=["working_set", "cvxpy", "scnn", "mlp"],
                        choices=["working_set", "cvxpy", "scnn", "mlp"])
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    parser.add_argument("--cifar", default=None, help="path of the CIFAR-10 archive")
    parser.add_argument("--tol", type=float, default=1e-6, help="working-set solver tol")
    parser.add_argument("--max-iter", type=int, default=100,
                        help="working-set solver rounds cap")
    parser.add_argument("--float32", action="store_true", help="float32 for the working-set solver")
    parser.add_argument("--skip-cvxpy-above", type=float, default=1e6,
                        help="skip CVXPY when n_samples * n_blocks exceeds this")
    parser.add_argument("--worker", nargs=2, metavar=("PROBLEM", "SOLVER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    options = {"tol": args.tol, "max_iter": args.max_iter, "float32": args.float32}
    if args.worker:
        print(json.dumps(run_solver(*args.worker, args.cifar, options)))
        return

    results = {}  # the rows of this run; the file keeps the others
    sizes = {"a": 1437 * 2000, "b": 2000 * 200, "c": 50_000 * 4000, "d": 300 * 120}
    variant = []
    if args.tol != 1e-6:
        variant.append(f"tol={args.tol:g}")
    if args.float32:
        variant.append("float32")
    if args.max_iter != 100:
        variant.append(f"max_iter={args.max_iter}")
    for problem in args.problems:
        for solver in args.solvers:
            key = f"{problem}/{solver}"
            if solver == "working_set" and variant:
                key += f"[{','.join(variant)}]"
            if solver == "mlp" and problem != "a":
                continue
            if solver == "cvxpy" and sizes[problem] > args.skip_cvxpy_above:
                results[key] = {"status": "skipped", "note": (
                    f"{sizes[problem]:,} cone constraints: beyond what CVXPY can "
                    "canonicalize in memory here")}
                continue
            command = [sys.executable, __file__, "--worker", problem, solver,
                       "--tol", str(args.tol), "--max-iter", str(args.max_iter)]
            if args.float32:
                command.append("--float32")
            if args.cifar:
                command += ["--cifar", args.cifar]
            print(f"running {key} ...", flush=True)
            start = time.perf_counter()
            try:
                done = subprocess.run(command, capture_output=True, text=True,
                                      timeout=args.timeout, env=os.environ.copy())
                lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
                results[key] = (json.loads(lines[-1]) if done.returncode == 0 and lines else
                                {"status": "failed", "note": done.stderr[-2000:]})
            except subprocess.TimeoutExpired:
                results[key] = {"status": "timeout",
                                "note": f"no result within {args.timeout:.0f} s",
                                "seconds": time.perf_counter() - start}
            save_results(NAME, results)
    results = save_results(NAME, results)
    save_table(NAME, table(results))


def table(results: dict) -> list[str]:
    lines = [f"{'problem/solver':<40}{'seconds':>10}{'objective':>14}{'iters':>8}"
             f"{'gap':>10}{'neurons':>9}{'mem GB':>8}  status"]
    for problem in "abcd":
        rows = {k.split("/", 1)[1]: v for k, v in results.items() if k.startswith(problem + "/")}
        reference = rows.get("working_set", {})
        for solver, r in rows.items():
            lines.append(
                f"{problem + '/' + solver:<40}{fmt(r.get('seconds'), '10.2f')}"
                f"{fmt(r.get('objective'), '14.8f')}{fmt(r.get('iterations'), '8d')}"
                f"{fmt(r.get('certificate'), '10.1e')}{fmt(r.get('neurons'), '9d')}"
                f"{fmt(r.get('peak_memory_gb'), '8.2f')}  {r.get('status', '')}")
        if reference.get("seconds"):
            for solver, r in rows.items():
                if solver != "working_set" and r.get("seconds"):
                    lines.append(f"    {solver} / working_set time ratio: "
                                 f"{r['seconds'] / reference['seconds']:.1f}x")
    return lines


if __name__ == "__main__":
    main()
