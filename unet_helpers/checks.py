"""Checks for the notebooks' exercises: each says *what* is wrong and hints at *why*.

Every ``check_*`` function takes the learner's function, tries it on small
cases whose right answers are known, and either prints a confirmation, or
(outside grading, for an answer still left as the stub) says the exercise is
open and lets the notebook run on, or raises :class:`ExerciseFailed` (an ``AssertionError``, which is also what
nbgrader counts as a failed test) with a message that points at the likely
mistake. The tests in ``tests/test_exercises.py`` prove that each check
passes the solution, fails the empty stub, and catches planted mistakes.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os

import keras
import numpy as np
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


def _exercise(reference: str | None = None):
    """Make a check that lets a learner skip the exercise and still run the whole notebook.

    An answer that is still the stub fails while grading. Otherwise the check
    says that the exercise is open and, where later cells of the notebook use
    the function (``reference``, a name in ``unet_helpers.blocks``), puts the
    package's version under the learner's name, so "Run all" runs on.
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
                if reference and scope is not None:
                    from . import blocks

                    scope[name] = getattr(blocks, reference)
                    note = (f" Until then `{name}` is the package's `uh.{reference}`, so the "
                            "cells below still run.")
                print(f"Not answered yet: write `{name}` in the cell above, run it, then run "
                      f"this check again.{note}")
        return run
    return wrap


def _layer_kinds(model) -> list[str]:
    kinds = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "ReLU" or (kind == "Activation" and layer.get_config()["activation"] == "relu"):
            kind = "ReLU"
        if kind != "InputLayer":
            kinds.append(kind)
    return kinds


# --- notebook 01 ---------------------------------------------------------------------------

def _reference_conv_block_params(in_channels: int, filters: int) -> int:
    first = 9 * in_channels * filters + filters
    second = 9 * filters * filters + filters
    return first + second + 2 * 4 * filters


@_exercise(reference="conv_block")
def check_conv_block(my_conv_block) -> None:
    """Two 3x3 'same' convolutions, each followed by batch norm and ReLU."""
    no_bias = False
    for shape, filters in (((32, 32, 3), 8), ((17, 23, 6), 5)):  # odd sizes, odd filters
        no_bias = _check_one_conv_block(my_conv_block, shape, filters)
    return _passed("two Conv2D 3x3 'same' -> BatchNormalization -> ReLU",
                   "(Without biases: fine, batch norm's own shift does their job; the seed "
                   "keeps them, so its count is higher by one number per filter in each "
                   "convolution.)" if no_bias else "")


def _check_one_conv_block(my_conv_block, shape, filters) -> bool:
    inputs = keras.Input(shape)
    outputs = _call(my_conv_block, inputs, filters)
    name = my_conv_block.__name__
    size = f"{shape[0]} x {shape[1]}"
    if not isinstance(outputs, keras.KerasTensor):
        _fail(f"`{name}` returned {type(outputs).__name__}; return the output tensor of the "
              "last layer.")
    if tuple(outputs.shape[1:3]) != shape[:2]:
        _fail(f"A {size} input came out {outputs.shape[1]} x {outputs.shape[2]}: each 3 x 3 "
              "convolution needs padding='same' (and stride 1), or the skip connections will "
              "not fit later.")
    if outputs.shape[-1] != filters:
        _fail(f"The block returns {outputs.shape[-1]} channels when asked for {filters} "
              "filters: both Conv2D layers use the block's `num_filters`.")
    model = keras.Model(inputs, outputs)
    kinds = _layer_kinds(model)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    if len(convs) != 2:
        _fail(f"Found {len(convs)} Conv2D layers; a conv_block has two.")
    if any(conv.kernel_size != (3, 3) for conv in convs):
        _fail(f"Kernel sizes {[conv.kernel_size for conv in convs]}: both are 3 x 3.")
    if any(conv.strides != (1, 1) or conv.dilation_rate != (1, 1) for conv in convs):
        _fail("Use stride 1 and no dilation in both convolutions: the block keeps the size; "
              "only the pooling of the encoder halves it.")
    if "BatchNormalization" not in kinds:
        _fail("No BatchNormalization: each convolution is followed by batch norm, then ReLU.")
    if kinds != ["Conv2D", "BatchNormalization", "ReLU"] * 2:
        _fail(f"Layer order {kinds}; expected Conv2D -> BatchNormalization -> ReLU, twice "
              "(normalize before the non-linearity; no activation inside Conv2D).")
    inside = [conv.get_config()["activation"] for conv in convs if
              conv.get_config()["activation"] != "linear"]
    if inside:
        _fail(f"A Conv2D has activation={inside[0]!r} inside it, so batch norm would see "
              "values after the non-linearity. Leave the Conv2D without an activation; the "
              "ReLU comes after BatchNormalization.")
    expected = _reference_conv_block_params(shape[-1], filters)
    counted = model.count_params()
    no_bias = all(not conv.use_bias for conv in convs)
    if counted != expected - (2 * filters if no_bias else 0):
        _fail(f"{counted:,} parameters for a {size} x {shape[-1]} input and {filters} "
              f"filters; expected {expected:,}. Check each layer's settings against the "
              "description of the block.")
    return no_bias


