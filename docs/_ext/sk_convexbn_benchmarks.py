"""Benchmark results rendered at build time from ``benchmarks/results/*.json``.

Two directives read the JSON files the scripts in ``benchmarks/`` write:

``benchmark-table``
    A real table (sortable by eye, wrapping at the column width), one group of rows
    per data set or problem under a row that names it::

        .. benchmark-table:: ../benchmarks/results/baselines.json
           :columns: seconds, ratio, accuracy, objective, gap, neurons
           :ratio: seconds / MLPClassifier as x MLP
           :groups: digits, breast_cancer

    ``:columns:`` are keys of the rows (known keys get a header and a number
    format, see ``COLUMNS``; ``gap|certificate`` takes the first key a row has);
    ``ratio`` is the column ``:ratio:`` defines: the key's
    value over the smallest value of the rows of the same group whose name starts
    with the given prefix. Rows that did not run (``status`` ``timeout``,
    ``skipped``...) and rows with a ``note`` fill a last *note* column. A JSON file
    that is one flat record (``cvxpy_reference.json``) becomes a two-column table.

``benchmark-plot``
    A figure drawn with matplotlib from the same rows, written under
    ``_generated/benchmarks/`` of the sources: ``:kind: time-accuracy`` (one panel
    per group: fit time on a log axis against test accuracy) or ``:kind: ratio``
    (one horizontal bar per row: ``:key:`` over the reference of ``:ratio:``).

When the JSON file is missing, both show the directive's content instead (the
command that writes it), so the build never fails on results not produced yet.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sk_convexbn_docs import OptionalFileDirective

#: Header and format of the keys the benchmark scripts write.
COLUMNS = {
    "seconds": ("seconds", "time"),
    "fit_seconds": ("seconds", "time"),
    "seconds_to_1pct": ("s to 1 %", "time"),
    "epochs_to_1pct": ("epochs to 1 %", "int"),
    "accuracy": ("test acc.", ".4f"),
    "test_accuracy": ("test acc.", ".4f"),
    "validation_accuracy": ("val. acc.", ".4f"),
    "train_accuracy": ("train acc.", ".4f"),
    "test_agreement_with_gd": ("agrees with GD", ".3f"),
    "test_score": ("test score", ".4f"),
    "cv_score": ("CV score", ".4f"),
    "objective": ("J", ".6g"),
    "gap": ("gap", ".1e"),
    "certificate": ("gap", ".1e"),
    "duality_gap": ("gap", ".1e"),
    "neurons": ("neurons", "int"),
    "patterns": ("patterns", "int"),
    "iterations": ("iterations", "int"),
    "blocks": ("blocks", "int"),
    "steps": ("Newton steps", "int"),
    "pivots": ("face changes", "int"),
    "n_iter": ("iterations", "int"),
    "epochs": ("epochs", "int"),
    "alpha": ("alpha", ".3g"),
    "peak_memory_gb": ("memory GB", ".2f"),
    "convergence_warnings": ("warnings", "int"),
}
#: Statuses of rows that produced no measurement (their numbers are left empty).
NOT_RUN = {"timeout", "skipped", "error", "failed"}


def format_value(value, style: str = "auto") -> str:
    """Text of one table cell (``style``: a format spec, ``"time"``, ``"int"``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}={format_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, str):
        return value
    if style == "int":
        return f"{int(round(value)):,}"
    if style == "ratio":
        return f"{value:.3f}" if value < 10 else f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    if style == "time":
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    if style == "auto":
        return f"{value:,}" if isinstance(value, int) else f"{value:.4g}"
    return format(value, style)


@dataclass
class Row:
    group: str
    name: str
    record: dict

    @property
    def ran(self) -> bool:
        return self.record.get("status") not in NOT_RUN


def load_rows(path: Path) -> list[Row] | dict:
    """The rows of a results file, or the record itself when it is one flat record.

    Two layouts are read: ``{"group/name": record}`` and
    ``{group: {"rows": {name: record}, ...}}``.
    """
    data = json.loads(Path(path).read_text())
    nested = any(isinstance(v, dict) and isinstance(v.get("rows"), dict) for v in data.values())
    if not nested and not any("/" in key for key in data):
        return data  # one record
    rows = []
    for key, value in data.items():
        if not isinstance(value, dict):  # metadata beside the rows
            continue
        if isinstance(value.get("rows"), dict):
            rows += [Row(key, name, rec) for name, rec in value["rows"].items()]
        else:
            group, _, name = key.rpartition("/")
            rows.append(Row(group, name, value))
    return rows


@dataclass
class Ratio:
    """``key`` of a row over the smallest ``key`` of its group's reference rows."""

    key: str
    prefix: str
    header: str

    @classmethod
    def parse(cls, text: str) -> Ratio:
        match = re.fullmatch(r"\s*(\w+)\s*/\s*(.+?)\s+as\s+(.+?)\s*", text)
        if match is None:
            raise ValueError(f":ratio: must read 'KEY / ROW-PREFIX as HEADER', got {text!r}")
        return cls(*match.groups())

    def references(self, rows: list[Row]) -> dict[str, float]:
        best: dict[str, float] = {}
        for row in rows:
            value = row.record.get(self.key)
            if row.name.startswith(self.prefix) and row.ran and isinstance(value, (int, float)):
                best[row.group] = min(best.get(row.group, math.inf), value)
        return best

    def value(self, row: Row, references: dict[str, float]):
        value, reference = row.record.get(self.key), references.get(row.group)
        if not row.ran or not isinstance(value, (int, float)) or not reference:
            return None
        return value / reference


