#!/usr/bin/env python3
"""Keep the notebooks consistent: shared cells, stored outputs, contents, workbooks.

    python3 tasks.py generate              # runs `sync` and fills every generated text block
    python tools/nbtools.py sync           # only the notebooks: shared cells, contents, workbooks
    python tools/nbtools.py sync --check   # exit 1 if anything would change
    python tools/nbtools.py store          # execute (smoke profile), keep only checked outputs
    python tools/nbtools.py strip          # drop every output except the checked ones

Shared cells are found by a marker on their first line and rewritten from
the templates below, so they are never copied by hand:

* ``<!-- nb:badge -->``  the "Open in Colab" badge (markdown),
* ``# nb:setup``         makes ``unet_helpers`` importable, locally or alone in Colab,
* ``# nb:device``        says what hardware runs the notebook and which profile is used,
* ``<!-- nb:nav -->``    previous / contents / next links (markdown, the last cell),
* ``## Exercises``       the introduction to a notebook's exercises (markdown).

The contents notebook ``notebooks/00_contents.ipynb`` (and, through
``tools/generate.py``, the README's contents table) come from the notebooks'
first headings.

``sync`` also writes the **workbooks** (``workbooks/``, committed): the
notebooks as a learner works through them, each answer cell empty and a model
answer folded under its check (``tools/nbcells.py``). Every "Open in Colab"
badge opens a workbook.

Cells whose source contains ``# NBVAL_CHECK_OUTPUT`` keep their output and
execution count (nbval compares them); every other output is stripped.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from nbcells import BADGE_MARK, EXERCISES_MARK, render, workbook_notebook  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
WORKBOOKS = ROOT / "workbooks"  # generated from NOTEBOOKS: what learners and the badges open

# The one place that names the repository and the release that Colab installs.
REPOSITORY = "unet-tutorials/unet-collection"
VERSION = re.search(r'^__version__ = "([^"]+)"', (ROOT / "unet_helpers" / "__init__.py")
                    .read_text(), re.M)[1]
RELEASE = f"v{VERSION}"  # a maintainer pushes this tag with every release (README)
PACKAGE_SOURCE = f"unet_helpers @ git+https://github.com/{REPOSITORY}@{RELEASE}"
SOURCE_ENV_VAR = "UNET_HELPERS_SOURCE"  # overrides PACKAGE_SOURCE (tests: a local wheel)

CHECK_MARK = "NBVAL_CHECK_OUTPUT"
SETUP_MARK = "# nb:setup"
DEVICE_MARK = "# nb:device"
NAV_MARK = "<!-- nb:nav -->"
CONTENTS = NOTEBOOKS / "00_contents.ipynb"
# cell metadata worth keeping: nbval/nbgrader markers and read-only flags of check cells
KEPT_METADATA = ("tags", "nbgrader", "editable", "deletable", "cellView", "jupyter")

SETUP_TITLE = "#@title Setup: makes `unet_helpers` importable (installs it in Colab)"
SETUP_TEMPLATE = f"""\
{SETUP_TITLE}
{SETUP_MARK} (shared cell: edit tools/nbtools.py, then run `python3 tasks.py generate`)
SAVE_TO_DRIVE = False  #@param {{type:"boolean"}}
# In Colab, True keeps models and checkpoints on Google Drive (the runtime is wiped).
import importlib, importlib.util, os, pathlib, subprocess, sys