@contextlib.contextmanager
def _with_reference(function, name: str, reference):
    """Run ``function`` with the package's ``name`` in place of the learner's own.

    So each exercise is graded alone: a right ``decoder_block`` passes even while
    the learner's ``conv_block`` (exercise 1.1) is still a stub or wrong.
    """
    scope = getattr(function, "__globals__", {})
    missing = object()
    saved = scope.get(name, missing)
    if saved is not missing:
        scope[name] = reference
    try:
        yield
    finally:
        if saved is not missing:
            scope[name] = saved


@_exercise(reference="decoder_block")
def check_decoder_block(my_decoder_block) -> None:
    """Upsample 2x with Conv2DTranspose, concatenate the skip, then a conv_block."""
    for below, skip, filters in (((8, 8, 32), (16, 16, 16), 16), ((5, 7, 12), (10, 14, 10), 6)):
        _check_one_decoder_block(my_decoder_block, below, skip, filters)
    return _passed("upsample x2, concatenate the skip, conv_block")


def _check_one_decoder_block(my_decoder_block, below, skip_shape, filters) -> None:
    from .blocks import conv_block

    inputs, skip = keras.Input(below), keras.Input(skip_shape)
    try:
        with _with_reference(my_decoder_block, "conv_block", conv_block):
            outputs = _call(my_decoder_block, inputs, skip, filters, _let=(ValueError,))
    except ValueError as error:
        first = str(error).splitlines()[0][:160]
        _fail(f"Keras could not join the upsampled tensor and the skip ({first}). The transposed "
              "convolution must double height and width: kernel_size=2, strides=2, "
              "padding='same'.")
    if not isinstance(outputs, keras.KerasTensor):
        _fail(f"`{my_decoder_block.__name__}` returned {type(outputs).__name__}; return the "
              "output tensor of its last conv_block.")
    right = (*skip_shape[:2], filters)
    if tuple(outputs.shape[1:]) != right:
        _fail(f"From {below} below and a {skip_shape} skip with {filters} filters, the output "
              f"is {tuple(outputs.shape[1:])}; expected {right}: twice the input size, and the "
              "block's `num_filters` as channels.")
    model = keras.Model([inputs, skip], outputs)
    kinds = _layer_kinds(model)
    if "Add" in kinds:
        _fail("The skip is added to the upsampled tensor. The U-Net *concatenates* it "
              "(layers.Concatenate), so the decoder sees both sets of channels side by side.")
    if "Concatenate" not in kinds:
        _fail("The skip connection is missing: concatenate `skip` with the upsampled tensor "
              "before the conv_block.")
    ups = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2DTranspose)]
    if not ups:
        _fail("Upsample with a learned Conv2DTranspose (kernel 2, strides 2), as in the U-Net "
              "paper, not with UpSampling2D.")
    if ups[0].filters != filters:
        _fail(f"The Conv2DTranspose has {ups[0].filters} filters when the block is asked for "
              f"{filters}; give it the block's `num_filters`, like the conv_block after it.")
    if ups[0].kernel_size != (2, 2) or ups[0].strides != (2, 2):
        _fail(f"The Conv2DTranspose has kernel {ups[0].kernel_size} and strides "
              f"{ups[0].strides}; the U-Net uses kernel 2 and strides 2: each input pixel "
              "paints its own 2 x 2 block.")
    joined = filters + skip_shape[-1]
    expected = (2 * 2 * below[-1] * filters + filters) + _reference_conv_block_params(joined,
                                                                                     filters)
    if model.count_params() != expected:
        _fail(f"{model.count_params():,} parameters; expected {expected:,}: check the conv_block "
              "after the concatenation.")


