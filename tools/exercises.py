#!/usr/bin/env python3
"""Graded exercises: student versions, course sources, running and grading an exercise.

    python tools/exercises.py student [--out student]   # notebooks without the solutions
    python tools/exercises.py course --out DIR          # nbgrader source: answers, no links
    python3 tasks.py generate                           # also writes workbooks/ (see below)
    python tools/exercises.py grade student/03_*.ipynb  # score submissions without nbgrader

Exercises follow nbgrader's conventions, so an instructor can also use
nbgrader directly: the answer cell has ``nbgrader.solution = true`` and its
model answer between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; the
next cell is a read-only, graded check cell (``nbgrader.grade = true``) that
calls a ``uh.checks.check_*`` function.

``student`` writes copies of the notebooks with each solution replaced by
``# YOUR CODE HERE`` / ``raise NotImplementedError()`` (nbgrader's own stub)
and no outputs, into a git-ignored folder beside ``notebooks/`` so that the
notebooks' ``..`` still finds ``unet_helpers``.

The **workbooks** (``workbooks/``, committed, written by ``python3 tasks.py
generate``) are the student versions with each model answer folded under its
check cell in a ``<details>`` block: what a self-learner and the Colab badge
open. Student versions (for a course) have no answers at all. These notebook
transforms live in ``tools/nbcells.py``.

The proof that every check catches mistakes is a test, ``tests/test_exercises.py``:
for every exercise the model answer (its check must pass), the stub (its check
must fail), other right answers and the planted mistakes of
``tests/exercise_cases.py`` (each check must fail with a message matching the
listed pattern), all run through :func:`run_exercise`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import warnings
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import nbtools  # noqa: E402
from nbcells import exercises, for_a_course, render, student_notebook  # noqa: E402


def all_exercises() -> dict[str, tuple[str, str]]:
    result = {}
    for path in nbtools.notebook_paths():
        for grade_id, answer, check in exercises(nbformat.read(path, as_version=4)):
            result[grade_id] = (answer, check)
    return result


def make_course_source(out: Path) -> list[Path]:
    """The notebooks *with* their model answers, for nbgrader's ``source/`` folder.

    nbgrader's ``generate_assignment`` strips the answers itself; this only
    removes what would lead students to the workbooks' folded answers.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in nbtools.notebook_paths():
        nb = for_a_course(nbformat.read(path, as_version=4))
        (out / path.name).write_text(render(nb))
        written.append(out / path.name)
    return written


def make_student(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in [nbtools.CONTENTS] + nbtools.notebook_paths():
        nb = for_a_course(student_notebook(nbformat.read(path, as_version=4)))
        target = out / path.name
        target.write_text(render(nb))
        written.append(target)
    return written


# --- running an exercise outside its notebook ------------------------------------------------

def namespace() -> dict:
    """What the exercise cells may use from earlier cells of their notebooks."""
    import keras
    import numpy as np
    import tensorflow as tf

    import unet_helpers as uh
    from unet_helpers.blocks import conv_block, decoder_block, encoder_block

    return {"keras": keras, "layers": keras.layers, "np": np, "tf": tf, "uh": uh,
            "conv_block": conv_block, "encoder_block": encoder_block,
            "decoder_block": decoder_block}


@contextlib.contextmanager
def _grading():
    """As nbgrader does: an answer left empty fails (instead of being skipped for a learner)."""
    saved = os.environ.get("UNET_GRADING")
    os.environ["UNET_GRADING"] = "1"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["UNET_GRADING"]
        else:
            os.environ["UNET_GRADING"] = saved


def run_exercise(answer: str, check: str) -> str | None:
    """Run an answer cell and its check cell; None if the check passes, else its message."""
    import keras

    from unet_helpers.checks import ExerciseFailed

    keras.backend.clear_session(free_memory=False)  # no gc.collect(): 0.2 s an exercise
    keras.utils.set_random_seed(0)
    scope = namespace()
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), _grading():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's 0 / 0 in wrong answers
        exec(compile(answer, "<answer>", "exec"), scope)
        try:
            exec(compile(check, "<check>", "exec"), scope)
        except ExerciseFailed as failure:
            return str(failure)
    return None


def grade(paths: list[Path]) -> list[dict]:
    """Score submitted notebooks without nbgrader: each answer against the *original* check.

    The check cells are taken from this repository's notebooks, not from the
    submission, so an edited check cell changes nothing. One row per exercise.
    """
    lessons = {path.name: path for path in nbtools.notebook_paths()}
    rows = []
    for path in paths:
        if path.name not in lessons:
            raise SystemExit(f"{path}: the file name must be one of the lessons' "
                             f"({', '.join(sorted(lessons))}), so its checks can be found.")
        checks = {gid: check for gid, _, check in
                  exercises(nbformat.read(lessons[path.name], as_version=4))}
        submitted = nbformat.read(path, as_version=4)
        answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in submitted.cells
                   if cell.metadata.get("nbgrader", {}).get("solution")}
        for grade_id, check in checks.items():
            if grade_id not in answers:
                message = "the answer cell is missing (deleted, or its metadata lost)"
            else:
                try:
                    message = run_exercise(answers[grade_id], check)
                except Exception as error:  # a broken answer scores 0 and says why
                    message = f"{type(error).__name__}: {error}"
            rows.append({"notebook": path.name, "exercise": grade_id,
                         "passed": message is None, "message": message or ""})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("student").add_argument("--out", type=Path, default=ROOT / "student")
    sub.add_parser("course").add_argument("--out", type=Path, required=True)
    sub.add_parser("grade").add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "grade":
        rows = grade(args.notebooks)
        for row in rows:
            verdict = "pass" if row["passed"] else "FAIL"
            print(f"{verdict}  {row['notebook']:<32} {row['exercise']:<26} "
                  f"{row['message'].splitlines()[0][:90] if row['message'] else ''}")
        print(f"score: {sum(r['passed'] for r in rows)} / {len(rows)}")
        return 0
    make = make_student if args.command == "student" else make_course_source
    for path in make(args.out):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