if importlib.util.find_spec("unet_helpers") is None:
    if pathlib.Path("../unet_helpers/__init__.py").exists():  # a clone, not pip-installed
        sys.path.insert(0, "..")
    else:  # opened alone, e.g. in Colab: install the helpers from the repository
        SOURCE = os.environ.get("{SOURCE_ENV_VAR}") or (  # the release, from GitHub
            "{PACKAGE_SOURCE}")
        print(f"Installing unet_helpers from {{SOURCE}} ...")
        pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", SOURCE],
                             capture_output=True, text=True)
        if pip.returncode:
            said = [line for line in pip.stderr.splitlines() if line.strip()]
            said = [line for line in said if "rror" in line or "fatal" in line] or said[-4:]
            print("The install failed. pip said:\\n  " + "\\n  ".join(said[-6:]) + "\\n"
                  "Check that this runtime reaches the internet and run this cell again; or "
                  "upload the repository's unet_helpers/ folder next to this notebook; or "
                  "clone the repository and open the notebook from its notebooks/ folder.")
            raise RuntimeError("unet_helpers is not installed (see above)") from None
        importlib.invalidate_caches()"""
# Colab shows a cell with a #@title as a folded form; JupyterLab hides a cell's source
# with this metadata. Either way the first thing a learner reads is the lesson.
SETUP_METADATA = {"cellView": "form", "jupyter": {"source_hidden": True}}

DEVICE_TEMPLATE = f"""\
{DEVICE_MARK} (shared cell) The helpers, what runs this notebook, and at which size?
import unet_helpers as uh
OUTPUTS = uh.paths.colab_outputs(SAVE_TO_DRIVE)  # where files go (Google Drive if chosen)
print(uh.describe_device())
profile = uh.get_profile()  # UNET_PROFILE: smoke, cpu or gpu
print(f"Profile {{profile.name!r}}: {{profile.description}}.")"""


EXERCISES_TEMPLATE = f"""\
{EXERCISES_MARK}
The graded exercises below ask you to write a key piece yourself. Write your answer in the \
first cell of each, then run the check cell under it: it says *what* is wrong when something \
is. In the workbooks (the folder `workbooks/`, which the *Open in Colab* badges open) the answer \
cell holds only a stub, `raise NotImplementedError()`, and a model answer lies folded under the \
check: try first, then unfold it to compare. In `notebooks/` the model answers are filled \
in. An exercise you skip is not an error: \
its check says it is still open, and the rest of the notebook runs on (in notebook 01 with the \
package's version of the block). Instructors: see `docs/teaching.md` for student versions \
without answers and for grading."""


def badge_source(path: Path) -> str:
    """The "Open in Colab" badge: it opens the notebook's workbook (exercises left to do)."""
    url = f"https://colab.research.google.com/github/{REPOSITORY}/blob/main/workbooks/{path.name}"
    return (
        f"{BADGE_MARK}\n"
        f'<a href="{url}" target="_parent">'
        '<img src="https://colab.research.google.com/assets/colab-badge.svg" '
        'alt="Open In Colab"/></a>'
    )


def notebook_paths() -> list[Path]:
    """The lessons, in order (two-digit prefixes from 01; 00 is the contents)."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if not p.name.startswith("00"))


def nav_source(path: Path) -> str:
    """Links to the previous notebook, the contents and the next notebook."""
    paths = notebook_paths()
    index = paths.index(path)
    links = []
    if index > 0:
        links.append(f"[← {title_of(nbformat.read(paths[index - 1], as_version=4))}]"
                     f"({paths[index - 1].name})")
    links.append(f"[Contents]({CONTENTS.name})")
    if index + 1 < len(paths):
        links.append(f"[{title_of(nbformat.read(paths[index + 1], as_version=4))} →]"
                     f"({paths[index + 1].name})")
    return f"{NAV_MARK}\n" + " | ".join(links)


def contents_notebook():
    """The contents notebook, generated from the lessons' titles and purposes."""
    from nbformat.v4 import new_markdown_cell, new_notebook

    intro = ("# 00 · Contents\n\n"
             "Build, train and use a U-Net for image segmentation with TensorFlow and Keras, "
             "from the first convolution to a model on a phone. Work through the notebooks in "
             "order; each ends with a summary, exercises and a link to the next.")
    how = ("## How to run them\n\n"
           "- **Size of a run:** set `UNET_PROFILE` to `smoke` (seconds, offline), `cpu` "
           "(a laptop, real photos) or `gpu` (full size, e.g. Colab). See the README.\n"
           "- **Exercises:** each notebook ends with graded exercises and check cells. Work "
           "through the **workbooks** (`workbooks/`, where `python3 tasks.py lab` opens): "
           "there each answer cell holds only a stub and a model answer lies folded under "
           "its check. "
           "`notebooks/` has the answers filled in; instructors, see `docs/teaching.md`.\n"
           "- **Colab:** every notebook has an *Open in Colab* badge at the top; it opens "
           "the workbook.")
    nb = new_notebook()
    nb.cells = [new_markdown_cell(intro), new_markdown_cell(contents_table(folder="")),
                new_markdown_cell(how)]
    normalize(nb)
    return nb


def title_of(nb) -> str:
    """The text of the notebook's first level-1 heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise ValueError("no level-1 heading")


def purpose_of(nb) -> str:
    """The first non-heading line of the title cell: the one-line purpose."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            for line in cell.source.splitlines()[1:]:
                if line.strip():
                    return line.strip()
    return ""


def is_checked(cell) -> bool:
    return cell.cell_type == "code" and CHECK_MARK in cell.source


def sync_cells(path: Path, nb) -> None:
    """Rewrite the marked shared cells of one notebook in place."""
    templates = {BADGE_MARK: badge_source(path), SETUP_MARK: SETUP_TEMPLATE,
                 DEVICE_MARK: DEVICE_TEMPLATE, NAV_MARK: nav_source(path),
                 EXERCISES_MARK: EXERCISES_TEMPLATE}
    for cell in nb.cells:
        for mark, text in templates.items():
            if is_marked(cell, mark):
                cell.source = text
                if mark == SETUP_MARK:
                    cell.metadata.update(SETUP_METADATA)


def is_marked(cell, mark: str) -> bool:
    """A shared cell carries its marker on its first line (the setup cell: after its title)."""
    return any(line.startswith(mark.rstrip("\n")) for line in cell.source.split("\n")[:2]) \
        if mark != EXERCISES_MARK else cell.source.startswith(mark)


def coalesce_streams(outputs: list) -> list:
    """Merge consecutive stream outputs of the same name (stdout, stderr)."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")):
            previous["text"] += output["text"]
        else:
            merged.append(output)
    return merged


def normalize(nb) -> None:
    """Strip unchecked outputs and editor noise so that git diffs stay readable."""
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index:02d}"
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in KEPT_METADATA}
        if cell.cell_type == "code" and not is_checked(cell):
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nb.nbformat, nb.nbformat_minor = 4, 5


def contents_table(folder: str = "notebooks/") -> str:
    """A markdown table of the lessons; links start with ``folder``."""
    rows = ["| # | Notebook | What you learn |", "|---|---|---|"]
    for path in notebook_paths():
        nb = nbformat.read(path, as_version=4)
        rows.append(f"| {path.name[:2]} | [{title_of(nb)}]({folder}{path.name}) | "
                    f"{purpose_of(nb)} |")
    return "\n".join(rows)




def sync(check: bool) -> int:
    """Refresh shared cells, normalize every notebook, write the contents and the workbooks."""
    changed, workbooks = [], {}
    for path in notebook_paths():
        before = path.read_text()
        nb = nbformat.reads(before, as_version=4)
        sync_cells(path, nb)
        normalize(nb)
        after = render(nb)
        if after != before:
            changed.append((path, before, after))
        workbook = workbook_notebook(nb)
        normalize(workbook)
        workbooks[WORKBOOKS / path.name] = render(workbook)
    contents_before = CONTENTS.read_text() if CONTENTS.exists() else ""
    contents_after = render(contents_notebook())
    if contents_after != contents_before:
        changed.append((CONTENTS, contents_before, contents_after))
    workbooks[WORKBOOKS / CONTENTS.name] = contents_after
    for target, after in workbooks.items():
        before = target.read_text() if target.exists() else ""
        if after != before:
            changed.append((target, before, after))
    stale = sorted(set(WORKBOOKS.glob("*.ipynb")) - set(workbooks))
    for path in stale:
        if check:
            print(f"{path.relative_to(ROOT)} has no notebook any more: delete it")
        else:
            path.unlink()
            print(f"deleted {path.relative_to(ROOT)}")
    for path, before, after in changed:
        if check:
            diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="",
                                        fromfile=str(path.relative_to(ROOT)), tofile="synced",
                                        n=1)
            print("\n".join(list(diff)[:40]))
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(after)
            print(f"updated {path.relative_to(ROOT)}")
    if check and (changed or stale):
        print("\nRun `python3 tasks.py generate` to bring these up to date.")
        return 1
    return 0


def store(names: list[str]) -> int:
    """Execute notebooks under the smoke profile and keep the checked outputs."""
    from nbclient import NotebookClient

    os.environ.update({"UNET_PROFILE": "smoke", "TF_CPP_MIN_LOG_LEVEL": "2"})
    os.environ.setdefault("UNET_OUTPUT_DIR", str(ROOT / "runs" / "store-outputs"))
    for path in select(names):
        nb = nbformat.read(path, as_version=4)
        sync_cells(path, nb)
        NotebookClient(nb, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
        for cell in nb.cells:
            if is_checked(cell):
                for output in cell.outputs:
                    if output.output_type == "stream" and output.name == "stderr":
                        raise SystemExit(f"{path.name}: a checked cell wrote to stderr:\n"
                                         f"{cell.source}\n---\n{output.text}")
        normalize(nb)
        path.write_text(render(nb))
        print(f"stored checked outputs of {path.name}")
    return 0


def strip(names: list[str]) -> int:
    for path in select(names):
        nb = nbformat.read(path, as_version=4)
        normalize(nb)
        path.write_text(render(nb))
    return 0


def select(names: list[str]) -> list[Path]:
    paths = notebook_paths()
    if not names:
        return paths
    chosen = [p for p in paths if any(p.name.startswith(n) for n in names)]
    if not chosen:
        raise SystemExit(f"no notebook matches {names}")
    return chosen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_sync = sub.add_parser("sync")
    p_sync.add_argument("--check", action="store_true")
    for name in ("store", "strip"):
        sub.add_parser(name).add_argument("notebooks", nargs="*")
    args = parser.parse_args(argv)
    if args.command == "sync":
        return sync(args.check)
    return {"store": store, "strip": strip}[args.command](args.notebooks)


if __name__ == "__main__":
    sys.exit(main())
