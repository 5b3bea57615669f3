"""Segmentation metrics on hard labels: IoU per class and mean, Dice, pixel accuracy.

Every metric first turns predictions into labels: a threshold for a
one-channel (sigmoid) model, ``argmax`` for several channels. Computing IoU on
probabilities instead would reward timid predictions. The metrics add up one
confusion matrix over everything they see (a whole validation epoch), then
read IoU and Dice from it.

Conventions: for binary masks class 0 is background and class 1 the pet. A
class that is neither in the truth nor in the prediction has no IoU; the
mean skips it, and asked for alone it counts as 1 (nothing to find, nothing
found).

The numpy functions at the end compute the same numbers for evaluation.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

PACKAGE = "unet_helpers"


def predicted_labels(y_pred, threshold=0.5, from_logits=False):
    """Hard labels (batch, H, W) from scores (batch, H, W, C): threshold or argmax."""
    if y_pred.shape[-1] == 1:
        cut = 0.0 if from_logits else threshold
        return ops.cast(y_pred[..., 0] > cut, "int32")
    return ops.cast(ops.argmax(y_pred, axis=-1), "int32")


class _ConfusionMetric(keras.metrics.Metric):
    """Accumulates a ``num_classes`` x ``num_classes`` confusion matrix (rows: truth)."""

    def __init__(self, num_classes=2, threshold=0.5, from_logits=False, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes, self.threshold, self.from_logits = num_classes, threshold, from_logits
        self.matrix = self.add_variable(shape=(num_classes, num_classes), initializer="zeros",
                                        name="confusion", dtype="float32")

    def update_state(self, y_true, y_pred, sample_weight=None):
        truth = ops.cast(y_true, "int32")
        if truth.shape[-1] == 1:
            truth = ops.squeeze(truth, axis=-1)
        guess = predicted_labels(y_pred, self.threshold, self.from_logits)
        index = ops.reshape(truth * self.num_classes + guess, (-1,))
        weights = None
        if sample_weight is not None:
            weights = ops.reshape(ops.cast(ops.broadcast_to(
                ops.reshape(sample_weight, ops.shape(sample_weight)[:3]), ops.shape(truth)),
                "float32"), (-1,))
        counts = ops.bincount(index, weights=weights, minlength=self.num_classes**2)
        counts = ops.reshape(ops.cast(counts, "float32")[: self.num_classes**2],
                             (self.num_classes, self.num_classes))
        self.matrix.assign(self.matrix + counts)

    def reset_state(self):
        self.matrix.assign(ops.zeros_like(self.matrix))

    def _scores(self, kind):
        tp = ops.diagonal(self.matrix)
        fp = ops.sum(self.matrix, axis=0) - tp
        fn = ops.sum(self.matrix, axis=1) - tp
        denominator = tp + fp + fn
        numerator = tp
        if kind == "dice":
            numerator, denominator = 2 * tp, 2 * tp + fp + fn
        present = denominator > 0
        score = ops.where(present, numerator / ops.maximum(denominator, 1.0), 1.0)
        return score, present

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "threshold": self.threshold, "from_logits": self.from_logits}


class _ClassScore(_ConfusionMetric):
    kind = "iou"

    def __init__(self, num_classes=2, class_id=None, threshold=0.5, from_logits=False,
                 name=None, **kwargs):
        super().__init__(num_classes, threshold, from_logits, name=name, **kwargs)
        if class_id is not None and not 0 <= class_id < num_classes:
            raise ValueError(f"class_id {class_id} is not a class of {num_classes}.")
        self.class_id = class_id

    def result(self):
        score, present = self._scores(self.kind)
        if self.class_id is not None:
            return score[self.class_id]
        present = ops.cast(present, "float32")
        return ops.sum(score * present) / ops.maximum(ops.sum(present), 1.0)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id}


@keras.saving.register_keras_serializable(package=PACKAGE)
class SegmentationIoU(_ClassScore):
    """Intersection over union of one class (``class_id``), or the mean over classes."""

    kind = "iou"


@keras.saving.register_keras_serializable(package=PACKAGE)
class SegmentationDice(_ClassScore):
    """Dice (F1) of one class (``class_id``), or the mean over classes, on hard labels."""

    kind = "dice"


@keras.saving.register_keras_serializable(package=PACKAGE)
class PixelAccuracy(_ConfusionMetric):
    """Share of pixels labelled right. Misleading alone: background dominates."""

    def result(self):
        return ops.sum(ops.diagonal(self.matrix)) / ops.maximum(ops.sum(self.matrix), 1.0)


def segmentation_metrics(mask_mode: str = "binary", *, from_logits: bool = False) -> list:
    """The metrics the notebooks track: pet IoU, mean IoU, pet Dice, pixel accuracy."""
    classes = 2 if mask_mode == "binary" else 3
    pet = 1 if mask_mode == "binary" else 0
    common = {"num_classes": classes, "from_logits": from_logits}
    return [
        SegmentationIoU(class_id=pet, name="pet_iou", **common),
        SegmentationIoU(name="mean_iou", **common),
        SegmentationDice(class_id=pet, name="pet_dice", **common),
        PixelAccuracy(name="pixel_accuracy", **common),
    ]


# numpy versions, for evaluation and for checking the metrics above by hand

def labels_from_scores(scores: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Hard labels (..., H, W) from probabilities (..., H, W, C)."""
    scores = np.asarray(scores)
    if scores.shape[-1] == 1:
        return (scores[..., 0] > threshold).astype(np.int64)
    return scores.argmax(axis=-1)


def confusion_matrix(truth: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts ``[true class, predicted class]`` over all pixels."""
    truth = np.asarray(truth).reshape(-1).astype(np.int64)
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    return np.bincount(truth * num_classes + labels, minlength=num_classes**2).reshape(
        num_classes, num_classes)


def iou_per_class(matrix: np.ndarray) -> np.ndarray:
    """IoU of each class from a confusion matrix; NaN where a class is absent from both."""
    tp = np.diag(matrix).astype(float)
    union = matrix.sum(0) + matrix.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def dice_per_class(matrix: np.ndarray) -> np.ndarray:
    """Dice of each class from a confusion matrix; NaN where a class is absent from both."""
    tp = np.diag(matrix).astype(float)
    total = matrix.sum(0) + matrix.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 2 * tp / total, np.nan)
