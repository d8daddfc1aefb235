"""The documentation builds with warnings as errors, and runs every gallery example.

These tests carry the ``docs`` marker, which the default run leaves out: run them
with ``python -m pytest -m docs`` after ``pip install -e ".[docs]"`` (CI does, as its
own step). The one library test here (the package imports under ``python -OO``)
runs by default.

A broken example, a docstring numpydoc or docutils cannot parse, or a broken
cross-reference fails ``test_docs_build``. The build runs on a copy of the sources
in a temporary directory, so it neither touches ``docs/`` nor reuses the gallery's
cache of examples already run (sphinx-gallery skips examples whose source has not
changed since its last run, which would hide a change of the library that breaks
them).
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"

#: The build command of CONTRIBUTING.md and the docs' Contributing page.
BUILD_COMMAND = "python -m sphinx -W --keep-going -b html docs docs/_build/html"

#: Outputs of earlier builds, never copied.
GENERATED = ("_build", "auto_examples", "generated", "_generated", "sg_execution_times.rst",
             "sg_api_usage.rst", "__pycache__")

#: Examples that the build runs (sphinx-gallery's filename_pattern in docs/conf.py).
EXECUTED = re.compile(r"/(plot_|quickstart)")


def _copy_sources(destination: Path) -> Path:
    """Copy what the docs build reads into ``destination``; return the docs folder."""
    shutil.copytree(DOCS, destination / "docs", ignore=shutil.ignore_patterns(*GENERATED))
    shutil.copytree(EXAMPLES, destination / "examples",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    results = ROOT / "benchmarks" / "results"
    if results.is_dir():
        shutil.copytree(results, destination / "benchmarks" / "results")
    for name in ("CHANGELOG.md", "CONTRIBUTING.md", "README.md"):
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, destination / name)
    return destination / "docs"


def _docs_extension(name: str):
    """A module of docs/_ext (the Sphinx extensions), imported as the build does."""
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(DOCS / "_ext"))


@pytest.mark.docs
def test_docs_build(tmp_path):
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme",
                   "matplotlib"):
        pytest.importorskip(module, reason="the docs build needs pip install -e '.[docs]'")
    docs = _copy_sources(tmp_path)
    html = tmp_path / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
               str(docs), str(html)]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.setdefault("OMP_NUM_THREADS", "1")
    env.pop("SK_CONVEXBN_DOCS_INTERSPHINX", None)  # offline: no inventories
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=900)
    log = result.stdout[-6000:] + "\n" + result.stderr[-12000:]
    returncode = result.returncode
    assert returncode == 0, f"the docs build failed:\n{log}"

    for page in ("index", "getting_started", "theory", "user_guide", "api", "benchmarks",
                 "changelog", "contributing", "auto_examples/index"):
        assert (html / f"{page}.html").is_file(), f"{page}.html was not built"
    for name in ("ConvexBNRegressor", "ConvexBNClassifier", "GDBNRegressor",
                 "GDBNClassifier", "alpha_max", "datasets.load_cifar10"):
        assert (html / "generated" / f"sk_convexbn.{name}.html").is_file()
    for example in sorted(EXAMPLES.glob("*.py")):
        assert (html / "auto_examples" / f"{example.stem}.html").is_file()
        if EXECUTED.search("/" + example.name):
            # an executed example's page carries its output (text or figures)
            page = (html / "auto_examples" / f"{example.stem}.html").read_text()
            assert "sphx-glr-script-out" in page or "sphx-glr-single-img" in page, (
                f"{example.name} shows no output: was it executed?")
    theory = (html / "theory.html").read_text()
    assert "sphx_glr_plot_patterns_2d_001.png" in theory


@pytest.mark.docs
def test_public_api_is_documented():
    import sk_convexbn

    api = (DOCS / "api.rst").read_text()
    missing = [name for name in sk_convexbn.__all__
               if not name.startswith("__") and not re.search(rf"^\s+{name}$", api, re.M)]
    assert not missing, f"public names missing from docs/api.rst: {missing}"


@pytest.mark.docs
def test_examples_are_gallery_scripts():
    ExampleOrder = _docs_extension("sk_convexbn_docs").ExampleOrder
    for example in sorted(EXAMPLES.glob("*.py")):
        docstring = ast.get_docstring(ast.parse(example.read_text()), clean=False)
        assert docstring, f"{example.name} has no module docstring"
        lines = docstring.strip("\n").splitlines()
        assert len(lines) >= 2 and set(lines[1]) == {"="} and len(lines[1]) >= len(lines[0]), (
            f"{example.name}: the docstring must start with a title underlined by '='")
        assert example.name in ExampleOrder.ORDER, (
            f"add {example.name} to ExampleOrder.ORDER in docs/_ext/sk_convexbn_docs.py")


@pytest.mark.docs
def test_contributing_guides_give_the_build_command():
    for guide in (ROOT / "CONTRIBUTING.md", DOCS / "contributing.rst"):
        assert BUILD_COMMAND in guide.read_text(), f"{guide.name} lacks {BUILD_COMMAND!r}"


@pytest.mark.docs
def test_benchmark_tables_read_both_layouts_and_compute_ratios(tmp_path):
    ext = _docs_extension("sk_convexbn_benchmarks")
    flat = tmp_path / "flat.json"
    flat.write_text('{"a/convex": {"seconds": 4.0, "accuracy": 0.9, "gap": 1e-13},'
                    ' "a/MLP x": {"seconds": 2.0, "accuracy": 0.95},'
                    ' "a/MLP y": {"seconds": 1.0, "accuracy": 0.96},'
                    ' "b/convex": {"status": "timeout", "note": "no result within 600 s"},'
                    ' "b/MLP": {"seconds": 3.0}}')
    nested = tmp_path / "nested.json"
    nested.write_text('{"regression": {"command": "x", "rows": {"GD": {"objective": 2.0},'
                      ' "convex": {"objective": 3.0, "gap": 1e-12}}}}')
    record = tmp_path / "record.json"
    record.write_text('{"n_samples": 200, "fit_seconds_all": [0.5, 0.25]}')

    rows = ext.load_rows(flat)
    assert [(r.group, r.name) for r in rows][:2] == [("a", "convex"), ("a", "MLP x")]
    ratio = ext.Ratio.parse("seconds / MLP as x MLP")
    header, body = ext.table_cells(rows, ["seconds", "ratio", "accuracy", "gap"], ratio)
    assert header == ["method", "seconds", "x MLP", "test acc.", "gap", "note"]
    # the reference is the fastest MLP row of the same group
    assert body[0] == ("a", ["convex", "4", "4.000", "0.9000", "1.0e-13", ""])
    assert body[3] == ("b", ["convex", "", "", "", "", "timeout: no result within 600 s"])
    assert body[4][1][:3] == ["MLP", "3", "1.000"]

    rows = ext.load_rows(nested)
    header, body = ext.table_cells(rows, ["objective", "ratio"],
                                   ext.Ratio.parse("objective / GD as x best GD"))
    assert header == ["method", "J", "x best GD"]
    assert body == [("regression", ["GD", "2", "1.000"]), ("regression", ["convex", "3", "1.500"])]
    assert ext.load_rows(record) == {"n_samples": 200, "fit_seconds_all": [0.5, 0.25]}
    # metadata beside the groups is skipped; a group's rows are kept together
    mixed = tmp_path / "mixed.json"
    mixed.write_text('{"command": "x", "a/one": {"seconds": 1.0}, "b/two": {"seconds": 2.0},'
                     ' "a/three": {"seconds": 3.0}}')
    rows = ext.select_groups(ext.load_rows(mixed), None)
    assert [(r.group, r.name) for r in rows] == [("a", "one"), ("a", "three"), ("b", "two")]
    assert ext.plot_ratio(rows, tmp_path / "none.png",
                          ext.Ratio.parse("objective / one as x")) is False  # nothing to draw
    assert ext.format_value(1066.2, "time") == "1,066" and ext.format_value(None) == ""
    with pytest.raises(ValueError, match="KEY / ROW-PREFIX as HEADER"):
        ext.Ratio.parse("seconds over MLP")


@pytest.mark.docs
def test_offline_references_to_other_projects_get_their_urls():
    external_url = _docs_extension("sk_convexbn_docs").external_url
    generated = "https://scikit-learn.org/stable/modules/generated/"
    assert external_url("sklearn.pipeline.Pipeline", "class") == (
        generated + "sklearn.pipeline.Pipeline.html")
    assert external_url("sklearn.pipeline.Pipeline.fit", "meth") == (
        generated + "sklearn.pipeline.Pipeline.html#sklearn.pipeline.Pipeline.fit")
    assert external_url("sklearn.callback", "mod") == (
        "https://scikit-learn.org/stable/api/sklearn.callback.html")
    assert external_url("torch.nn.Module", "class").endswith("/generated/torch.nn.Module.html")
    for target, role in (("torch.nn", "mod"), ("torch.Tensor", "class"), ("torch.device", "class"),
                         ("sklearn.pipeline", "obj"), ("sklearn.utils.validation", "mod")):
        assert external_url(target, role) is None, target  # other schemes: left as text
    assert external_url("cvxpy.Problem.solve", "meth") is None  # no known scheme: text
    assert external_url("ConvexBNRegressor", "class") is None


def test_the_package_imports_with_docstrings_stripped():
    # the CV estimators assemble their docstrings at import: python -OO has none
    result = subprocess.run([sys.executable, "-OO", "-c", "import sk_convexbn"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
