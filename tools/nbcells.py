"""Notebook-cell transforms shared by tools/nbtools.py and tools/exercises.py.

The bottom module of ``tools/``: it imports nothing from ``tools/``. It finds
the exercises in a notebook (an answer cell whose model answer lies between
``### BEGIN SOLUTION`` and ``### END SOLUTION``, followed by its graded check
cell) and makes the versions that learners see:

* :func:`student_notebook`: each solution replaced by nbgrader's stub, no outputs;
* :func:`workbook_notebook`: the student version with each model answer folded
  under its check cell (what ``workbooks/`` holds);
* :func:`for_a_course`: a student version with nothing that points to the
  folded answers.
"""

from __future__ import annotations

import re
import textwrap

import nbformat

# markers on the first line of shared cells that these transforms recognize (tools/nbtools.py)
BADGE_MARK = "<!-- nb:badge -->"
EXERCISES_MARK = "## Exercises\n"

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
SOLUTION_BLOCK = re.compile(r"^([ \t]*)" + re.escape(BEGIN) + r"\n.*?^[ \t]*" + re.escape(END)
                            + r"[ \t]*$", re.S | re.M)


def render(nb) -> str:
    return nbformat.writes(nb) + "\n"


def replace_solution(source: str, replacement: str) -> str:
    """``source`` with its solution block replaced (indented like the BEGIN line)."""
    if not SOLUTION_BLOCK.search(source):
        raise ValueError(f"no {BEGIN} ... {END} block in:\n{source}")
    return SOLUTION_BLOCK.sub(
        lambda m: textwrap.indent(textwrap.dedent(replacement).strip("\n"), m.group(1)), source)


def student_source(source: str) -> str:
    return replace_solution(source, STUB)


def exercises(nb) -> list[tuple[str, str, str]]:
    """``(grade_id, answer source, check source)`` of each exercise in a notebook."""
    found = []
    for cell, following in zip(nb.cells, nb.cells[1:] + [None]):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            check = following.metadata.get("nbgrader", {}) if following is not None else {}
            if not check.get("grade") or check.get("grade_id") != meta["grade_id"] + "_check":
                raise ValueError(f"exercise {meta['grade_id']} is not followed by its check "
                                 "cell")
            found.append((meta["grade_id"], cell.source, following.source))
    return found


def student_notebook(nb):
    """A copy of ``nb`` with every solution replaced by the stub, and no outputs."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            cell.source = student_source(cell.source)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def model_answer(source: str) -> str:
    """An answer cell's source with the solution markers taken out: the model answer."""
    lines = [line for line in source.splitlines()
             if line.strip() not in (BEGIN, END)]
    return "\n".join(lines).strip("\n")


FOLDED_ANSWER = """<details><summary><b>Show a model answer</b> (try first: the check above \
says what is wrong)</summary>

```python
{answer}
```

</details>"""


def workbook_notebook(nb):
    """What a learner works through: the student version, with each model answer folded
    under its check cell (one deliberate click away). Nothing is executed."""
    answers = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            answers[meta["grade_id"] + "_check"] = model_answer(cell.source)
    book = student_notebook(nb)
    cells = []
    for cell in book.cells:
        cells.append(cell)
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cells.append(nbformat.v4.new_markdown_cell(
                FOLDED_ANSWER.format(answer=answers[grade_id])))
    book.cells = cells
    return book


STUDENT_EXERCISES = """\
## Exercises

The graded exercises below ask you to write a key piece yourself. Write your answer in the \
first cell of each (it holds `raise NotImplementedError()` until you do), then run the check \
cell under it: it says *what* is wrong when something is. An exercise you skip is not an error \
while you work: its check says it is still open, and the rest of the notebook runs on."""


def for_a_course(nb):
    """A student version handed out for grading: nothing points to the folded model answers.

    The badge (it opens a workbook) is emptied, the exercises' introduction
    says nothing of workbooks, and no other line mentions them.
    """
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        if cell.source.startswith(BADGE_MARK):
            cell.source = BADGE_MARK
        elif cell.source.startswith(EXERCISES_MARK):
            cell.source = STUDENT_EXERCISES
        else:
            cell.source = "\n".join(line for line in cell.source.split("\n")
                                    if "workbook" not in line.lower())
    return nb
