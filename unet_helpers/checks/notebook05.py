"""Checks of notebook 05 (evaluation): IoU from a confusion matrix, the best threshold."""

from __future__ import annotations

import math

import numpy as np

from .core import _call, _exercise, _fail, _passed


@_exercise()
def check_iou_from_confusion(iou_from_confusion) -> None:
    """Per-class IoU from a confusion matrix [true, predicted]; NaN for an absent class."""
    matrix = np.array([[10, 1, 0], [2, 4, 0], [0, 0, 0]])
    answer = np.asarray(_call(iou_from_confusion, matrix), dtype=float)
    right = np.array([10 / 13, 4 / 7, np.nan])
    if answer.shape != (3,):
        _fail(f"Shape {answer.shape}; expected one IoU per class: (3,).")
    if np.allclose(answer[:2], [10 / 11, 4 / 6]):
        _fail("That is TP / row total (the recall). IoU divides by the union: row total + "
              "column total - TP.")
    if np.allclose(answer[:2], [10 / 12, 4 / 5]):
        _fail("That is TP / column total (the precision). IoU divides by the union: row "
              "total + column total - TP.")
    if np.allclose(answer[:2], [10 / 23, 4 / 11]):
        _fail("The union counts the correct pixels twice: subtract TP once (row + column - TP).")
    if not np.isnan(answer[2]):
        _fail(f"Class 2 appears nowhere, yet its IoU is {answer[2]!r}. 0 / 0 has no answer: "
              "return NaN so that means can skip it (np.nanmean).")
    if not np.allclose(answer[:2], right[:2]):
        _fail(f"Gave {answer.round(3).tolist()}; expected {right.round(3).tolist()}.")
    missed = np.asarray(_call(iou_from_confusion, np.array([[5, 3], [2, 0]])), dtype=float)
    if missed.shape != (2,) or not np.allclose(missed, [0.5, 0.0]):
        _fail(f"For [[5, 3], [2, 0]] you gave {missed.round(3).tolist()}; expected [0.5, 0.0]. "
              "Class 1 is in the truth and in the prediction but never both at once: its IoU "
              "is 0 (0 right of a union of 5), not NaN. NaN is only for an empty union.")
    return _passed("TP / (row + column - TP), NaN for absent classes")


@_exercise()
def check_best_threshold(best_threshold) -> None:
    """The threshold (of the candidates) with the highest pet IoU."""
    truth = np.array([[1, 1, 1, 0, 0, 0]])
    scores = np.array([[0.9, 0.55, 0.35, 0.45, 0.2, 0.1]])[..., None]
    candidates = [0.3, 0.4, 0.5, 0.6]
    answer = _call(best_threshold, truth, scores, candidates)
    # IoU per candidate: 0.3 -> 3/4, 0.4 -> 1/2, 0.5 -> 2/3, 0.6 -> 1/3
    if answer == 0.6:
        _fail("0.6 has the *lowest* IoU here: pick the threshold with the highest (argmax).")
    if isinstance(answer, float) and math.isclose(answer, 0.75):
        _fail("0.75 is the best IoU; return the threshold that gives it.")
    if answer != 0.3:
        _fail(f"Gave {answer!r}; the best threshold here is 0.3 (IoU 0.75). Label pixels "
              "with score > threshold, then compute the pet IoU for each candidate.")
    tied = _call(best_threshold, np.array([[1, 0, 1]]), np.array([[0.8, 0.2, 0.9]])[..., None],
                 np.array([0.3, 0.5, 0.7]))
    if tied != 0.3:
        _fail(f"Here 0.3, 0.5 and 0.7 all give IoU 1.0 and you returned {tied}: when several "
              "tie, return the first of them (np.argmax does; a loop with `>=` keeps the "
              "last).")
    return _passed("the threshold with the highest IoU, the first of a tie")