def select_groups(rows: list[Row], groups: list[str] | None) -> list[Row]:
    """The rows of ``groups`` in that order (all groups, in order of appearance, when
    None), each group's rows together."""
    order = groups or list(dict.fromkeys(r.group for r in rows))
    return sorted((r for r in rows if r.group in order), key=lambda r: order.index(r.group))


def table_cells(rows: list[Row], columns: list[str], ratio: Ratio | None):
    """Header and body (lists of cell texts, with the group name of each row)."""
    references = ratio.references(rows) if ratio else {}
    with_note = any("note" in r.record or not r.ran for r in rows)
    def title(column):
        if column == "ratio" and ratio:
            return ratio.header
        key = column.split("|")[0]
        return COLUMNS.get(key, (key,))[0]

    header = ["method"] + [title(c) for c in columns] + (["note"] if with_note else [])
    body = []
    for row in rows:
        cells = [row.name]
        for column in columns:
            if column == "ratio" and ratio:
                cells.append(format_value(ratio.value(row, references), "ratio"))
            elif not row.ran:
                cells.append("")
            else:
                key = next((k for k in column.split("|") if k in row.record), column)
                style = COLUMNS.get(key, (key, "auto"))[1]
                cells.append(format_value(row.record.get(key), style))
        if with_note:
            note = row.record.get("note", "")
            status = row.record.get("status")
            cells.append(f"{status}: {note}" if not row.ran and status else note)
        body.append((row.group, cells))
    return header, body


def _table_node(header: list[str], body, title: str | None) -> nodes.table:
    n_cols = len(header)
    table = nodes.table(classes=["sk-convexbn-benchmark"])
    if title:
        table += nodes.title(text=title)
    tgroup = nodes.tgroup(cols=n_cols)
    table += tgroup
    for k in range(n_cols):
        tgroup += nodes.colspec(colwidth=3 if k in (0, n_cols - 1) else 1)

    def row_node(texts, classes=()):
        tr = nodes.row(classes=list(classes))
        for text in texts:
            entry = nodes.entry()
            entry += nodes.paragraph(text=text)
            tr += entry
        return tr

    thead = nodes.thead()
    thead += row_node(header)
    tgroup += thead
    tbody = nodes.tbody()
    previous = None
    for group, cells in body:
        if group and group != previous:
            tr = nodes.row(classes=["sk-convexbn-group"])
            entry = nodes.entry(morecols=n_cols - 1)
            entry += nodes.paragraph("", "", nodes.strong(text=group))
            tr += entry
            tbody += tr
            previous = group
        tbody += row_node(cells)
    tgroup += tbody
    return table


def _groups_option(text: str) -> list[str]:
    return [g.strip() for g in text.split(",") if g.strip()]


class _ResultsDirective(OptionalFileDirective):
    """Shared by both directives: the rows of the JSON file (None when it is missing)."""

    required_arguments = 1
    has_content = True

    def results(self):
        path = self.target()
        return None if path is None else load_rows(path)

    def selected(self, rows):
        """``rows`` of the ``:groups:`` option, warning about groups the file lacks."""
        groups = self.options.get("groups")
        unknown = sorted(set(groups or ()) - {r.group for r in rows})
        if unknown:
            self.state.document.reporter.warning(
                f"{self.arguments[0]} has no group {unknown}", line=self.lineno)
        return select_groups(rows, groups)


class BenchmarkTable(_ResultsDirective):
    option_spec = {
        "columns": _groups_option,
        "ratio": Ratio.parse,
        "groups": _groups_option,
        "title": directives.unchanged,
    }

    def run(self):
        rows = self.results()
        if rows is None:
            return self.missing()
        title = self.options.get("title")
        if isinstance(rows, dict):
            body = [("", [COLUMNS.get(k, (k,))[0], format_value(v)]) for k, v in rows.items()]
            return [_table_node(["quantity", "value"], body, title)]
        rows = self.selected(rows)
        header, body = table_cells(rows, self.options.get("columns", []),
                                   self.options.get("ratio"))
        return [_table_node(header, body, title)]


