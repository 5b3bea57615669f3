"""The core of the exercise checks: calling the learner's function, messages, tf.data, grading.

A check calls the learner's function through :func:`_call`, so that its own
errors become one message; fails with :func:`_fail` (an
:class:`ExerciseFailed`, which is an ``AssertionError``, what nbgrader counts
as a failed test); and confirms with :func:`_passed`. :func:`_exercise` makes
a check that lets a learner skip the exercise outside grading.
"""

from __future__ import annotations

import functools
import os

import tensorflow as tf


class ExerciseFailed(AssertionError):
    """The answer to an exercise is not right yet; the message says what to look at."""


def _fail(message: str):
    raise ExerciseFailed(message)


def _passed(what: str, note: str = "") -> None:
    """Say so, and return nothing: a check cell shows one line and no value.

    (nbgrader reads a grade cell's *value* as partial credit; a printed line
    is just shown, and a cell that raises nothing gets full points.)
    """
    print(f"Correct: {what}." + (f" {note}" if note else ""))


# Set while an exercise is graded: nbgrader sets the first, tools/exercises.py the second.
GRADING_ENV_VARS = ("NBGRADER_EXECUTION", "UNET_GRADING")


def grading() -> bool:
    """True while nbgrader (or ``tools/exercises.py``) grades: an empty answer then fails."""
    return any(os.environ.get(name) for name in GRADING_ENV_VARS)


class _NotWritten(Exception):
    """The answer still raises ``NotImplementedError`` (the student version's stub)."""


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else ""


def _call(function, *args, _let=(), **kwargs):
    """Call the learner's function; its own errors become one message (with the traceback).

    Exceptions of the types in ``_let`` pass through, for a check that explains them.
    """
    name = getattr(function, "__name__", "your function")
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        if grading():
            _fail(f"`{name}` is not written yet: replace `raise NotImplementedError()` "
                  "with your code, run that cell, then this one.")
        raise _NotWritten from None
    except _let:
        raise
    except ExerciseFailed:
        raise
    except Exception as error:  # noqa: BLE001 - any mistake in the answer gets a message
        said = _first_line(error)
        raise ExerciseFailed(
            f"Calling `{name}` raised {type(error).__name__}" + (f": {said}" if said else "")
            + ". The error above (read it from the bottom) shows the line of your cell that "
            "failed.") from error


def _in_tf_data(function, *tensors):
    """``function`` applied inside ``tf.data.Dataset.map``, as the pipeline applies it.

    There TensorFlow traces the function once into a graph: ``.numpy()``, NumPy
    and Python's ``random`` do not work or run only once.
    """
    name = getattr(function, "__name__", "your function")
    try:
        dataset = tf.data.Dataset.from_tensors(tuple(tensors)).map(
            lambda *parts: function(*parts))
        return next(iter(dataset))
    except Exception as error:  # noqa: BLE001
        said = _first_line(error)
        raise ExerciseFailed(
            f"`{name}` works on one tensor but fails inside tf.data.Dataset.map, where the "
            f"pipeline calls it ({type(error).__name__}" + (f": {said}" if said else "") + "). "
            "There the tensors have no values yet: use TensorFlow operations only (no "
            ".numpy(), NumPy or PIL).") from error


def _exercise(reference=None, reference_name=None):
    """Make a check that lets a learner skip the exercise and still run the whole notebook.

    An answer that is still the stub fails while grading. Otherwise the check
    says that the exercise is open and, where later cells of the notebook use
    the function (``reference``, the package's function, e.g.
    ``unet_helpers.blocks.conv_block``), puts the package's version under the
    learner's name, so "Run all" runs on.
    """
    def wrap(check):
        @functools.wraps(check)
        def run(answer):
            try:
                return check(answer)
            except (ExerciseFailed, AssertionError):
                raise
            except (TypeError, ValueError, IndexError, KeyError, AttributeError) as error:
                name = getattr(answer, "__name__", "your function")
                said = _first_line(error)
                raise ExerciseFailed(
                    f"The check stopped at {type(error).__name__}" + (f": {said}" if said
                                                                      else "")
                    + f" while reading what `{name}` returned. Most often the value has "
                    "another type or shape than the exercise asks for; the traceback above "
                    "shows where it stopped.") from error
            except _NotWritten:
                name = getattr(answer, "__name__", "your function")
                note = ""
                scope = getattr(answer, "__globals__", None)
                if reference is not None and scope is not None:
                    scope[name] = reference
                    said = reference_name or f"uh.blocks.{reference.__name__}"
                    note = (f" Until then `{name}` is the package's `{said}`, "
                            "so the cells below still run.")
                print(f"Not answered yet: write `{name}` in the cell above, run it, then run "
                      f"this check again.{note}")
        return run
    return wrap

