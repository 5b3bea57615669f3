"""The real nbgrader turns notebook 01 into an assignment and autogrades three students.

A course runs exactly these commands (docs/teaching.md): ``generate_assignment``,
then ``autograde`` over the submitted folders, then ``export`` of the grades.
"""

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

pytestmark = pytest.mark.as_user  # the full tier: the real nbgrader, as a course runs it

NBGRADER = str(Path(sys.executable).parent / "nbgrader")
NOTEBOOK = "01_building_blocks.ipynb"


def nbgrader(course, *args):
    done = subprocess.run([NBGRADER, *args], cwd=course, capture_output=True, text=True,
                          env={**os.environ, "UNET_PROFILE": "smoke",
                               "UNET_OUTPUT_DIR": str(course / "outputs"),
                               # nbgrader runs alembic, installed beside it
                               "PATH": f"{Path(NBGRADER).parent}{os.pathsep}{os.environ['PATH']}"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def answer_cells(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "source" / "ps1").mkdir(parents=True)
    subprocess.run([sys.executable, str(ROOT / "tools" / "exercises.py"), "course", "--out",
                    str(course / "source" / "ps1")], check=True, capture_output=True)
    for other in (course / "source" / "ps1").glob("*.ipynb"):  # one notebook, one assignment
        if other.name != NOTEBOOK:
            other.unlink()
    (course / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.course_id = "unet"\n')
    said = nbgrader(course, "generate_assignment", "ps1", "--force")
    released = nbformat.read(course / "release" / "ps1" / NOTEBOOK, as_version=4)
    source = nbformat.read(course / "source" / "ps1" / NOTEBOOK, as_version=4)

    carol = nbformat.read(course / "release" / "ps1" / NOTEBOOK, as_version=4)
    answer_cells(carol)["ex01_decoder_block"].source = \
        answer_cells(source)["ex01_decoder_block"].source  # conv_block still a stub
    for student, nb in (("alice", source), ("bob", released), ("carol", carol)):
        folder = course / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / NOTEBOOK)
    said += nbgrader(course, "autograde", "ps1", "--create", "--force")
    nbgrader(course, "export", "--to", str(course / "grades.csv"))
    with open(course / "grades.csv") as handle:
        grades = {row["student_id"]: row for row in csv.DictReader(handle)}
    return released, grades, said


def test_the_student_version_has_stubs_and_the_checks(graded):
    released, _, _ = graded
    answers = answer_cells(released)
    assert sorted(answers) == ["ex01_conv_block", "ex01_conv_block_params", "ex01_decoder_block"]
    for cell in answers.values():
        assert "raise NotImplementedError()" in cell.source and "BEGIN SOLUTION" not in cell.source
    for cell in released.cells:  # nothing leads to the workbooks, where the answers are folded
        assert "workbook" not in cell.source.lower()
    checks = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(checks) == 3 and all("uh.checks.check_" in c.source for c in checks)


def test_autograde_scores_model_answers_full_and_stubs_zero(graded):
    _, grades, _ = graded
    assert float(grades["alice"]["max_score"]) == 3.0
    assert float(grades["alice"]["score"]) == 3.0
    assert float(grades["bob"]["score"]) == 0.0


def test_each_exercise_is_graded_alone(graded):
    """Carol wrote decoder_block but left conv_block as a stub: she gets that point."""
    _, grades, _ = graded
    assert float(grades["carol"]["score"]) == 1.0


def test_check_cells_give_nbgrader_nothing_to_misread(graded):
    _, _, said = graded
    assert "cannot be converted to a float" not in said
    assert "Timeout" not in said and "timed out" not in said