@_exercise()
def check_conv_block_params(conv_block_params) -> None:
    """The parameter count of a conv_block, by formula."""
    for in_channels, filters in ((3, 64), (64, 128), (1, 8)):
        answer = _call(conv_block_params, in_channels, filters)
        right = _reference_conv_block_params(in_channels, filters)
        if answer == right:
            continue
        gap = right - answer if isinstance(answer, (int, np.integer)) else None
        hint = "Count, for each layer: kernels (3 x 3 x inputs x filters), biases, BN numbers."
        if gap == 2 * filters:
            hint = "You left out the biases: each Conv2D has one per filter."
        elif gap == 8 * filters:
            hint = ("You left out batch norm: 4 numbers per channel (gamma, beta, moving mean "
                    "and moving variance), in each of the two BN layers.")
        elif gap == 4 * filters:
            hint = ("Batch norm has 4 numbers per channel, not 2: gamma and beta are trained, "
                    "the moving mean and variance are not, but all four are parameters.")
        elif gap == 9 * filters * (filters - in_channels):
            hint = ("The second convolution sees `filters` channels (the first one's output), "
                    "not `in_channels`.")
        _fail(f"conv_block_params({in_channels}, {filters}) gave {answer!r}; Keras counts "
              f"{right:,}. {hint}")
    return _passed("the formula matches Keras's count")


# --- notebook 02 ---------------------------------------------------------------------------

@_exercise()
def check_padded_size(padded_size) -> None:
    """The smallest size >= ``size`` that 2**depth divides."""
    for size, depth, right in ((512, 4, 512), (500, 4, 512), (101, 3, 104), (1, 4, 16),
                               (17, 4, 32), (96, 4, 96)):
        answer = _call(padded_size, size, depth)
        if answer == right:
            continue
        if isinstance(answer, (int, np.integer)) and answer < size:
            hint = "It is smaller than the image: round up; padding adds pixels, it never crops."
        elif isinstance(answer, (int, np.integer)) and answer % 2**depth:
            hint = (f"{answer} is not a multiple of 2**depth = {2**depth}: every pooling "
                    "halves the size, depth times.")
        elif isinstance(answer, (int, np.integer)) and size % 2**depth == 0:
            hint = f"{size} already divides by {2**depth}: it needs no padding at all."
        else:
            hint = "Round size / 2**depth up to a whole number, then multiply back."
        _fail(f"padded_size({size}, {depth}) gave {answer!r}, expected {right}. {hint}")
    return _passed("the smallest multiple of 2**depth that holds the image")


@_exercise()
def check_skip_shapes(skip_shapes) -> None:
    """The (height, width, channels) of each encoder's skip tensor."""
    for size, filters, depth in ((64, 8, 3), (96, 16, 4), (40, 4, 2)):
        _check_skip_shapes_for(skip_shapes, size, filters, depth)
    return _passed("full size first, halving the size and doubling the channels")


