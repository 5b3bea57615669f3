"""The headless runner executes a notebook and keeps its figures."""

import json

import nbformat

import run_notebooks


def test_runner_executes_notebook_02_and_saves_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("UNET_PROFILE", "smoke")
    monkeypatch.setenv("UNET_OUTPUT_DIR", str(tmp_path / "outputs"))
    assert run_notebooks.main(["--out", str(tmp_path), "02"]) == 0
    executed = nbformat.read(tmp_path / "02_assembling_the_unet.ipynb", as_version=4)
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert list((tmp_path / "figures").glob("02_assembling_the_unet_cell*.png"))
    timings = json.loads((tmp_path / "timings.json").read_text())
    assert list(timings) == ["02_assembling_the_unet.ipynb"] and timings[
        "02_assembling_the_unet.ipynb"] > 0


def test_runner_reports_a_failing_cell(tmp_path, monkeypatch, capsys):
    broken = tmp_path / "notebooks"
    broken.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("raise RuntimeError('planted failure')")]
    nbformat.write(nb, broken / "01_broken.ipynb")
    monkeypatch.setattr(run_notebooks, "select", lambda names: [broken / "01_broken.ipynb"])
    monkeypatch.setattr(run_notebooks, "NOTEBOOKS", broken)
    assert run_notebooks.main(["--out", str(tmp_path / "out")]) == 1
    printed = capsys.readouterr().out
    assert "FAILED in 01_broken.ipynb" in printed and "planted failure" in printed
