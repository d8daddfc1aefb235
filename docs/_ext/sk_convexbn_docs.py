"""Small Sphinx helpers for the sk_convexbn documentation.

* ``OptionalFileDirective``: a directive about a file that may not exist yet (the
  benchmark results are written by the scripts in ``benchmarks/``); when it is
  missing, the directive's content (reStructuredText) is shown instead, so the build
  never fails on results that have not been produced.
* ``optional-figure``: a ``figure`` that is left out when its image is missing.
* API pages document the members that sk_convexbn defines (its own methods and
  properties, inherited ones included); the methods every scikit-learn estimator
  inherits from scikit-learn (``get_params``, ``set_params``, ``score``, the
  metadata-routing ``set_*_request`` methods...) are left to scikit-learn's docs.
* ``ExampleOrder``: the order of the gallery's examples.
* References to scikit-learn, PyTorch and NumPy that no inventory resolves (the
  build is offline unless ``SK_CONVEXBN_DOCS_INTERSPHINX=1``) link to the page that
  those projects' own URL scheme gives them, instead of rendering as plain text.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst.directives.images import Figure
from sphinx.util.docutils import SphinxDirective


class OptionalFileDirective(SphinxDirective):
    """Mixin of directives whose first argument names a file that may not exist."""

    def target(self) -> Path | None:
        """The file, or None when it does not exist (yet)."""
        rel_filename, filename = self.env.relfn2path(self.arguments[0])
        # Registered even when missing: the page is then rebuilt on every build,
        # and picks the file up as soon as a script has written it.
        self.env.note_dependency(rel_filename)
        return Path(filename) if Path(filename).is_file() else None

    def missing(self) -> list:
        """The directive's content, shown in place of the missing file."""
        if not self.content:
            return []
        container = nodes.container(classes=["sk-convexbn-missing-file"])
        self.state.nested_parse(self.content, self.content_offset, container)
        return [container]


class OptionalFigure(Figure, OptionalFileDirective):
    """``figure`` that is left out when the image is missing (its content is the
    caption, not a replacement)."""

    def run(self):
        if self.target() is not None:
            return super().run()
        return []


def _skip_members_defined_elsewhere(app, what, name, obj, skip, options):
    """Skip class members that sk_convexbn does not define (scikit-learn's API)."""
    if what != "class" or skip:
        return None
    target = obj.fget if isinstance(obj, property) else obj
    target = inspect.unwrap(target) if callable(target) else target
    module = getattr(target, "__module__", None)
    if module is None:
        return None
    return True if not module.startswith("sk_convexbn") else None


class ExampleOrder:
    """Sort key of the gallery: the quickstart first, the CIFAR-10 study last."""

    ORDER = (
        "quickstart.py",
        "plot_patterns_2d.py",
        "plot_closed_form.py",
        "plot_convex_vs_gd.py",
        "plot_pipeline_grid_search.py",
        "plot_digits.py",
        "cifar10_implicit_regularization.py",
    )

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        rank = self.ORDER.index(filename) if filename in self.ORDER else len(self.ORDER)
        return (rank, filename)

    def __repr__(self):
        return f"<{type(self).__name__}: {', '.join(self.ORDER)}>"


#: Where an offline build sends references to other projects: the page of an object
#: (class or function) by its full path, and the roles that scheme is right for.
#: PyTorch's module pages and its Tensor methods follow other schemes: only classes
#: under ``torch.nn`` and ``torch.optim`` are linked.
EXTERNAL = {
    "sklearn": "https://scikit-learn.org/stable/modules/generated/{object}.html",
    "torch": "https://docs.pytorch.org/docs/stable/generated/{object}.html",
    "numpy": "https://numpy.org/doc/stable/reference/generated/{object}.html",
}
OBJECT_ROLES = {"class", "func", "meth", "attr", "exc", "obj"}


def external_url(target: str, reftype: str) -> str | None:
    """The documentation URL of ``target`` (``sklearn.pipeline.Pipeline``), if known.

    Classes and functions have pages named after their full path; a method or an
    attribute (a name after a capitalized class) is an anchor on its class's page.
    scikit-learn's top-level modules (``sklearn.callback``) have API pages. Anything
    else stays plain text rather than risk a dead link.
    """
    parts = target.split(".")
    project = parts[0]
    if project not in EXTERNAL or len(parts) < 2:
        return None
    if reftype == "mod":
        return (f"https://scikit-learn.org/stable/api/{target}.html"
                if project == "sklearn" and len(parts) == 2 else None)
    if reftype not in OBJECT_ROLES:
        return None
    classes = [k for k, part in enumerate(parts) if part[:1].isupper()]
    if project == "torch" and (parts[1] not in ("nn", "optim") or not classes):
        return None
    if not classes and reftype not in ("func", "obj"):
        return None
    if reftype == "obj" and not classes and len(parts) == 2:
        return None  # sklearn.pipeline: a module, not an object
    if classes and classes[0] < len(parts) - 1:  # Class.method
        owner = ".".join(parts[:classes[0] + 1])
        return EXTERNAL[project].format(object=owner) + "#" + target
    return EXTERNAL[project].format(object=target)


def _resolve_external(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    url = external_url(node.get("reftarget", ""), node.get("reftype", ""))
    if url is None:
        return None
    reference = nodes.reference("", "", internal=False, refuri=url,
                                reftitle=node.get("reftarget"))
    reference += contnode
    return reference


def setup(app):
    app.add_directive("optional-figure", OptionalFigure)
    app.connect("autodoc-skip-member", _skip_members_defined_elsewhere)
    # after intersphinx (priority 500 by default): only what no inventory resolved
    app.connect("missing-reference", _resolve_external, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