def _check_skip_shapes_for(skip_shapes, size, filters, depth) -> None:
    answer = _call(skip_shapes, size, filters, depth)
    right = [(size // 2**level, size // 2**level, filters * 2**level) for level in range(depth)]
    call = f"skip_shapes({size}, {filters}, {depth})"
    if answer is None:
        _fail(f"{call} returned None: return a list of (height, width, channels) tuples.")
    answer = [tuple(int(v) for v in shape) for shape in answer]
    if answer == right:
        return
    if len(answer) != len(right):
        _fail(f"{call} gave {len(answer)} shapes for depth {depth}; there is one skip per "
              f"encoder, so {depth}.")
    if answer[0][:2] == (size // 2, size // 2):
        _fail(f"The first skip is {size // 2} x {size // 2} for a {size} x {size} input: the "
              "skip is taken *before* pooling, at the encoder's full size.")
    if [shape[2] for shape in answer] == [filters] * depth:
        _fail(f"Every skip has {filters} channels: each encoder doubles the filters of the one "
              "before.")
    _fail(f"{call} gave {answer}; expected {right}.")


# --- notebook 03 ---------------------------------------------------------------------------

def _example_trimap() -> np.ndarray:
    rows, cols = np.mgrid[:37, :53]
    trimap = np.full((37, 53), 2, np.uint8)
    distance = np.hypot(rows - 18, cols - 26)
    trimap[distance < 14] = 3
    trimap[distance < 12] = 1
    return trimap[..., None]


@_exercise()
def check_resize_mask(resize_mask) -> None:
    """Resize a trimap to ``size`` x ``size`` without inventing values."""
    trimap = _example_trimap()
    for size in (24, 80):  # smaller and larger than the 37 x 53 trimap
        answer = np.asarray(_call(resize_mask, tf.constant(trimap), size))
        if answer.shape != (size, size, 1):
            _fail(f"Asked for size {size}, the shape is {answer.shape}; expected "
                  f"({size}, {size}, 1): a size x size mask, channel kept.")
        invented = sorted(set(np.unique(answer).tolist()) - {1, 2, 3})
        if invented:
            _fail(f"The mask now holds {len(invented)} values that are no class, such as "
                  f"{invented[0]!r}. Bilinear (the default) averages labels; resize masks with "
                  "method='nearest'.")
        right = tf.image.resize(trimap, (size, size), method="nearest").numpy()
        if not np.array_equal(answer, right):
            _fail("Values are labels, but not at the right places: use tf.image.resize with "
                  "method='nearest' on the whole mask.")
    inside = np.asarray(_in_tf_data(_named(resize_mask, 24), tf.constant(trimap)))
    if not np.array_equal(inside, tf.image.resize(trimap, (24, 24), method="nearest").numpy()):
        _fail("Inside tf.data the mask comes out differently than outside: use TensorFlow "
              "operations only.")
    return _passed("nearest-neighbour resizing keeps every value a label, also inside tf.data")


def _named(function, *extra):
    """``function`` with ``extra`` arguments after the tensors, keeping its name for messages."""
    def call(*tensors):
        return function(*tensors, *extra)
    call.__name__ = getattr(function, "__name__", "your function")
    return call


@_exercise()
def check_to_binary(to_binary) -> None:
    """Trimap 1 pet / 2 background / 3 border to 1 pet-or-border / 0 background."""
    trimap = np.array([[1, 2, 3], [3, 2, 1]], np.uint8)
    right = np.array([[1, 0, 1], [1, 0, 1]])
    for dtype in (tf.uint8,):  # the dtype of the trimaps that tfds and the pipeline give
        answer = np.asarray(_call(to_binary, tf.constant(trimap, dtype)))
        if answer.shape == right.shape and np.array_equal(answer, right):
            continue
        if answer.shape == right.shape and np.array_equal(answer, trimap - 1):
            _fail("That shifts the trimap to 0, 1, 2: pet would be 0 and background 1. Binary "
                  "masks are 1 where the trimap is 1 (pet) or 3 (border), 0 where it is 2.")
        if answer.shape == right.shape and np.array_equal(answer, trimap == 1):
            _fail("The border (3) came out as background. It belongs to the pet's outline: "
                  "count it as pet, so the mask is 0 only where the trimap says 2.")
        _fail(f"For the trimap {trimap.tolist()} ({dtype.name}) you gave {answer.tolist()}; "
              f"expected {right.tolist()}.")
    inside = np.asarray(_in_tf_data(to_binary, tf.constant(trimap)))
    if not np.array_equal(inside, right):
        _fail("Inside tf.data the mask comes out differently than outside: use TensorFlow "
              "operations only.")
    return _passed("pet and border are 1, background 0, also inside tf.data")


@_exercise()
def check_flip_pair(flip_pair) -> None:
    """A random horizontal flip that flips image and mask together."""
    image = tf.reshape(tf.range(2 * 5 * 3, dtype=tf.float32), (2, 5, 3)) / 30.0
    mask = tf.cast(tf.reshape(tf.range(10), (2, 5, 1)), tf.uint8)
    flips = 0
    for number in range(16):
        new_image, new_mask = _call(flip_pair, image, mask, tf.constant([number, 7]))
        new_image, new_mask = np.asarray(new_image), np.asarray(new_mask)
        image_flipped = np.allclose(new_image, image.numpy()[:, ::-1])
        mask_flipped = np.array_equal(new_mask, mask.numpy()[:, ::-1])
        if image_flipped != mask_flipped:
            _fail(f"With seed [{number}, 7] the {'image' if image_flipped else 'mask'} was "
                  "flipped and the other was not: they must share one random decision (use "
                  "the same seed for both, or flip them stacked together).")
        if not image_flipped and not np.allclose(new_image, image.numpy()):
            _fail("The image changed in some other way than a left-right flip.")
        flips += image_flipped
    if flips in (0, 16):
        _fail(f"{'Every' if flips else 'No'} call flipped: the flip should happen at random, "
              "about half of the time, depending on the seed.")
    for number in range(4):
        seed = tf.constant([number, 7])
        first, again = (np.asarray(_call(flip_pair, image, mask, seed)[0]) for _ in range(2))
        if not np.array_equal(first, again):
            _fail(f"The same seed [{number}, 7] flipped once and not the other time: the "
                  "decision must come from the seed (tf.image.stateless_random_flip_left_right "
                  "or tf.random.stateless_uniform), so a run can be repeated exactly.")
    dataset = tf.data.Dataset.range(16).map(
        lambda n: (image, mask, tf.stack([tf.cast(n, tf.int32), 7])))
    try:
        flipped = [np.allclose(np.asarray(new_image), image.numpy()[:, ::-1])
                   for new_image, _ in dataset.map(flip_pair)]
    except Exception as error:  # noqa: BLE001
        raise ExerciseFailed(
            f"`{flip_pair.__name__}` fails inside tf.data.Dataset.map, where the pipeline "
            f"calls it ({type(error).__name__}: {_first_line(error)}). Use TensorFlow "
            "operations only.") from error
    if sum(flipped) in (0, 16):
        _fail(f"Inside tf.data {'every' if sum(flipped) else 'no'} example was flipped: a "
              "number drawn with Python's `random` or with NumPy is drawn once, when "
              "TensorFlow traces the function, so the decision is frozen. Let TensorFlow "
              "draw it per example, from the seed.")
    return _passed("image and mask flip together, about half of the time, from the seed, "
                   "also inside tf.data")


# --- notebook 04 ---------------------------------------------------------------------------

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


# --- notebook 05 ---------------------------------------------------------------------------

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


# --- notebook 06 ---------------------------------------------------------------------------

@_exercise()
def check_network_input(network_input) -> None:
    """The (height, width) a photo has when it reaches the network, for each ``scale_to``."""
    cases = [((375, 500), 96, 4, "auto", (96, 96)), ((500, 375), 128, 4, "auto", (128, 128)),
             ((375, 500), 96, 4, None, (384, 512)), ((101, 77), 64, 3, None, (104, 80)),
             ((375, 500), 96, 4, 100, (112, 112)), ((64, 64), 64, 4, 64, (64, 64))]
    for photo, train, depth, scale_to, right in cases:
        call = f"network_input({photo}, {train}, {depth}, scale_to={scale_to!r})"
        answer = _call(network_input, photo, train, depth, scale_to=scale_to)
        answer = tuple(int(v) for v in answer)
        if answer == right:
            continue
        if scale_to == "auto" and max(answer) == train and answer != right:
            _fail(f"{call} gave {answer}: that keeps the photo's aspect ratio. Training "
                  "squashed every photo to the full square, so prediction does the same: "
                  f"{right}.")
        if answer == tuple(photo) or (scale_to not in ("auto", None) and answer == (scale_to,
                                                                                    scale_to)):
            _fail(f"{call} gave {answer}: the sides must divide by 2**depth = {2**depth}, so "
                  f"the photo is padded up to {right} first (mirrored at its edges).")
        _fail(f"{call} gave {answer}; expected {right}.")
    return _passed("the square of training for 'auto', padded to a multiple of 2**depth "
                   "otherwise")


def _position_scores(photo: np.ndarray) -> np.ndarray:
    """A stand-in network that is not mirror-symmetric: brighter pixels on the right count more."""
    photo = np.asarray(photo, dtype=np.float32)  # a tensor from tf.reverse works too
    ramp = np.linspace(0.0, 1.0, photo.shape[1], dtype=np.float32)[None, :, None]
    return photo[..., :1] * ramp


@_exercise()
def check_flip_average(flip_average) -> None:
    """Test-time flipping: average the scores of the photo and of its mirror image."""
    rng = np.random.default_rng(3)
    for shape in ((6, 9, 3), (5, 4, 3)):
        photo = rng.random(shape).astype(np.float32)
        mirrored = _position_scores(photo[:, ::-1])
        right = (_position_scores(photo) + mirrored[:, ::-1]) / 2
        answer = _call(flip_average, _position_scores, photo)
        answer = np.asarray(answer, dtype=np.float32)
        if answer.shape != right.shape:
            _fail(f"For a {shape[0]} x {shape[1]} photo you returned shape {answer.shape}; "
                  f"expected {right.shape}, the shape `predict` returns.")
        if np.allclose(answer, (_position_scores(photo) + mirrored) / 2):
            _fail("The mirror image's scores are averaged as they come out, still mirrored: "
                  "flip them back (scores[:, ::-1]) before averaging, so each pixel meets its "
                  "own score.")
        vertical = _position_scores(photo[::-1])[::-1]
        if np.allclose(answer, (_position_scores(photo) + vertical) / 2):
            _fail("That flips upside down (the first axis). A left-right mirror reverses the "
                  "columns: photo[:, ::-1].")
        if set(np.unique(answer).tolist()) <= {0.0, 0.5, 1.0}:
            _fail("Average the scores (probabilities), not labels: thresholding comes after.")
        if not np.allclose(answer, right, atol=1e-6):
            _fail("Not the average of predict(photo) and the flipped-back prediction of the "
                  "mirrored photo.")
    return _passed("scores of the photo and of its mirror image, flipped back, averaged")


# --- notebook 07 ---------------------------------------------------------------------------

@_exercise()
def check_scaled_gflops(scaled_gflops) -> None:
    """Convolution work scales with width squared and image side squared."""
    cases = [(1.0, 2, 1, 4.0), (1.0, 1, 2, 4.0), (0.5, 2, 2, 8.0), (3.0, 0.5, 1, 0.75),
             (2.0, 1, 0.5, 0.5), (1.2, 1, 1, 1.2)]
    for gflops, width, side, right in cases:
        call = f"scaled_gflops({gflops}, width_factor={width}, size_factor={side})"
        answer = float(_call(scaled_gflops, gflops, width_factor=width, size_factor=side))
        if math.isclose(answer, right, rel_tol=1e-6):
            continue
        if math.isclose(answer, gflops * width * side**2, rel_tol=1e-6) and width != 1:
            _fail(f"{call} gave {answer:g}: linear in the width. Each convolution multiplies "
                  "its input channels by its output channels, and both grow with the width: "
                  "twice the width, four times the work.")
        if math.isclose(answer, gflops * width**2 * side, rel_tol=1e-6) and side != 1:
            _fail(f"{call} gave {answer:g}: linear in the side. A convolution works at every "
                  "pixel, and a side twice as long has four times the pixels.")
        _fail(f"{call} gave {answer:g}; expected {right:g}.")
    return _passed("width squared times side squared")


def _photo_overlaps(rng, count, base, gain):
    """Pixel counts (intersection, union) of ``count`` photos of very different sizes."""
    unions = rng.integers(200, 20000, size=count)
    quality = np.clip(rng.normal(base, 0.12, size=count), 0.05, 0.98)
    spread = (unions - unions.mean()) / unions.std()  # large photos gain more than small ones
    better = np.clip(quality + gain + 0.04 * spread + rng.normal(0, 0.03, size=count), 0.0, 1.0)
    return (np.stack([np.round(unions * better), unions], -1).astype(np.int64),
            np.stack([np.round(unions * quality), unions], -1).astype(np.int64))


@_exercise()
def check_paired_interval(paired_interval) -> None:
    """The paired bootstrap interval of pooled IoU(a) - IoU(b)."""
    from .evaluation import bootstrap_difference

    rng = np.random.default_rng(11)
    for count, gain in ((300, 0.02), (200, 0.0)):
        a, b = _photo_overlaps(rng, count, 0.7, gain)
        answer = _call(paired_interval, a.copy(), b.copy())
        try:
            low, high = (float(v) for v in answer)
        except (TypeError, ValueError):
            _fail(f"paired_interval returned {answer!r}; return two numbers, (low, high).")
        right_low, right_high = bootstrap_difference(a, b)
        pooled = a[:, 0].sum() / a[:, 1].sum() - b[:, 0].sum() / b[:, 1].sum()
        per_photo = (a[:, 0] / a[:, 1]).mean() - (b[:, 0] / b[:, 1]).mean()
        if low > high:
            _fail(f"low {low:.4f} is above high {high:.4f}: return (low, high).")
        if math.isclose((low + high) / 2, -(right_low + right_high) / 2, abs_tol=0.004) \
                and abs(pooled) > 0.01:
            _fail("The interval is of IoU(b) - IoU(a): subtract b from a, so that a better "
                  "`a` gives a positive difference.")
        width, right_width = high - low, right_high - right_low
        if width > 1.6 * right_width:
            _fail(f"The interval is {width:.4f} wide where pairing gives about "
                  f"{right_width:.4f}: each draw must take the *same* photos for a and b "
                  "(draw the indices once, use them for both).")
        if width < 0.9 * right_width:
            _fail(f"The interval is {width:.4f} wide, narrower than a 95 % interval (about "
                  f"{right_width:.4f}): keep the middle 95 % of the differences, between "
                  "the 2.5th and the 97.5th percentile.")
        if abs((low + high) / 2 - per_photo) < abs((low + high) / 2 - pooled) \
                and abs(per_photo - pooled) > 0.004:
            _fail("The interval is centred on the mean of per-photo IoUs. The split's IoU "
                  "pools pixels: all intersections over all unions of a draw, for a and for b.")
        if abs(low - right_low) > 0.006 or abs(high - right_high) > 0.006:
            _fail(f"Gave ({low:.4f}, {high:.4f}); a paired bootstrap of pooled IoU gives about "
                  f"({right_low:.4f}, {right_high:.4f}).")
    return _passed("the same photos for both in each draw, pooled IoU, the middle 95 %")
