"""Checks of notebook 06 (evaluation): IoU from a confusion matrix, the best threshold."""

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


# Two images, a large pet and a small one, where the pooled IoU and the mean of the images'
# IoUs choose different thresholds (0.4 pooled, 0.8 per image; 0.6 is the worst per image).
_LARGE_AND_SMALL = (
    np.array([[[0, 1, 1, 0], [0, 1, 1, 1], [1, 1, 1, 0]],
              [[0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]]]),
    np.array([[[0.9, 0.1, 0.5, 0.5], [0.1, 0.7, 0.9, 0.9], [0.5, 0.5, 0.7, 0.1]],
              [[0.1, 0.3, 0.3, 0.7], [0.5, 0.7, 0.1, 0.9], [0.3, 0.5, 0.7, 0.7]]])[..., None],
    [0.2, 0.4, 0.6, 0.8],
)


def _image_ious(truths, scores, threshold) -> np.ndarray:
    truth, predicted = np.asarray(truths) == 1, np.asarray(scores)[..., 0] > threshold
    inter = (truth & predicted).sum(axis=(1, 2))
    union = (truth | predicted).sum(axis=(1, 2))
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


@_exercise()
def check_best_threshold(best_threshold) -> None:
    """The candidate with the highest mean per-image pet IoU; the first of a tie."""
    truths, scores, candidates = _LARGE_AND_SMALL
    means = [float(_image_ious(truths, scores, t).mean()) for t in candidates]
    answer = _call(best_threshold, truths, scores, list(candidates))
    if answer not in candidates and isinstance(answer, (float, np.floating)) and \
            any(math.isclose(answer, m) for m in means):
        _fail(f"You returned {answer:.3f}, a mean IoU; return the threshold that gives the "
              "highest one.")
    if answer == 0.4:
        _fail("0.4 is the threshold with the best *pooled* IoU, all pixels of both images "
              "together, where the large pet outweighs the small one. Compute each image's IoU "
              "first, then the mean over the images, so that every photo counts the same.")
    if answer == 0.6:
        _fail("0.6 gives the *lowest* mean IoU here: pick the highest (argmax).")
    if answer != 0.8:
        _fail(f"Gave {answer!r}; the best threshold here is 0.8 (mean per-image IoU "
              f"{max(means):.3f}). For each candidate: hard labels scores[..., 0] > threshold, "
              "each image's pet IoU, their mean.")
    tied = _call(best_threshold, np.array([[[1, 0, 1]], [[0, 0, 1]]]),
                 np.array([[[0.8, 0.2, 0.9]], [[0.1, 0.2, 0.95]]])[..., None],
                 [0.3, 0.5, 0.7])
    if tied != 0.3:
        _fail(f"Here 0.3, 0.5 and 0.7 all give a mean IoU of 1.0 and you returned {tied}: when "
              "several tie, return the first of them (np.argmax does; a loop with `>=` keeps "
              "the last).")
    empty = _call(best_threshold, np.array([[[1, 1, 0]], [[0, 0, 0]]]),
                  np.array([[[0.9, 0.9, 0.2]], [[0.1, 0.45, 0.2]]])[..., None], [0.4, 0.5])
    if empty != 0.5:
        _fail("A photo with no pet where you predict none is perfect: count its IoU as 1.0 "
              f"(you returned {empty}; at 0.5 both photos are right, at 0.4 the second has a "
              "false pet).")
    return _passed("the threshold with the best mean per-image IoU, the first of a tie",
                   "pooled and per-image IoU can disagree: say which one you report")
