"""Segmentation metrics on hard labels: IoU per class and mean, Dice, pixel accuracy.

Every metric first turns predictions into labels: a threshold for a
one-channel (sigmoid) model, ``argmax`` for several channels. Computing IoU on
probabilities instead would reward timid predictions. The IoU and Dice metrics
add up one confusion matrix over everything they see (a whole validation
epoch), then read the score from it.

The counting is Keras's own (``keras.metrics.IoU``): it builds the confusion
matrix with a scatter of fixed size, so it runs under XLA (``jit_compile``),
mixed precision and ``tf.distribute``. Pixel accuracy is Keras's
``BinaryAccuracy`` / ``SparseCategoricalAccuracy``, which compute the same
thing per pixel. What Keras does not have is added here, and only that: scores
turned into labels (threshold or argmax, logits or probabilities), Dice on
hard labels, and the convention for an absent class.

Conventions: for binary masks class 0 is background and class 1 the pet. A
class that is neither in the truth nor in the prediction has no IoU; the
mean skips it, and asked for alone it counts as 1 (nothing to find, nothing
found; Keras would report 0).

The numpy functions at the end compute the same numbers for evaluation.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

PACKAGE = "unet_helpers"


def score_cut(threshold=0.5, from_logits=False) -> float:
    """The threshold on the head's own scale: a probability, or its logit."""
    return math.log(threshold / (1 - threshold)) if from_logits else threshold


def predicted_labels(y_pred, threshold=0.5, from_logits=False):
    """Hard labels (batch, H, W) from scores (batch, H, W, C): threshold or argmax."""
    if y_pred.shape[-1] == 1:
        return ops.cast(y_pred[..., 0] > score_cut(threshold, from_logits), "int32")
    return ops.cast(ops.argmax(y_pred, axis=-1), "int32")


@keras.saving.register_keras_serializable(package=PACKAGE)
class SegmentationIoU(keras.metrics.IoU):
    """Intersection over union of one class (``class_id``), or the mean over classes.

    Keras's ``IoU`` counts; this subclass turns scores into labels first
    (``threshold`` for one channel, ``argmax`` for several; ``from_logits``
    for a head without activation) and scores a class absent from truth and
    prediction as 1 when it is asked for alone.
    """

    def __init__(self, num_classes=2, class_id=None, threshold=0.5, from_logits=False,
                 name=None, dtype=None, **kwargs):
        if class_id is not None and not 0 <= class_id < num_classes:
            raise ValueError(f"class_id {class_id} is not a class of {num_classes}.")
        kwargs.pop("target_class_ids", None)  # a saved config has them; we derive them
        kwargs.pop("sparse_y_true", None), kwargs.pop("sparse_y_pred", None)
        kwargs.pop("ignore_class", None), kwargs.pop("axis", None)
        targets = list(range(num_classes)) if class_id is None else [class_id]
        # float32 counts: Keras's default int64 would cut per-pixel weights such as 0.5 to 0
        super().__init__(num_classes=num_classes, target_class_ids=targets, name=name,
                         dtype=dtype or "float32", sparse_y_true=True, sparse_y_pred=True,
                         **kwargs)
        self.class_id, self.threshold, self.from_logits = class_id, threshold, from_logits

    def update_state(self, y_true, y_pred, sample_weight=None):
        truth = ops.cast(y_true, "int32")
        if truth.shape[-1] == 1:
            truth = ops.squeeze(truth, axis=-1)
        labels = predicted_labels(y_pred, self.threshold, self.from_logits)
        return super().update_state(truth, labels, sample_weight)

    def _counts(self):
        matrix = ops.cast(self.total_cm, "float32")
        tp = ops.diagonal(matrix)
        return tp, ops.sum(matrix, axis=0) - tp, ops.sum(matrix, axis=1) - tp

    def result(self):
        score = super().result()
        if self.class_id is None:
            return score
        tp, fp, fn = self._counts()
        absent = (tp + fp + fn)[self.class_id] == 0
        return ops.where(absent, ops.ones_like(score), score)

    def get_config(self):
        config = super().get_config()
        for key in ("target_class_ids", "sparse_y_true", "sparse_y_pred", "ignore_class",
                    "axis"):
            config.pop(key, None)
        return {**config, "class_id": self.class_id, "threshold": self.threshold,
                "from_logits": self.from_logits}


@keras.saving.register_keras_serializable(package=PACKAGE)
class SegmentationDice(SegmentationIoU):
    """Dice (F1) of one class (``class_id``), or the mean over classes, on hard labels.

    Written here because Keras has no Dice metric for masks (``F1Score``
    expects one row of class scores per example, not a label per pixel). It
    reads the same confusion matrix as :class:`SegmentationIoU`.
    """

    def result(self):
        tp, fp, fn = self._counts()
        total = 2 * tp + fp + fn
        present = total > 0
        score = ops.where(present, 2 * tp / ops.maximum(total, 1.0), 1.0)
        if self.class_id is not None:
            return score[self.class_id]
        present = ops.cast(present, "float32")
        return ops.sum(score * present) / ops.maximum(ops.sum(present), 1.0)


def pixel_accuracy(channels: int = 1, *, threshold: float = 0.5, from_logits: bool = False,
                   name: str = "pixel_accuracy") -> keras.metrics.Metric:
    """Share of pixels labelled right: Keras's own accuracy metrics, per pixel.

    Misleading alone, since background dominates. ``channels`` is what the
    head outputs: one (sigmoid or logit) gives ``BinaryAccuracy`` at the
    threshold, several give ``SparseCategoricalAccuracy`` (the argmax).
    """
    if channels == 1:
        return keras.metrics.BinaryAccuracy(name=name, threshold=score_cut(threshold,
                                                                           from_logits))
    return keras.metrics.SparseCategoricalAccuracy(name=name)


def segmentation_metrics(mask_mode: str = "binary", *, from_logits: bool = False,
                         channels: int | None = None) -> list:
    """The metrics the notebooks track: pet IoU, mean IoU, pet Dice, pixel accuracy.

    ``channels``: how many scores the head gives per pixel (default: one for
    binary masks, three for trimaps).
    """
    classes = 2 if mask_mode == "binary" else 3
    pet = 1 if mask_mode == "binary" else 0
    common = {"num_classes": classes, "from_logits": from_logits}
    channels = channels or (1 if mask_mode == "binary" else 3)
    return [
        SegmentationIoU(class_id=pet, name="pet_iou", **common),
        SegmentationIoU(name="mean_iou", **common),
        SegmentationDice(class_id=pet, name="pet_dice", **common),
        pixel_accuracy(channels, from_logits=from_logits),
    ]


@keras.saving.register_keras_serializable(package=PACKAGE)
class PixelAccuracy(keras.metrics.BinaryAccuracy):
    """Only for loading models saved by unet_helpers 0.1: use :func:`pixel_accuracy`."""

    def __init__(self, num_classes=2, threshold=0.5, from_logits=False, name=None, **kwargs):
        super().__init__(name=name or "pixel_accuracy",
                         threshold=score_cut(threshold, from_logits), **kwargs)


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
