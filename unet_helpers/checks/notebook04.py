"""Checks of notebook 04 (training): the compile call, the soft Dice loss and the pet IoU."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from ..model import build_unet
from ..training import compile_model
from .core import _call, _exercise, _fail, _passed

METRIC_NAMES = ("pet_iou", "mean_iou", "pet_dice", "pixel_accuracy")


def compile_unet(model, learning_rate, decay_steps=None, jit_compile="auto"):
    """What exercise 4.1 asks for, as the package does it (``uh.compile_model``)."""
    return compile_model(model, learning_rate=learning_rate, decay_steps=decay_steps,
                         jit_compile=jit_compile)


def _compiled(compile_unet, learning_rate, decay_steps, jit_compile) -> dict:
    """Build a small sigmoid-head U-Net, compile it the learner's way; its compile config."""
    model = build_unet((32, 32, 3), base_filters=4, depth=2)
    _call(compile_unet, model, learning_rate, decay_steps, jit_compile=jit_compile)
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        _fail("The model is not compiled: call `model.compile(optimizer=..., loss=..., "
              "metrics=[...])` on the model you are given.")
    return model.get_compile_config()


def _config(entry) -> dict:
    return entry.get("config", {}) if isinstance(entry, dict) else {}


@_exercise(reference=compile_unet, reference_name="uh.compile_model")
def check_compile_unet(compile_unet) -> None:
    """Adam on a cosine schedule (or a constant rate), cross-entropy + Dice, the four metrics."""
    config = _compiled(compile_unet, 0.004, 37, jit_compile=False)
    optimizer = config.get("optimizer")
    name = optimizer.get("class_name") if isinstance(optimizer, dict) else optimizer
    if name != "Adam":
        _fail(f"The optimizer is {name!r}; use `keras.optimizers.Adam(...)`, the optimizer "
              "this notebook trains with.")
    rate = _config(optimizer).get("learning_rate")
    if not isinstance(rate, dict):
        _fail(f"With decay_steps=37 the learning rate is the constant {rate!r}; it must follow "
              "a cosine: `keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps, "
              "alpha=0.01)` passed as Adam's learning rate.")
    schedule = _config(rate)
    if rate.get("class_name") != "CosineDecay":
        _fail(f"The schedule is {rate.get('class_name')}; use "
              "`keras.optimizers.schedules.CosineDecay`.")
    if not math.isclose(schedule.get("initial_learning_rate", 0), 0.004):
        _fail(f"Called with learning_rate=0.004, the cosine starts at "
              f"{schedule.get('initial_learning_rate')}: use the `learning_rate` argument.")
    if schedule.get("decay_steps") != 37:
        _fail(f"Called with decay_steps=37, the cosine runs over {schedule.get('decay_steps')} "
              "steps: use the `decay_steps` argument.")
    if not math.isclose(schedule.get("alpha", 0), 0.01):
        _fail(f"The cosine ends at alpha={schedule.get('alpha')} times its start; this notebook "
              "ends it at 1 %: `alpha=0.01` (CosineDecay's default, 0, ends at zero).")
    loss = config.get("loss")
    loss_name = loss.get("class_name") if isinstance(loss, dict) else loss
    if loss_name != "CrossEntropyDiceLoss":
        _fail(f"The loss is {loss_name!r}; section 3 chose cross-entropy + Dice: "
              "`uh.losses.CrossEntropyDiceLoss(from_logits=False)`.")
    if _config(loss).get("from_logits") or _config(loss).get("dice_weight", 1.0) != 1.0:
        _fail("The head ends in a sigmoid, so the loss receives probabilities: "
              "`from_logits=False`, and Dice counts fully (`dice_weight=1.0`, the default).")
    metrics = config.get("metrics") or []
    named = {_config(m).get("name", m if isinstance(m, str) else None): _config(m)
             for m in metrics}
    missing = [name for name in METRIC_NAMES if name not in named]
    if missing:
        _fail(f"Missing metric(s) {', '.join(missing)}: the checkpoint watches val_pet_iou and "
              "the learning curves plot the others. Give `metrics=` a list of four: "
              "`uh.metrics.SegmentationIoU(class_id=1, num_classes=2, name=\"pet_iou\")`, the "
              "same without class_id named \"mean_iou\", `uh.metrics.SegmentationDice(class_id=1,"
              " num_classes=2, name=\"pet_dice\")` and "
              "`keras.metrics.BinaryAccuracy(name=\"pixel_accuracy\")`.")
    pet = named["pet_iou"]
    if pet.get("class_id") != 1 or pet.get("from_logits") or pet.get("num_classes") != 2:
        _fail(f"pet_iou is set up as {pet}: the pet is class_id=1 of num_classes=2 (0 is the "
              "background), on probabilities (from_logits=False).")
    if named["pet_dice"].get("class_id") != 1:
        _fail("pet_dice must score the pet: class_id=1.")
    if config.get("jit_compile") is not False:
        _fail(f"Called with jit_compile=False, the model has jit_compile="
              f"{config.get('jit_compile')!r}: pass the argument on to `model.compile`.")
    constant = _compiled(compile_unet, 0.002, None, jit_compile=True)
    rate = _config(constant.get("optimizer")).get("learning_rate")
    if isinstance(rate, dict) or not math.isclose(float(rate), 0.002, rel_tol=1e-6):
        _fail(f"With decay_steps=None the rate must stay at learning_rate=0.002 (a time budget "
              f"sets it later); it is {rate!r}. Use the cosine only when decay_steps is given.")
    if constant.get("jit_compile") is not True:
        _fail("Called with jit_compile=True the model was not compiled with XLA: pass "
              "`jit_compile=jit_compile` to `model.compile`.")
    return _passed("Adam on a cosine to 1 %, cross-entropy + Dice on probabilities, four metrics",
                   "This is what `uh.compile_model` does.")


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
