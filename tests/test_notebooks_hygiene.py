"""The notebooks follow the collection's conventions (see README, For contributors)."""

import re

import nbformat
import nbtools
import pytest
from conftest import ROOT

PATHS = nbtools.notebook_paths()
IDS = [p.name for p in PATHS]


def test_there_are_notebooks_in_order():
    numbers = [int(p.name[:2]) for p in PATHS]
    assert numbers[:2] == [1, 2]
    assert numbers == list(range(1, len(numbers) + 1)), "numbers must be consecutive"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name) for p in PATHS)


def test_shared_cells_and_contents_are_in_sync(capsys):
    assert nbtools.sync(check=True) == 0, capsys.readouterr().out


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_outputs_are_stripped_except_checked_cells(path):
    nb = nbformat.read(path, as_version=4)
    checked = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if nbtools.is_checked(cell):
            checked += 1
            assert cell.outputs, f"cell {index}: checked cell without a stored output"
            assert cell.execution_count, f"cell {index}: nbval needs an execution count"
            for output in cell.outputs:
                assert output.get("name") != "stderr", f"cell {index}: stderr is stored"
                text = str(output)
                assert not re.search(r"/(root|tmp|home|work|Users)/", text), \
                    f"cell {index}: a machine path in the stored output"
        else:
            assert not cell.outputs, f"cell {index}: unchecked output stored"
            assert cell.execution_count is None, f"cell {index}: stray execution count"
    assert checked >= 2, "each notebook checks at least two deterministic outputs"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_opening_and_ending(path):
    nb = nbformat.read(path, as_version=4)
    sources = [cell.source for cell in nb.cells]
    assert sources[0].startswith(f"# {path.name[:2]} · "), "first cell: the numbered title"
    assert sources[1].startswith(nbtools.BADGE_MARK)
    assert any(nbtools.SETUP_MARK in s for s in sources)
    assert any(s.startswith(nbtools.DEVICE_MARK) for s in sources)
    headings = [line for s in sources for line in s.splitlines() if line.startswith("## ")]
    for required in ("## Summary", "## Exercises", "## Next steps"):
        assert required in headings, f"missing {required}"
    assert headings[-3:] == ["## Summary", "## Exercises", "## Next steps"]


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_cells_stay_short(path):
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if nbtools.SETUP_MARK in cell.source:  # folded in Colab and JupyterLab, one-line title
            assert cell.source.startswith("#@title ") and len(cell.source.splitlines()[0]) <= 100
            assert cell.metadata["cellView"] == "form"
            assert cell.metadata["jupyter"]["source_hidden"] is True
            assert "import unet_helpers as uh" not in cell.source, "the import stays in view"
            continue
        if cell.cell_type == "code":
            lines = cell.source.splitlines()
            assert len(lines) <= 25, f"cell {index} has {len(lines)} lines"
            assert max(map(len, lines), default=0) <= 100, f"cell {index} has a long line"


def test_readme_lists_every_notebook():
    readme = (ROOT / "README.md").read_text()
    for path in PATHS:
        assert f"(notebooks/{path.name})" in readme


def test_setup_cell_names_the_repository_once():
    assert nbtools.REPOSITORY in nbtools.SETUP_TEMPLATE
    pyproject = (ROOT / "pyproject.toml").read_text()  # one version: the package's
    assert 'version = { attr = "unet_helpers.__version__" }' in pyproject


def test_store_would_reject_stderr_in_a_checked_cell():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(1)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    cell.execution_count = 3
    other = nbformat.v4.new_code_cell("x = 1")
    other.outputs = [nbformat.v4.new_output("stream", name="stdout", text="noise\n")]
    other.execution_count = 4
    nb.cells = [cell, other]
    nbtools.normalize(nb)
    assert [o["text"] for o in nb.cells[0].outputs] == ["1\n2\n"]
    assert nb.cells[0].execution_count == 3
    assert nb.cells[1].outputs == [] and nb.cells[1].execution_count is None


def test_the_workbooks_show_the_recipe_written_out():
    """Show before you hide: the tf.data chain, compile, the callbacks list and fit, in plain
    Keras, in the workbooks a learner opens (compile is exercise 4.1, its answer folded)."""
    def code(name):
        nb = nbformat.read(ROOT / "workbooks" / name, as_version=4)
        return "\n".join(c.source for c in nb.cells if c.cell_type == "code"), \
            "\n".join(c.source for c in nb.cells)

    pipeline, _ = code("03_pet_data.ipynb")
    for step in (".map(", ".cache()", ".shuffle(", ".batch(", ".prefetch("):
        assert step in pipeline, f"workbook 03 no longer writes out {step}"
    training, everything = code("04_training.ipynb")
    assert "callbacks = [\n    keras.callbacks." in training, "workbook 04: the callbacks list"
    assert "model.fit(" in training
    assert "model.compile(" in everything and "model.compile(" not in training, \
        "model.compile( is the learner's to write (exercise 4.1), its answer folded"
