"""Sphinx configuration of the sk_convexbn documentation.

Build (warnings are errors; the test suite runs the same command)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Links to other projects' documentation (intersphinx) need their inventories, which
are downloaded: they are enabled only with ``SK_CONVEXBN_DOCS_INTERSPHINX=1`` so
that an offline build neither fails nor warns.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The examples run during the build. On machines shared with other jobs, torch's
# intra-op threads contending for oversubscribed cores slow the solvers down by an
# order of magnitude; one thread is the fast setting there. Set OMP_NUM_THREADS
# yourself to override (it must be set before torch is imported, hence here).
os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = Path(__file__).parent.resolve()
sys.path.insert(0, str(HERE / "_ext"))

import sk_convexbn  # noqa: E402

# -- Project ---------------------------------------------------------------------------

project = "sk_convexbn"
author = "sk_convexbn developers"
copyright = "2026, the sk_convexbn developers"
release = sk_convexbn.__version__
version = release

# -- General ---------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sk_convexbn_docs",  # docs/_ext: optional includes, member filtering, gallery order
    "sk_convexbn_benchmarks",  # docs/_ext: benchmark tables and plots from the JSON results
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "_generated", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "literal"
add_module_names = False
pygments_style = "sphinx"

# -- autodoc / autosummary / numpydoc --------------------------------------------------

autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- intersphinx (opt-in: inventories are downloaded) ----------------------------------

INTERSPHINX_TARGETS = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "torch": ("https://docs.pytorch.org/docs/stable", None),
    "cvxpy": ("https://www.cvxpy.org", None),
}
intersphinx_mapping = (
    INTERSPHINX_TARGETS if os.environ.get("SK_CONVEXBN_DOCS_INTERSPHINX") == "1" else {}
)

# -- sphinx-gallery --------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Executed during the build: the quickstart and every plot_*.py. Other files
    # (the CIFAR-10 study, which needs the data archive and minutes of compute) are
    # rendered with their code but not run.
    "filename_pattern": r"/(plot_|quickstart)",
    "within_subsection_order": "sk_convexbn_docs.ExampleOrder",
    "doc_module": ("sk_convexbn",),
    "reference_url": {"sk_convexbn": None},
    "backreferences_dir": "generated/backreferences",
    "remove_config_comments": True,
    "min_reported_time": 1,
    "show_memory": False,
    "matplotlib_animations": False,
}

# -- HTML ------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
# MathJax from the site itself (docs/_static/mathjax), not a CDN: math renders offline
mathjax_path = "mathjax/tex-chtml.js"
# Narrative pages have no sub-pages: no empty "Section Navigation" sidebar there
html_sidebars = {page: [] for page in ("index", "getting_started", "user_guide", "theory",
                                       "benchmarks", "changelog", "contributing")}
html_title = f"sk_convexbn {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_show_sourcelink = False
