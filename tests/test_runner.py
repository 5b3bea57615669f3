"""The headless runner executes a notebook and keeps its figures."""

import json

import nbformat
import run_notebooks


def test_runner_executes_a_notebook_and_saves_its_figures(tmp_path, monkeypatch):
    # a tiny notebook of its own: the lessons themselves are executed by nbval already
    lessons = tmp_path / "notebooks"
    lessons.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\n"
                                          "plt.plot([0, 1], [1, 0])\nplt.show()"),
                nbformat.v4.new_code_cell("print('done')")]
    nbformat.write(nb, lessons / "01_figure.ipynb")
    monkeypatch.setattr(run_notebooks, "select", lambda names: [lessons / "01_figure.ipynb"])
    monkeypatch.setattr(run_notebooks, "NOTEBOOKS", lessons)
    monkeypatch.setenv("UNET_PROFILE", "smoke")
    assert run_notebooks.main(["--out", str(tmp_path / "out")]) == 0
    executed = nbformat.read(tmp_path / "out" / "01_figure.ipynb", as_version=4)
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    assert code[1].outputs[0]["text"] == "done\n"
    assert len(list((tmp_path / "out" / "figures").glob("01_figure_cell*.png"))) == 1
    timings = json.loads((tmp_path / "out" / "timings.json").read_text())
    seconds = timings["seconds"]
    assert list(seconds) == ["01_figure.ipynb"] and seconds["01_figure.ipynb"] > 0
    assert timings["profile"] == "smoke" and timings["data"] == "generated data"
    assert timings["command"] == "python3 tasks.py run --profile smoke"


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
