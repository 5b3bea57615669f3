"""Checks of notebook 04 (training): the soft Dice loss and the pet IoU."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from .core import _call, _exercise, _fail, _passed


@_exercise()
def check_dice_loss(dice_loss) -> None:
    """Soft Dice loss: 1 - (2 * overlap + smooth) / (truth + prediction + smooth)."""
    rng = np.random.default_rng(0)
    truth = (rng.random((2, 6, 6, 1)) > 0.6).astype("float32")
    scores = rng.random((2, 6, 6, 1)).astype("float32")
    right = 1 - (2 * (truth * scores).sum() + 1) / (truth.sum() + scores.sum() + 1)
    variable = tf.Variable(scores)
    with tf.GradientTape() as tape:
        loss = _call(dice_loss, tf.constant(truth), variable)
    gradient = tape.gradient(loss, variable)
    if np.ndim(loss) != 0:
        _fail(f"The loss has shape {np.shape(loss)}; return one number for the whole batch "
              "(tf.reduce_sum over every pixel of every image).")
    value = float(loss)
    if gradient is None or not np.any(np.asarray(gradient)):
        _fail("The loss has no gradient with respect to the predictions: do not round or "
              "threshold the probabilities in a loss; use them as they are (soft Dice).")
    empty = float(_call(dice_loss, tf.zeros((1, 4, 4, 1)), tf.zeros((1, 4, 4, 1))))
    if not math.isfinite(empty):
        _fail("All-background truth and prediction give NaN (0 / 0): add `smooth` to the "
              "numerator and the denominator.")
    if math.isclose(value, 1 - right, abs_tol=1e-4):
        _fail(f"You return the Dice score ({value:.3f}); a loss must fall as the overlap "
              "grows: return 1 - Dice.")
    overlap, total = (truth * scores).sum(), truth.sum() + scores.sum()
    if math.isclose(value, 1 - (overlap + 1) / (total + 1), abs_tol=1e-4):
        _fail("The overlap counts twice in Dice: 2 * sum(truth * prediction) on top.")
    if not math.isclose(value, right, abs_tol=1e-4):
        _fail(f"Loss {value:.4f}; expected {right:.4f} for this batch (sum over all pixels "
              "of the batch, smooth = 1).")
    return _passed("soft Dice loss with smoothing, differentiable")


@_exercise()
def check_pet_iou(pet_iou) -> None:
    """Pet IoU on thresholded predictions, 1.0 when pet is in neither."""
    truth = np.array([[1, 1, 0, 0]])
    scores = np.array([[0.9, 0.4, 0.6, 0.1]])[..., None]
    answer = _call(pet_iou, truth, scores)
    if answer is None or np.ndim(answer) != 0:
        _fail(f"pet_iou returned {answer!r}; return one number: the IoU over all pixels.")
    answer = float(answer)
    if math.isclose(answer, 1.3 / 2.7, abs_tol=1e-6):
        _fail("That is IoU on probabilities. Turn them into labels first (pet where the "
              "probability is above the threshold), then count pixels.")
    if answer == 0.0:
        _fail("IoU 0 although one pet pixel is found: with one output channel use "
              "`scores[..., 0] > threshold`; argmax over a single channel is always 0.")
    if not math.isclose(answer, 1 / 3, abs_tol=1e-6):
        _fail(f"Gave {answer:.3f}; expected 1/3: with threshold 0.5 the first and third "
              "pixels are predicted pet, so the overlap is 1 pixel and the union 3.")
    lower = _call(pet_iou, truth, scores, threshold=0.35)
    if lower is None or np.ndim(lower) != 0 or not math.isclose(float(lower), 2 / 3,
                                                                abs_tol=1e-6):
        _fail(f"With threshold=0.35 you gave {lower}; expected 2/3 (three pixels above "
              "0.35, two of them pet). Use the `threshold` argument, not a fixed 0.5.")
    empty = _call(pet_iou, np.zeros((1, 4)), np.zeros((1, 4, 1)))
    if not math.isclose(float(empty), 1.0):
        _fail(f"No pet in the truth and none predicted gave {float(empty)!r}: that answer is "
              "perfect, so return 1.0 when the union is empty.")
    return _passed("IoU on hard labels, with the empty case handled")
