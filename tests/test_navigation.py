"""Navigation: contents notebook, prev / contents / next links, README table."""

import re

import nbformat
import nbtools
from conftest import ROOT

PATHS = nbtools.notebook_paths()
LINK = re.compile(r"\]\(([^)#]+\.ipynb)\)")


def links(source: str) -> list[str]:
    return LINK.findall(source)


def test_every_notebook_ends_with_its_navigation():
    for index, path in enumerate(PATHS):
        nav = nbformat.read(path, as_version=4).cells[-1].source
        assert nav.startswith(nbtools.NAV_MARK), f"{path.name}: no navigation cell at the end"
        expected = ([PATHS[index - 1].name] if index else []) + ["00_contents.ipynb"] + (
            [PATHS[index + 1].name] if index + 1 < len(PATHS) else [])
        assert links(nav) == expected, f"{path.name}: {links(nav)}"
        assert ("←" in nav) == (index > 0) and ("→" in nav) == (index + 1 < len(PATHS))


def test_every_link_in_the_notebooks_resolves():
    for path in [nbtools.CONTENTS] + PATHS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                for target in links(cell.source):
                    assert (path.parent / target).exists(), f"{path.name} links to {target}"


def test_contents_lists_the_notebooks_in_order_with_their_titles():
    contents = nbformat.read(nbtools.CONTENTS, as_version=4)
    text = "\n".join(cell.source for cell in contents.cells)
    assert links(text) == [p.name for p in PATHS]
    for path in PATHS:
        title = nbtools.title_of(nbformat.read(path, as_version=4))
        assert f"[{title}]({path.name})" in text
    readme = (ROOT / "README.md").read_text()
    assert [m for m in re.findall(r"\(notebooks/(\d\d_[a-z0-9_]+\.ipynb)\)", readme)
            if m != "00_contents.ipynb"][:len(PATHS)] == [p.name for p in PATHS]


def test_navigation_is_rewritten_from_the_file_order(tmp_path, monkeypatch):
    for name in ("01_a.ipynb", "02_b.ipynb", "03_c.ipynb"):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {name[:2]} · {name[3]}\n\nabout {name}"),
                    nbformat.v4.new_markdown_cell(nbtools.NAV_MARK + "\nstale")]
        nbformat.write(nb, tmp_path / name)
    monkeypatch.setattr(nbtools, "NOTEBOOKS", tmp_path)
    middle = tmp_path / "02_b.ipynb"
    nb = nbformat.read(middle, as_version=4)
    nbtools.sync_cells(middle, nb)
    assert nb.cells[-1].source == (nbtools.NAV_MARK + "\n[← 01 · a](01_a.ipynb) | "
                                   "[Contents](00_contents.ipynb) | [03 · c →](03_c.ipynb)")