def _pyplot():
    """matplotlib's pyplot on the non-interactive backend (the build has no screen)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)


def plot_time_accuracy(rows: list[Row], path: Path, accuracy: str = "accuracy") -> bool:
    """One panel per group: fit time (log scale) against test accuracy.

    Returns False, drawing nothing, when no row has both.

    A method has the same colour and marker in every panel (circles: the convex
    models), and one legend below the panels names them.
    """
    plt = _pyplot()

    def seconds(row):
        return row.record.get("seconds", row.record.get("fit_seconds"))

    points = [r for r in rows if r.ran and isinstance(r.record.get(accuracy), (int, float))
              and seconds(r) is not None]
    if not points:
        return False
    groups = list(dict.fromkeys(r.group for r in points))
    methods = list(dict.fromkeys(r.name for r in points))
    n_cols = min(2, len(groups))
    n_rows = math.ceil(len(groups) / n_cols)
    with plt.rc_context({"font.size": 11}):
        fig, axes = plt.subplots(n_rows, n_cols, figsize=(8, 2.9 * n_rows + 1.0),
                                 squeeze=False, layout="constrained")
        for ax, group in zip(axes.flat, groups):
            for row in (r for r in points if r.group == group):
                k = methods.index(row.name)
                ax.scatter(seconds(row), row.record[accuracy], s=70, color=f"C{k}",
                           marker="o" if "onvex" in row.name else "s", zorder=3,
                           edgecolor="black", linewidth=0.5)
            ax.set_xscale("log")
            ax.margins(x=0.15, y=0.2)
            ax.set_title(group)
            ax.set_xlabel("fit time (s, log scale)")
            ax.set_ylabel("test accuracy")
            ax.grid(alpha=0.3)
        for ax in list(axes.flat)[len(groups):]:
            ax.axis("off")
        handles = [plt.Line2D([], [], linestyle="", marker="o" if "onvex" in m else "s",
                              markersize=8, color=f"C{k}", markeredgecolor="black",
                              markeredgewidth=0.5, label=m) for k, m in enumerate(methods)]
        fig.legend(handles=handles, loc="outside lower center", frameon=False,
                   ncol=2 if max(len(m) for m in methods) > 20 else 3)
        _save(fig, path)
    return True


def plot_ratio(rows: list[Row], path: Path, ratio: Ratio) -> bool:
    """One horizontal bar per row: ``ratio`` on a log axis, annotated with the time.

    Returns False, drawing nothing, when no row has the ratio.
    """
    plt = _pyplot()

    references = ratio.references(rows)
    bars = [(r, ratio.value(r, references)) for r in rows]
    bars = [(r, v) for r, v in bars if v is not None]
    if not bars:
        return False
    with plt.rc_context({"font.size": 11}):
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(bars) + 1.3))
        names = [r.name for r, _ in bars][::-1]
        values = [v for _, v in bars][::-1]
        colors = ["C0" if n.startswith(ratio.prefix) else "C1" for n in names]
        ax.barh(names, values, color=colors)
        ax.set_xscale("log")
        ax.axvline(1.0, color="black", linewidth=1)
        for k, (row, value) in enumerate(reversed(bars)):
            seconds = row.record.get("seconds", row.record.get("fit_seconds"))
            if seconds is not None:
                ax.text(value * 1.08, k, f"{format_value(value, 'ratio')}  "
                        f"({format_value(seconds, 'time')} s)", va="center", fontsize=10)
        ax.set_xlim(min(values) / 1.5, max(values) * 8)
        ax.set_xlabel(f"{ratio.header} (log scale; 1 = the best {ratio.prefix} row)")
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        _save(fig, path)
    return True


class BenchmarkPlot(_ResultsDirective):
    option_spec = {
        "kind": lambda text: directives.choice(text, ("time-accuracy", "ratio")),
        "ratio": Ratio.parse,
        "groups": _groups_option,
        "accuracy": directives.unchanged,
        "alt": directives.unchanged,
        "caption": directives.unchanged,
    }

    def run(self):
        rows = self.results()
        if rows is None:
            return self.missing()
        rows = self.selected(rows)
        kind = self.options.get("kind", "time-accuracy")
        name = f"{Path(self.arguments[0]).stem}-{kind}-{self.lineno}.png"
        path = Path(self.env.srcdir) / "_generated" / "benchmarks" / self.env.docname / name
        if kind == "ratio":
            if "ratio" not in self.options:
                raise self.error("benchmark-plot :kind: ratio needs :ratio:")
            drawn = plot_ratio(rows, path, self.options["ratio"])
        else:
            drawn = plot_time_accuracy(rows, path, self.options.get("accuracy", "accuracy"))
        if not drawn:
            self.state.document.reporter.warning(
                f"{self.arguments[0]}: no row to plot", line=self.lineno)
            return self.missing()
        uri = "/" + path.relative_to(self.env.srcdir).as_posix()
        figure = nodes.figure(classes=["sk-convexbn-benchmark-plot"])
        figure += nodes.image(uri=uri, alt=self.options.get("alt", ""))
        if "caption" in self.options:
            figure += nodes.caption(text=self.options["caption"])
        return [figure]


def _clear_generated(app):
    """Start from no plots: names follow line numbers, old ones would pile up."""
    shutil.rmtree(Path(app.srcdir) / "_generated" / "benchmarks", ignore_errors=True)


def setup(app):
    app.connect("builder-inited", _clear_generated)
    app.add_directive("benchmark-table", BenchmarkTable)
    app.add_directive("benchmark-plot", BenchmarkPlot)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
