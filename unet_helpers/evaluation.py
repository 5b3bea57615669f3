"""Evaluate a trained model on a whole split, image by image and pixel by pixel (numpy).

Everything here starts from three arrays that :func:`predict_dataset` returns:
the photos, the true masks (N, H, W) and the scores (N, H, W, C) of the model.
Scores become hard labels before anything is counted, as in training.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .metrics import confusion_matrix, dice_per_class, iou_per_class, labels_from_scores


@dataclasses.dataclass
class Predictions:
    images: np.ndarray  # (N, H, W, 3) float in [0, 1]
    truths: np.ndarray  # (N, H, W) integer labels
    scores: np.ndarray  # (N, H, W, C) probabilities

    @property
    def num_classes(self) -> int:
        return max(2, self.scores.shape[-1])

    def labels(self, threshold: float = 0.5) -> np.ndarray:
        return labels_from_scores(self.scores, threshold)


def _probabilities(logits: np.ndarray) -> np.ndarray:
    """Sigmoid for one channel, softmax over the channels otherwise."""
    if logits.shape[-1] == 1:
        return 1 / (1 + np.exp(-logits))
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def predict_dataset(model, dataset) -> Predictions:
    """Run ``model`` over a batched ``(image, mask)`` dataset and keep everything as numpy.

    Scores are probabilities even for a head without activation (logits): a
    sigmoid or softmax is applied here, so thresholds mean the same for every model.
    """
    from .training import head_gives_logits

    logits = head_gives_logits(model)
    images, truths, scores = [], [], []
    for batch_images, batch_masks in dataset:
        images.append(batch_images.numpy())
        truths.append(batch_masks.numpy()[..., 0])
        batch = np.asarray(model.predict_on_batch(batch_images), dtype=np.float32)
        scores.append(_probabilities(batch) if logits else batch)
    if not images:
        raise ValueError("The dataset is empty: nothing to evaluate. Check the split and the "
                         "data source (uh.load_pets prints what it loaded).")
    return Predictions(np.concatenate(images), np.concatenate(truths), np.concatenate(scores))


def scores_from_matrix(matrix: np.ndarray, class_names=None) -> dict:
    """Per-class IoU and Dice, their means, and pixel accuracy from one confusion matrix.

    A class that is neither in the truth nor in the prediction has no IoU
    (NaN) and is left out of the means.
    """
    iou, dice = iou_per_class(matrix), dice_per_class(matrix)
    names = class_names or [str(c) for c in range(len(matrix))]
    return {
        "iou": dict(zip(names, iou.tolist())),
        "dice": dict(zip(names, dice.tolist())),
        "mean_iou": float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan"),
        "mean_dice": float(np.nanmean(dice)) if np.isfinite(dice).any() else float("nan"),
        "pixel_accuracy": float(np.trace(matrix) / max(1, matrix.sum())),
    }


def evaluate_masks(truths, labels, num_classes: int, class_names=None) -> dict:
    """:func:`scores_from_matrix` for label arrays, plus the confusion matrix itself."""
    matrix = confusion_matrix(truths, labels, num_classes)
    return {"confusion": matrix, **scores_from_matrix(matrix, class_names)}


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row (true class) divided by its total: the share of its pixels given each label."""
    totals = matrix.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, matrix / np.maximum(totals, 1), 0.0)


def per_image_iou(truths, labels, class_id: int = 1) -> np.ndarray:
    """IoU of ``class_id`` for each image; 1.0 where the class is in neither truth nor prediction."""
    truths = np.asarray(truths) == class_id
    labels = np.asarray(labels) == class_id
    axes = tuple(range(1, truths.ndim))
    intersection = (truths & labels).sum(axis=axes)
    union = (truths | labels).sum(axis=axes)
    return np.where(union > 0, intersection / np.maximum(union, 1), 1.0)


def threshold_sweep(truths, scores, thresholds=None, class_id: int = 1):
    """IoU of the pet class at each threshold (one-channel, sigmoid models only).

    Returns ``(thresholds, ious)``. The metric during training uses 0.5; the
    sweep shows whether another cut-off would do better on this data.
    """
    scores = np.asarray(scores)
    if scores.shape[-1] != 1:
        raise ValueError("A threshold sweep needs a one-channel (sigmoid) model; a softmax "
                         "model picks the most likely class, there is no threshold to choose.")
    thresholds = np.linspace(0.05, 0.95, 19) if thresholds is None else np.asarray(thresholds)
    truth = np.asarray(truths) == class_id
    ious = []
    for threshold in thresholds:
        predicted = scores[..., 0] > threshold
        union = np.logical_or(truth, predicted).sum()
        ious.append(np.logical_and(truth, predicted).sum() / union if union else 1.0)
    return thresholds, np.asarray(ious)


ERROR_COLOURS = {"background": (0.0, 0.0, 0.0), "pet found": (0.85, 0.85, 0.85),
                 "false pet (false positive)": (1.0, 0.15, 0.15),
                 "missed pet (false negative)": (0.2, 0.45, 1.0)}


def error_map(truth, labels, class_id: int = 1) -> np.ndarray:
    """An RGB picture of the mistakes: false positives red, false negatives blue."""
    truth = np.asarray(truth) == class_id
    labels = np.asarray(labels) == class_id
    colours = np.array(list(ERROR_COLOURS.values()))
    kind = np.where(truth, np.where(labels, 1, 3), np.where(labels, 2, 0))
    return colours[kind]
