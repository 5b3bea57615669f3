"""Graded exercises: answers pass, stubs fail, planted mistakes are caught; student versions.

The proof that every check catches mistakes: for every exercise, the model
answer passes its check, the stub fails it, each other right answer
(``EQUIVALENTS`` in ``tests/exercise_cases.py``) passes, and each planted
mistake (``MISTAKES`` there) fails with a message matching its pattern.
``python tests/test_exercises.py`` runs all of it at once (:func:`prove`) and
prints "planted mistakes caught: caught / planted".
"""

import re
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))  # run as a script too

import exercises  # noqa: E402
import nbcells
import nbformat
import nbtools
import pytest
from conftest import ROOT
from exercise_cases import EQUIVALENTS as RIGHT_ANSWERS
from exercise_cases import MISTAKES as PLANTED

import unet_helpers.blocks

FOUND = exercises.all_exercises()
MISTAKES = [(grade_id, number) for grade_id, planted in PLANTED.items()
            for number in range(len(planted))]


def prove(verbose: bool = True, grade_ids=None, mistakes=None, equivalents=None):
    """Run every exercise's answer, stub, right answers and planted mistakes.

    Returns ``(caught, planted, problems)``; ``grade_ids`` limits it to some
    exercises, ``mistakes`` and ``equivalents`` replace the catalogues.
    """
    mistakes = PLANTED if mistakes is None else mistakes
    equivalents = RIGHT_ANSWERS if equivalents is None else equivalents
    problems, caught, planted = [], 0, 0
    for grade_id in sorted(set(FOUND) | set(mistakes)):
        if grade_ids is not None and grade_id not in grade_ids:
            continue
        if grade_id not in FOUND:
            problems.append(f"{grade_id}: planted mistakes for an exercise that does not exist")
            continue
        answer, check = FOUND[grade_id]
        if (message := exercises.run_exercise(answer, check)) is not None:
            problems.append(f"{grade_id}: the model answer fails its check: {message}")
        stub = exercises.run_exercise(nbcells.student_source(answer), check)
        if stub is None or "not written yet" not in stub:
            problems.append(f"{grade_id}: the stub does not fail its check ({stub!r})")
        if not mistakes.get(grade_id):
            problems.append(f"{grade_id}: no planted mistake")
        for number, other in enumerate(equivalents.get(grade_id, [])):
            if (message := exercises.run_exercise(nbcells.replace_solution(answer, other),
                                                  check)) is not None:
                problems.append(f"{grade_id}: right answer {number} rejected: {message}")
        for replacement, pattern in mistakes.get(grade_id, []):
            planted += 1
            message = exercises.run_exercise(nbcells.replace_solution(answer, replacement), check)
            if message is not None and re.search(pattern, message):
                caught += 1
                if verbose:
                    print(f"caught  {grade_id}: {message.splitlines()[0][:110]}")
            else:
                problems.append(f"{grade_id}: mistake not caught as /{pattern}/: {message!r}\n"
                                f"{textwrap.dedent(replacement).strip()}")
    return caught, planted, problems


def test_prove_runs_every_case_of_an_exercise():
    """A quick exercise in full; the whole proof is the parametrized tests below."""
    caught, planted, problems = prove(verbose=False, grade_ids={"ex02_padded_size"})
    assert problems == []
    assert caught == planted == len(PLANTED["ex02_padded_size"]) > 0


def test_prove_reports_a_catalogue_that_does_not_fit():
    mistakes = {**PLANTED, "ex02_padded_size": [], "ex99_no_such_exercise": [("return 1", "")]}
    caught, planted, problems = prove(verbose=False, mistakes=mistakes,
                                      grade_ids={"ex02_padded_size", "ex99_no_such_exercise"})
    assert (caught, planted) == (0, 0)
    assert problems == ["ex02_padded_size: no planted mistake",
                        "ex99_no_such_exercise: planted mistakes for an exercise that does not "
                        "exist"]
    caught, planted, problems = prove(
        verbose=False, grade_ids={"ex02_padded_size"},
        mistakes={"ex02_padded_size": [("return -(-size // 2**depth) * 2**depth", "")]},
        equivalents={"ex02_padded_size": ["return size"]})
    assert (caught, planted) == (0, 1)
    assert problems[0].startswith("ex02_padded_size: right answer 0 rejected: ")
    assert problems[1].startswith("ex02_padded_size: mistake not caught as //: None")


