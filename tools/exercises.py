#!/usr/bin/env python3
"""Graded exercises: student versions, and proof that every check catches mistakes.

    python tools/exercises.py student [--out student]   # notebooks without the solutions
    python tools/exercises.py course --out DIR          # nbgrader source: answers, no links
    python tools/nbtools.py sync                        # also writes workbooks/ (see below)
    python tools/exercises.py prove                     # run every planted mistake
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

The **workbooks** (``workbooks/``, committed, written by ``tools/nbtools.py
sync``) are the student versions with each model answer folded under its
check cell in a ``<details>`` block: what a self-learner and the Colab badge
open. Student versions (for a course) have no answers at all.

``prove`` runs, for every exercise: the model answer (its check must pass),
the stub (its check must fail), and each planted mistake listed in
``MISTAKES`` (its check must fail with a message matching the listed
pattern). It prints "caught / planted".
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
import textwrap
import warnings
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import nbtools  # noqa: E402

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
SOLUTION_BLOCK = re.compile(r"^([ \t]*)" + re.escape(BEGIN) + r"\n.*?^[ \t]*" + re.escape(END)
                            + r"[ \t]*$", re.S | re.M)


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


def all_exercises() -> dict[str, tuple[str, str]]:
    result = {}
    for path in nbtools.notebook_paths():
        for grade_id, answer, check in exercises(nbformat.read(path, as_version=4)):
            result[grade_id] = (answer, check)
    return result


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
        if cell.source.startswith(nbtools.BADGE_MARK):
            cell.source = nbtools.BADGE_MARK
        elif cell.source.startswith(nbtools.EXERCISES_MARK):
            cell.source = STUDENT_EXERCISES
        else:
            cell.source = "\n".join(line for line in cell.source.split("\n")
                                    if "workbook" not in line.lower())
    return nb


def make_course_source(out: Path) -> list[Path]:
    """The notebooks *with* their model answers, for nbgrader's ``source/`` folder.

    nbgrader's ``generate_assignment`` strips the answers itself; this only
    removes what would lead students to the workbooks' folded answers.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in nbtools.notebook_paths():
        nb = for_a_course(nbformat.read(path, as_version=4))
        (out / path.name).write_text(nbtools.render(nb))
        written.append(out / path.name)
    return written


