"""Segmentation losses: Dice, BCE + Dice, cross-entropy + Dice.

Each loss returns one value **per pixel**, shape ``(batch, height, width)``,
so Keras can apply per-pixel ``sample_weight`` (the remedy for "predicts all
background" shown in notebook 04). The Dice term is computed per image and
spread evenly over its pixels. ``from_logits`` must match the model's head:
``True`` for ``output_activation="linear"``, ``False`` for sigmoid or softmax.

All classes are registered, so a saved ``.keras`` model that uses them loads
without ``custom_objects``.

Why not ``keras.losses.Dice``: it has no ``from_logits``, returns one value
per image (so per-pixel weights cannot apply), and has no smoothing term, so
an image without a pet that the model rightly leaves empty costs the full
loss of 1 instead of 0. The cross-entropy itself is Keras's
(``binary_crossentropy`` / ``sparse_categorical_crossentropy``). Every loss
computes in float32, also under mixed precision, and runs under XLA and
``tf.distribute`` (tests/test_gpu_settings.py).
"""

from __future__ import annotations

import keras
from keras import ops

PACKAGE = "unet_helpers"


def _probabilities(y_pred, from_logits: bool):
    if not from_logits:
        return y_pred
    return ops.sigmoid(y_pred) if y_pred.shape[-1] == 1 else ops.softmax(y_pred, axis=-1)


def _targets(y_true, y_pred):
    """Labels (..., 1) as float targets shaped like the prediction (one-hot if multi-class)."""
    channels = y_pred.shape[-1]
    labels = ops.cast(y_true, "int32")
    if labels.shape[-1] == 1:
        labels = ops.squeeze(labels, axis=-1)
    if channels == 1:
        return ops.expand_dims(ops.cast(labels, y_pred.dtype), -1)
    return ops.one_hot(labels, channels, dtype=y_pred.dtype)


def soft_dice(y_true, y_pred, from_logits=False, smooth=1.0):
    """Per-image soft Dice coefficient in [0, 1], averaged over the channels."""
    y_pred = ops.cast(y_pred, "float32")
    probs = _probabilities(y_pred, from_logits)
    targets = _targets(y_true, probs)
    overlap = ops.sum(targets * probs, axis=(1, 2))
    total = ops.sum(targets, axis=(1, 2)) + ops.sum(probs, axis=(1, 2))
    return ops.mean((2.0 * overlap + smooth) / (total + smooth), axis=-1)


def _per_pixel(per_image, like):
    """Spread a per-image value over that image's pixels: shape (batch, height, width)."""
    return ops.ones_like(like[..., 0]) * ops.reshape(per_image, (-1, 1, 1))


@keras.saving.register_keras_serializable(package=PACKAGE)
class DiceLoss(keras.losses.Loss):
    """``1 - Dice``: directly rewards overlap, so a small object counts as much as the rest."""

    def __init__(self, from_logits=False, smooth=1.0, name="dice_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.from_logits, self.smooth = from_logits, smooth

    def call(self, y_true, y_pred):
        y_pred = ops.cast(y_pred, "float32")
        return _per_pixel(1.0 - soft_dice(y_true, y_pred, self.from_logits, self.smooth), y_pred)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "smooth": self.smooth}


def _crossentropy(y_true, y_pred, from_logits):
    y_pred = ops.cast(y_pred, "float32")
    if y_pred.shape[-1] == 1:
        targets = _targets(y_true, y_pred)
        return keras.losses.binary_crossentropy(targets, y_pred, from_logits=from_logits)
    labels = ops.cast(y_true, "int32")
    if labels.shape[-1] == 1:
        labels = ops.squeeze(labels, axis=-1)
    return keras.losses.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits)


@keras.saving.register_keras_serializable(package=PACKAGE)
class CrossEntropyDiceLoss(keras.losses.Loss):
    """Per-pixel cross-entropy plus ``dice_weight`` times the Dice loss.

    With one output channel the cross-entropy is binary (BCE + Dice); with
    several it is sparse categorical (labels 0..C-1, not one-hot).
    ``dice_weight=0`` leaves plain cross-entropy.
    """

    def __init__(self, from_logits=False, dice_weight=1.0, smooth=1.0,
                 name="crossentropy_dice_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.from_logits, self.dice_weight, self.smooth = from_logits, dice_weight, smooth

    def call(self, y_true, y_pred):
        y_pred = ops.cast(y_pred, "float32")
        loss = _crossentropy(y_true, y_pred, self.from_logits)
        if self.dice_weight:
            dice = 1.0 - soft_dice(y_true, y_pred, self.from_logits, self.smooth)
            loss = loss + self.dice_weight * _per_pixel(dice, y_pred)
        return loss

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "dice_weight": self.dice_weight, "smooth": self.smooth}


LOSSES = ("crossentropy", "dice", "crossentropy+dice")


def make_loss(name: str = "crossentropy+dice", *, from_logits: bool = False) -> keras.losses.Loss:
    """A loss by name: ``"crossentropy"``, ``"dice"`` or ``"crossentropy+dice"``.

    Cross-entropy is binary for one-channel models and sparse categorical
    for several channels, chosen from the prediction's shape.
    """
    if name == "dice":
        return DiceLoss(from_logits=from_logits)
    if name == "crossentropy":
        return CrossEntropyDiceLoss(from_logits=from_logits, dice_weight=0.0, name="crossentropy")
    if name == "crossentropy+dice":
        return CrossEntropyDiceLoss(from_logits=from_logits)
    raise ValueError(f"Unknown loss {name!r}: use one of {', '.join(map(repr, LOSSES))}.")