def test_every_exercise_has_planted_mistakes_and_the_catalogues_name_only_exercises():
    assert all(PLANTED.get(grade_id) for grade_id in FOUND), "an exercise has no planted mistake"
    assert set(PLANTED) <= set(FOUND), "planted mistakes for an exercise that does not exist"
    assert set(RIGHT_ANSWERS) <= set(FOUND), "right answers for an exercise that does not exist"


def test_two_or_three_exercises_in_each_lesson():
    for path in nbtools.notebook_paths():
        count = len(nbcells.exercises(nbformat.read(path, as_version=4)))
        assert 2 <= count <= 3, f"{path.name}: {count} exercises"
    assert set(PLANTED) == set(FOUND), "every exercise has planted mistakes"


@pytest.mark.parametrize("grade_id", sorted(FOUND))
def test_model_answer_passes_and_stub_fails(grade_id):
    answer, check = FOUND[grade_id]
    assert exercises.run_exercise(answer, check) is None
    message = exercises.run_exercise(nbcells.student_source(answer), check)
    assert message is not None and "not written yet" in message


@pytest.mark.parametrize("grade_id,number", MISTAKES,
                         ids=[f"{g}-{n}" for g, n in MISTAKES])
def test_planted_mistake_is_caught_with_a_pointed_message(grade_id, number):
    answer, check = FOUND[grade_id]
    replacement, pattern = PLANTED[grade_id][number]
    message = exercises.run_exercise(nbcells.replace_solution(answer, replacement), check)
    assert message is not None, "the check let a wrong answer pass"
    assert re.search(pattern, message), message


EQUIVALENTS = [(grade_id, number) for grade_id, answers in RIGHT_ANSWERS.items()
               for number in range(len(answers))]


@pytest.mark.parametrize("grade_id,number", EQUIVALENTS,
                         ids=[f"{g}-{n}" for g, n in EQUIVALENTS])
def test_an_answer_written_differently_but_right_passes(grade_id, number):
    answer, check = FOUND[grade_id]
    other = RIGHT_ANSWERS[grade_id][number]
    assert exercises.run_exercise(nbcells.replace_solution(answer, other), check) is None


def test_decoder_block_is_graded_alone_while_conv_block_is_a_stub():
    """In notebook 01 the learner's decoder_block calls the learner's conv_block."""
    answer, check = FOUND["ex01_decoder_block"]
    stub = "def conv_block(inputs, num_filters):\n    raise NotImplementedError()\n"
    assert exercises.run_exercise(stub + answer, check) is None
    wrong = nbcells.replace_solution(answer, """
    x = layers.Conv2DTranspose(num_filters, (2, 2), strides=2, padding="same")(inputs)
    return conv_block(x, num_filters)
    """)
    message = exercises.run_exercise(stub + wrong, check)
    assert message is not None and "skip connection is missing" in message


@pytest.mark.parametrize("returned", ["None", "(inputs, skip_features)", "42"])
def test_an_odd_return_value_gets_a_message_not_a_crash(returned):
    answer, check = FOUND["ex01_decoder_block"]
    message = exercises.run_exercise(nbcells.replace_solution(answer, f"return {returned}"),
                                     check)
    assert message is not None and "returned" in message