def make_student(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in [nbtools.CONTENTS] + nbtools.notebook_paths():
        nb = for_a_course(student_notebook(nbformat.read(path, as_version=4)))
        target = out / path.name
        target.write_text(nbtools.render(nb))
        written.append(target)
    return written


# --- running an exercise outside its notebook ------------------------------------------------

def namespace() -> dict:
    """What the exercise cells may use from earlier cells of their notebooks."""
    import keras
    import numpy as np
    import tensorflow as tf

    import unet_helpers as uh

    return {"keras": keras, "layers": keras.layers, "np": np, "tf": tf, "uh": uh,
            "conv_block": uh.conv_block}


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

    keras.backend.clear_session()
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


# --- planted mistakes: (solution block replacement, pattern the message must match) ---------

def _conv_block_with(conv_arguments: str) -> str:
    """A conv_block answer right in every way except the arguments of its two Conv2D layers."""
    return f"""
    x = inputs
    for _ in range(2):
        x = layers.Conv2D({conv_arguments})(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
    return x
    """


MISTAKES = {
    "ex01_conv_block": [
        (_conv_block_with('num_filters, 3, padding="valid"'), r"padding='same'"),
        ("""
        x = layers.Conv2D(num_filters, 3, padding="same")(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(2 * num_filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x)
        """, r"returns 16 channels when asked for 8 filters"),
        ("""
        x = layers.Conv2D(num_filters, 3, padding="same", activation="relu")(inputs)
        return layers.Conv2D(num_filters, 3, padding="same", activation="relu")(x)
        """, r"No BatchNormalization"),
        ("""
        x = layers.Conv2D(num_filters, 3, padding="same")(inputs)
        x = layers.Activation("relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Conv2D(num_filters, 3, padding="same")(x)
        x = layers.Activation("relu")(x)
        return layers.BatchNormalization()(x)
        """, r"Layer order .*Conv2D -> BatchNormalization -> ReLU"),
        (_conv_block_with('num_filters, 5, padding="same"'), r"Kernel sizes .*3 x 3"),
        ("""
        x = layers.Conv2D(num_filters, 3, padding="same", activation="relu")(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(num_filters, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x)
        """, r"activation='relu' inside it"),
        ("""
        x = layers.Conv2D(8, 3, padding="same")(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(8, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x)
        """, r"returns 8 channels when asked for 5 filters"),
        ("""
        x = layers.Conv2D(num_filters, 3, padding="same", dilation_rate=2)(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(num_filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x)
        """, r"stride 1 and no dilation"),
    ],
    "ex01_decoder_block": [
        ("""
        x = layers.Conv2DTranspose(num_filters, (2, 2), strides=1, padding="same")(inputs)
        x = layers.Concatenate()([x, skip_features])
        return conv_block(x, num_filters)
        """, r"must double height and width"),
        ("""
        x = layers.Conv2DTranspose(num_filters, (2, 2), strides=2, padding="same")(inputs)
        return conv_block(x, num_filters)
        """, r"skip connection is missing"),
        ("""
        x = layers.Conv2DTranspose(num_filters, (2, 2), strides=2, padding="same")(inputs)
        x = layers.Add()([x, skip_features])
        return conv_block(x, num_filters)
        """, r"\*concatenates\* it"),
        ("""
        x = layers.UpSampling2D(2)(inputs)
        x = layers.Concatenate()([x, skip_features])
        return conv_block(x, num_filters)
        """, r"learned Conv2DTranspose"),
        ("""
        x = layers.Conv2DTranspose(num_filters, 3, strides=2, padding="same")(inputs)
        x = layers.Concatenate()([x, skip_features])
        return conv_block(x, num_filters)
        """, r"kernel 2 and strides 2"),
        ("""
        x = layers.Conv2DTranspose(16, (2, 2), strides=2, padding="same")(inputs)
        x = layers.Concatenate()([x, skip_features])
        return conv_block(x, 16)
        """, r"the output is \(10, 14, 16\); expected \(10, 14, 6\)"),
        ("""
        x = layers.Conv2DTranspose(skip_features.shape[-1], 2, strides=2, padding="same")(inputs)
        x = layers.Concatenate()([x, skip_features])
        return conv_block(x, num_filters)
        """, r"Conv2DTranspose has 10 filters when the block is asked for 6"),
    ],
    "ex01_conv_block_params": [
        ("return 9 * in_channels * filters + 9 * filters * filters + 8 * filters",
         r"left out the biases"),
        ("return 9 * in_channels * filters + filters + 9 * filters * filters + filters",
         r"left out batch norm"),
        ("return 9 * in_channels * filters + 9 * filters * filters + 2 * filters + 4 * filters",
         r"4 numbers per channel, not 2"),
        ("return 2 * (9 * in_channels * filters + filters + 4 * filters)",
         r"second convolution sees `filters` channels"),
    ],
    "ex02_padded_size": [
        ("return size // 2**depth * 2**depth", r"smaller than the image: round up"),
        ("return (size // 2**depth + 1) * 2**depth", r"already divides by 16"),
        ("return -(-size // (2 * depth)) * (2 * depth)", r"not a multiple of 2\*\*depth"),
    ],
    "ex02_skip_shapes": [
        ("return [(size // 2**(n + 1), size // 2**(n + 1), base_filters * 2**n) "
         "for n in range(depth)]", r"taken \*before\* pooling"),
        ("return [(size // 2**n, size // 2**n, base_filters) for n in range(depth)]",
         r"doubles the filters"),
        ("return [(size // 2**n, size // 2**n, base_filters * 2**n) for n in range(depth + 1)]",
         r"one skip per encoder"),
        ("return [(64, 64, 8), (32, 32, 16), (16, 16, 32)]",
         r"skip_shapes\(96, 16, 4\) gave 3 shapes"),
        ("return [(size // 2**n, size // 2**n, base_filters * 2**n) for n in range(3)]",
         r"gave 3 shapes for depth 4"),
    ],
    "ex03_resize_mask": [
        ("return tf.image.resize(mask, (size, size))", r"method='nearest'"),
        ("return tf.image.resize(mask, (size, size), method='area')", r"no class"),
        ("return tf.image.resize(mask, (24, 24), method='nearest')",
         r"Asked for size 80, the shape is \(24, 24, 1\)"),
        ("return tf.image.resize(mask.numpy(), (size, size), method='nearest')",
         r"fails inside tf.data"),
        ("return tf.cast(tf.round(tf.image.resize(mask, (size, size))), tf.uint8)",
         r"not at the right places"),
    ],
    "ex03_to_binary": [
        ("return trimap - 1", r"pet would be 0 and background 1"),
        ("return tf.cast(trimap == 1, tf.uint8)", r"border \(3\) came out as background"),
        ("return tf.cast(trimap != 3, tf.uint8)", r"expected \[\[1, 0, 1\]"),
        ("return (trimap.numpy() != 2).astype('uint8')", r"fails inside tf.data"),
        ("return tf.cast(trimap > 1, tf.uint8)", r"expected \[\[1, 0, 1\]"),
    ],
    "ex03_flip_pair": [
        ("return tf.image.random_flip_left_right(image), tf.image.random_flip_left_right(mask)",
         r"share one random decision"),
        ("""
        image = tf.image.stateless_random_flip_left_right(image, seed)
        return image, tf.image.stateless_random_flip_left_right(mask, seed + 1)
        """, r"share one random decision"),
        ("return image, mask", r"No call flipped"),
        ("return image[:, ::-1], mask[:, ::-1]", r"Every call flipped"),
        ("""
        import random
        if random.random() < 0.5:
            return image[:, ::-1], mask[:, ::-1]
        return image, mask
        """, r"same seed .* flipped once and not the other time"),
        ("""
        flip = tf.random.uniform([]) < 0.5
        return (tf.where(flip, image[:, ::-1], image), tf.where(flip, mask[:, ::-1], mask))
        """, r"same seed .* flipped once and not the other time"),
    ],
    "ex04_dice_loss": [
        ("""
        y_pred = tf.cast(y_pred > 0.5, tf.float32)
        overlap = tf.reduce_sum(y_true * y_pred)
        return 1.0 - (2 * overlap + smooth) / (tf.reduce_sum(y_true + y_pred) + smooth)
        """, r"no gradient"),
        ("""
        overlap = tf.reduce_sum(y_true * y_pred)
        return 1.0 - (overlap + smooth) / (tf.reduce_sum(y_true + y_pred) + smooth)
        """, r"overlap counts twice"),
        ("""
        overlap = tf.reduce_sum(y_true * y_pred)
        return (2 * overlap + smooth) / (tf.reduce_sum(y_true + y_pred) + smooth)
        """, r"return 1 - Dice"),
        ("""
        overlap = tf.reduce_sum(y_true * y_pred)
        return 1.0 - 2 * overlap / tf.reduce_sum(y_true + y_pred)
        """, r"NaN \(0 / 0\)"),
        ("""
        y_true = tf.cast(y_true, y_pred.dtype)
        overlap = tf.reduce_sum(y_true * y_pred, axis=[1, 2, 3])
        total = tf.reduce_sum(y_true + y_pred, axis=[1, 2, 3])
        return 1.0 - (2.0 * overlap + smooth) / (total + smooth)
        """, r"one number for the whole batch"),
    ],
    "ex04_pet_iou": [
        ("""
        scores = np.asarray(scores)[..., 0]
        overlap = (truth * scores).sum()
        return overlap / (truth.sum() + scores.sum() - overlap)
        """, r"IoU on probabilities"),
        ("""
        predicted = np.asarray(scores).argmax(axis=-1) == 1
        truth = np.asarray(truth) == 1
        return (truth & predicted).sum() / max(1, (truth | predicted).sum())
        """, r"argmax over a single channel"),
        ("""
        predicted = np.asarray(scores)[..., 0] > threshold
        truth = np.asarray(truth) == 1
        union = (truth | predicted).sum()
        return (truth & predicted).sum() / union if union else 0.0
        """, r"return 1.0 when the union is empty"),
        ("""
        predicted = np.asarray(scores)[..., 0] > 0.5
        truth = np.asarray(truth) == 1
        union = (truth | predicted).sum()
        return (truth & predicted).sum() / union if union else 1.0
        """, r"Use the `threshold` argument"),
        ("""
        predicted = np.asarray(scores)[..., 0] >= threshold + 0.1
        truth = np.asarray(truth) == 1
        union = (truth | predicted).sum()
        return (truth & predicted).sum() / union if union else 1.0
        """, r"With threshold=0.35 you gave"),
    ],
    "ex05_iou_from_confusion": [
        ("return np.diag(matrix) / np.asarray(matrix).sum(axis=1)", r"the recall"),
        ("return np.diag(matrix) / np.asarray(matrix).sum(axis=0)", r"the precision"),
        ("""
        matrix = np.asarray(matrix, dtype=float)
        with np.errstate(invalid="ignore"):
            return np.diag(matrix) / (matrix.sum(axis=0) + matrix.sum(axis=1))
        """, r"counts the correct pixels twice"),
        ("""
        matrix = np.asarray(matrix, dtype=float)
        union = matrix.sum(axis=0) + matrix.sum(axis=1) - np.diag(matrix)
        return np.diag(matrix) / np.maximum(union, 1)
        """, r"return NaN"),
        ("""
        matrix = np.asarray(matrix, dtype=float)
        correct = np.diag(matrix)
        union = matrix.sum(axis=0) + matrix.sum(axis=1) - correct
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(correct > 0, correct / union, np.nan)
        """, r"its IoU is 0 .* not NaN"),
    ],
    "ex05_best_threshold": [
        ("""
        truth = np.asarray(truths) == 1
        ious = [(truth & (np.asarray(scores)[..., 0] > t)).sum()
                / (truth | (np.asarray(scores)[..., 0] > t)).sum() for t in candidates]
        return candidates[int(np.argmin(ious))]
        """, r"\*lowest\* IoU"),
        ("""
        truth = np.asarray(truths) == 1
        return max((truth & (np.asarray(scores)[..., 0] > t)).sum()
                   / (truth | (np.asarray(scores)[..., 0] > t)).sum() for t in candidates)
        """, r"return the threshold that gives it"),
        ("""
        truth = np.asarray(truths) == 1
        best, chosen = -1.0, None
        for t in candidates:
            predicted = np.asarray(scores)[..., 0] > t
            iou = (truth & predicted).sum() / (truth | predicted).sum()
            if iou >= best:
                best, chosen = iou, t
        return chosen
        """, r"return the first of them"),
        ("""
        truth = np.asarray(truths) == 1
        best, chosen = -1.0, None
        for t in sorted(candidates, reverse=True):
            predicted = np.asarray(scores)[..., 0] > t
            iou = (truth & predicted).sum() / (truth | predicted).sum()
            if iou > best:
                best, chosen = iou, t
        return chosen
        """, r"you returned 0.7: when several tie"),
    ],
    "ex06_network_input": [
        ("""
        if scale_to == "auto":
            factor = train_size / max(photo_shape)
            return round(photo_shape[0] * factor), round(photo_shape[1] * factor)
        multiple = 2**depth
        height, width = photo_shape if scale_to is None else (scale_to, scale_to)
        return math.ceil(height / multiple) * multiple, math.ceil(width / multiple) * multiple
        """, r"keeps the photo's aspect ratio"),
        ("""
        if scale_to == "auto":
            return train_size, train_size
        return photo_shape if scale_to is None else (scale_to, scale_to)
        """, r"padded up to \(384, 512\)"),
        ("""
        if scale_to == "auto":
            return train_size, train_size
        multiple = 2**depth
        height, width = photo_shape if scale_to is None else (scale_to, scale_to)
        return height // multiple * multiple, width // multiple * multiple
        """, r"expected \(384, 512\)"),
        ("""
        multiple = 2**depth
        height, width = photo_shape if scale_to in (None, "auto") else (scale_to, scale_to)
        return math.ceil(height / multiple) * multiple, math.ceil(width / multiple) * multiple
        """, r"expected \(96, 96\)"),
    ],
    "ex06_flip_average": [
        ("return (predict(photo) + predict(photo[:, ::-1])) / 2", r"flip them back"),
        ("return (predict(photo) + predict(photo[::-1])[::-1]) / 2", r"upside down"),
        ("""
        labels = predict(photo) > 0.5
        return (labels + (predict(photo[:, ::-1])[:, ::-1] > 0.5)) / 2
        """, r"not labels"),
        ("return predict(photo[:, ::-1])[:, ::-1]", r"Not the average"),
        ("return predict(photo) + predict(photo[:, ::-1])[:, ::-1]", r"Not the average"),
    ],
    "ex07_scaled_gflops": [
        ("return gflops * width_factor * size_factor**2", r"linear in the width"),
        ("return gflops * width_factor**2 * size_factor", r"linear in the side"),
        ("return gflops * width_factor**2 + size_factor**2", r"expected"),
        ("return gflops * 2 * width_factor * size_factor", r"expected|linear"),
    ],
    "ex07_paired_interval": [
        ("""
        a, b = np.asarray(overlaps_a, float), np.asarray(overlaps_b, float)
        rng = np.random.default_rng(0)
        differences = []
        for _ in range(rounds):
            i, j = rng.integers(0, len(a), len(a)), rng.integers(0, len(b), len(b))
            differences.append(a[i, 0].sum() / a[i, 1].sum() - b[j, 0].sum() / b[j, 1].sum())
        return tuple(np.percentile(differences, [2.5, 97.5]))
        """, r"the \*same\* photos for a and b"),
        ("""
        a, b = np.asarray(overlaps_a, float), np.asarray(overlaps_b, float)
        rng = np.random.default_rng(0)
        differences = []
        for _ in range(rounds):
            i = rng.integers(0, len(a), len(a))
            differences.append(a[i, 0].sum() / a[i, 1].sum() - b[i, 0].sum() / b[i, 1].sum())
        return tuple(np.percentile(differences, [5, 95]))
        """, r"narrower than a 95 % interval"),
        ("""
        a, b = np.asarray(overlaps_a, float), np.asarray(overlaps_b, float)
        rng = np.random.default_rng(0)
        differences = []
        for _ in range(rounds):
            i = rng.integers(0, len(a), len(a))
            differences.append((a[i, 0] / a[i, 1]).mean() - (b[i, 0] / b[i, 1]).mean())
        return tuple(np.percentile(differences, [2.5, 97.5]))
        """, r"mean of per-photo IoUs"),
        ("""
        a, b = np.asarray(overlaps_a, float), np.asarray(overlaps_b, float)
        rng = np.random.default_rng(0)
        differences = []
        for _ in range(rounds):
            i = rng.integers(0, len(a), len(a))
            differences.append(b[i, 0].sum() / b[i, 1].sum() - a[i, 0].sum() / a[i, 1].sum())
        return tuple(np.percentile(differences, [2.5, 97.5]))
        """, r"IoU\(b\) - IoU\(a\)"),
        ("""
        a, b = np.asarray(overlaps_a, float), np.asarray(overlaps_b, float)
        difference = a[:, 0].sum() / a[:, 1].sum() - b[:, 0].sum() / b[:, 1].sum()
        return difference - 0.01, difference + 0.01
        """, r"wide|Gave"),
    ],
}


# --- other right answers: written differently, each must pass its check ----------------------

EQUIVALENTS = {
    "ex01_conv_block": [
        # no biases before batch norm: its own shift does their job
        _conv_block_with('num_filters, 3, padding="same", use_bias=False'),
        # ReLU as a layer of its own kind, and keyword arguments
        """
        x = inputs
        for _ in range(2):
            x = layers.Conv2D(filters=num_filters, kernel_size=(3, 3), padding="same")(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
        return x
        """,
    ],
    "ex03_to_binary": [
        "return tf.cast(tf.not_equal(trimap, tf.constant(2, tf.uint8)), tf.uint8)",
        "return tf.where(trimap == 2, 0, 1)",
    ],
    "ex03_flip_pair": [
        """
        stacked = tf.concat([image, tf.cast(mask, image.dtype)], axis=-1)
        stacked = tf.image.stateless_random_flip_left_right(stacked, seed)
        return stacked[..., :3], tf.cast(stacked[..., 3:], mask.dtype)
        """,
    ],
    "ex06_network_input": [
        """
        if scale_to == "auto":
            return [train_size, train_size]
        side = 2**depth
        shape = photo_shape if scale_to is None else (scale_to, scale_to)
        return [-(-n // side) * side for n in shape]
        """,
    ],
    "ex06_flip_average": [
        "return (predict(photo) + tf.reverse(predict(tf.reverse(photo, [1])), [1])) / 2",
        "return np.mean([predict(photo), predict(photo[:, ::-1])[:, ::-1]], axis=0)",
    ],
    "ex07_scaled_gflops": [
        "return gflops * (width_factor * size_factor) ** 2",
    ],
    "ex07_paired_interval": [
        """
        a, b = np.asarray(overlaps_a, float), np.asarray(overlaps_b, float)
        draws = np.random.default_rng(1).multinomial(len(a), [1 / len(a)] * len(a), rounds)
        pooled_a = (draws @ a)[:, 0] / (draws @ a)[:, 1]
        pooled_b = (draws @ b)[:, 0] / (draws @ b)[:, 1]
        return tuple(np.quantile(pooled_a - pooled_b, [0.025, 0.975]))
        """,
    ],
}


def prove(verbose: bool = True) -> tuple[int, int, list[str]]:
    """Run every exercise's answer, stub and planted mistakes; return (caught, planted, problems)."""
    problems, caught, planted = [], 0, 0
    found = all_exercises()
    for grade_id in sorted(set(found) | set(MISTAKES)):
        if grade_id not in found:
            problems.append(f"{grade_id}: planted mistakes for an exercise that does not exist")
            continue
        answer, check = found[grade_id]
        if (message := run_exercise(answer, check)) is not None:
            problems.append(f"{grade_id}: the model answer fails its check: {message}")
        stub = run_exercise(student_source(answer), check)
        if stub is None or "not written yet" not in stub:
            problems.append(f"{grade_id}: the stub does not fail its check ({stub!r})")
        if not MISTAKES.get(grade_id):
            problems.append(f"{grade_id}: no planted mistake")
        for number, other in enumerate(EQUIVALENTS.get(grade_id, [])):
            if (message := run_exercise(replace_solution(answer, other), check)) is not None:
                problems.append(f"{grade_id}: right answer {number} rejected: {message}")
        for replacement, pattern in MISTAKES.get(grade_id, []):
            planted += 1
            message = run_exercise(replace_solution(answer, replacement), check)
            if message is not None and re.search(pattern, message):
                caught += 1
                if verbose:
                    print(f"caught  {grade_id}: {message.splitlines()[0][:110]}")
            else:
                problems.append(f"{grade_id}: mistake not caught as /{pattern}/: {message!r}\n"
                                f"{textwrap.dedent(replacement).strip()}")
    return caught, planted, problems


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
    sub.add_parser("prove")
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
    if args.command in ("student", "course"):
        make = make_student if args.command == "student" else make_course_source
        for path in make(args.out):
            print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        return 0
    caught, planted, problems = prove()
    print(f"\n{len(all_exercises())} exercises; planted mistakes caught: {caught} / {planted}")
    for problem in problems:
        print("PROBLEM", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