def test_a_passing_check_shows_one_line_and_no_value(capsys):
    """nbgrader reads a grade cell's value as partial credit: a check returns None."""
    import unet_helpers as uh

    assert uh.checks.check_padded_size(lambda size, depth: -(-size // 2**depth) * 2**depth) is None
    assert capsys.readouterr().out.startswith("Correct: ")


def test_nbgrader_metadata():
    ids = []
    for path in nbtools.notebook_paths():
        nb = nbformat.read(path, as_version=4)
        for cell, following in zip(nb.cells, nb.cells[1:]):
            meta = cell.metadata.get("nbgrader")
            if not meta or not meta.get("solution"):
                continue
            ids.append(meta["grade_id"])
            assert meta["schema_version"] == 3 and not meta["grade"] and not meta["locked"]
            assert nbcells.BEGIN in cell.source and nbcells.END in cell.source
            check = following.metadata["nbgrader"]
            assert check["grade"] and check["locked"] and check["points"] > 0
            assert following.metadata["editable"] is False
            assert "uh.checks.check_" in following.source
    assert len(ids) == len(set(ids)) == len(FOUND)


def test_student_versions(tmp_path):
    written = exercises.make_student(tmp_path)
    assert [p.name for p in written] == ["00_contents.ipynb"] + [
        p.name for p in nbtools.notebook_paths()]
    for path in written[1:]:
        student = nbformat.read(path, as_version=4)
        nbformat.validate(student)
        original = nbformat.read(ROOT / "notebooks" / path.name, as_version=4)
        assert len(student.cells) == len(original.cells)
        for mine, theirs in zip(student.cells, original.cells):
            if mine.cell_type == "code":
                assert not mine.outputs and mine.execution_count is None
            if theirs.metadata.get("nbgrader", {}).get("solution"):
                assert "### BEGIN SOLUTION" not in mine.source
                assert "# YOUR CODE HERE\n" in mine.source
                assert mine.source.rstrip().endswith("raise NotImplementedError()")
                assert mine.source.split("    # YOUR CODE HERE")[0] in theirs.source
            elif mine.cell_type == "markdown":  # nothing may lead to the folded answers
                assert "workbook" not in mine.source.lower() and "folded" not in mine.source
            else:
                assert mine.source == theirs.source
    stub = nbcells.student_source("def f(x):\n    ### BEGIN SOLUTION\n    return x\n"
                                    "    ### END SOLUTION\n")
    assert stub == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"


def test_student_folder_is_ignored_by_git():
    assert "student/" in (ROOT / ".gitignore").read_text().splitlines()


def test_replace_solution_needs_markers():
    with pytest.raises(ValueError, match="no ### BEGIN SOLUTION"):
        nbcells.replace_solution("x = 1\n", "x = 2")


def test_grading_without_nbgrader(tmp_path):
    exercises.make_student(tmp_path)
    submission = tmp_path / "03_pet_data.ipynb"
    rows = exercises.grade([submission])
    assert [r["exercise"] for r in rows] == ["ex03_resize_mask", "ex03_to_binary",
                                             "ex03_flip_pair"]
    assert not any(r["passed"] for r in rows), "stubs score nothing"
    nb = nbformat.read(submission, as_version=4)
    original = nbformat.read(ROOT / "notebooks" / submission.name, as_version=4)
    for mine, theirs in zip(nb.cells, original.cells):
        grade_id = theirs.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "ex03_resize_mask":
            mine.source = theirs.source  # the right answer
        elif grade_id == "ex03_to_binary":
            mine.source = nbcells.replace_solution(theirs.source, "return trimap - 1")
        elif grade_id == "ex03_flip_pair_check":
            mine.source = "pass  # a student who disables the check gains nothing"
        elif grade_id == "ex03_flip_pair":
            mine.source = "def flip_pair(image, mask, seed):\n    return image[:, ::-1], mask\n"
    nbformat.write(nb, submission)
    rows = {r["exercise"]: r for r in exercises.grade([submission])}
    assert rows["ex03_resize_mask"]["passed"]
    assert "pet would be 0" in rows["ex03_to_binary"]["message"]
    assert not rows["ex03_flip_pair"]["passed"]
    with pytest.raises(SystemExit, match="must be one of the lessons"):
        exercises.grade([tmp_path / "homework.ipynb"])


def test_teaching_guide_reports_the_current_proof():
    guide = (ROOT / "docs" / "teaching.md").read_text()
    planted = sum(len(m) for m in PLANTED.values())
    # the guide's block is written by tools/generate.py; that each planted mistake is
    # caught, test_planted_mistake_is_caught_with_a_pointed_message proves
    assert f"every planted mistake ({planted} in all: each must be caught" in guide
    for grade_id, mistakes in PLANTED.items():
        assert f"| `{grade_id}` | {len(mistakes)} |" in guide


@pytest.mark.parametrize("grade_id", sorted(FOUND))
def test_a_learner_may_skip_an_exercise_and_run_on(grade_id, capsys):
    """Outside grading an empty answer is reported, not raised, so "Run all" goes on."""
    answer, check = FOUND[grade_id]
    scope = exercises.namespace()
    exec(compile(nbcells.student_source(answer), "<answer>", "exec"), scope)
    exec(compile(check, "<check>", "exec"), scope)  # no exception
    said = capsys.readouterr().out
    assert said.startswith("Not answered yet: write `")
    if grade_id in ("ex01_conv_block", "ex01_decoder_block"):  # used by later cells of 01
        name = grade_id.removeprefix("ex01_")
        assert scope[name] is getattr(unet_helpers.blocks, name)
        assert f"Until then `{name}` is the package's" in said


def test_the_workbook_of_notebook_01_runs_top_to_bottom():
    """A self-learner who opens the workbook and skips every exercise can still "Run all"."""
    from nbclient import NotebookClient

    path = next((ROOT / "workbooks").glob("01_*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))
    assert text.count("Not answered yet") == 3


def test_workbooks_fold_each_model_answer_under_its_check():
    """workbooks/ = student version + a folded model answer after every check cell."""
    for path in nbtools.notebook_paths():
        source = nbformat.read(path, as_version=4)
        book = nbformat.read(ROOT / "workbooks" / path.name, as_version=4)
        nbformat.validate(book)
        found = nbcells.exercises(book)
        assert [g for g, _, _ in found] == [g for g, _, _ in nbcells.exercises(source)]
        for grade_id, answer, check in found:
            assert answer.rstrip().endswith("raise NotImplementedError()")
            position = next(i for i, c in enumerate(book.cells)
                            if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
                            + "_check")
            folded = book.cells[position + 1]
            assert folded.cell_type == "markdown"
            assert folded.source.startswith("<details><summary>")
            assert folded.source.rstrip().endswith("</details>")
            model = FOUND[grade_id][0]
            body = nbcells.model_answer(model)
            assert f"```python\n{body}\n```" in folded.source
            assert "### BEGIN SOLUTION" not in folded.source
            # the folded answer is the model answer: it passes its own check
            assert exercises.run_exercise(body, check) is None, grade_id
        assert all(not c.get("outputs") for c in book.cells if c.cell_type == "code")
        assert "blob/main/workbooks/" + path.name in book.cells[1].source  # the badge


def test_every_badge_opens_the_workbook():
    for path in nbtools.notebook_paths():
        badge = nbformat.read(path, as_version=4).cells[1].source
        assert badge.startswith(nbtools.BADGE_MARK)
        assert f"/blob/main/workbooks/{path.name}\"" in badge


ODD_ANSWERS = {
    "a string": "return 'not sure'",
    "None": "return None",
    "a dict": "return {'answer': 1}",
    "an error inside the answer": "return 1 / 0",
}


# the fast tier feeds every check None and an error; the full tier also a string and a dict
ODD_IN_THE_FULL_TIER = ("a string", "a dict")


@pytest.mark.parametrize("grade_id", sorted(FOUND))
@pytest.mark.parametrize("odd", [
    pytest.param(odd, marks=[pytest.mark.exhaustive] if odd in ODD_IN_THE_FULL_TIER else [])
    for odd in sorted(ODD_ANSWERS)])
def test_an_odd_return_value_or_an_error_gets_a_message_not_a_crash(grade_id, odd):
    """Whatever an answer returns or raises, the check fails with words, never a bare error."""
    answer, check = FOUND[grade_id]
    message = exercises.run_exercise(nbcells.replace_solution(answer, ODD_ANSWERS[odd]),
                                     check)
    assert message, f"{grade_id} accepted {odd}"
    if odd == "an error inside the answer":
        assert "raised ZeroDivisionError: division by zero" in message
        assert f"Calling `{grade_id.split('_', 1)[1]}`" in message


if __name__ == "__main__":  # the proof in one run: python tests/test_exercises.py
    caught, planted, problems = prove()
    print(f"\n{len(FOUND)} exercises; planted mistakes caught: {caught} / {planted}")
    for problem in problems:
        print("PROBLEM", problem)
    sys.exit(1 if problems else 0)
