"""Checks of notebook 03 (pet data): mask resizing, binary masks, a paired random flip."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from .core import ExerciseFailed, _call, _exercise, _fail, _first_line, _in_tf_data, _passed


def _example_trimap() -> np.ndarray:
    rows, cols = np.mgrid[:37, :53]
    trimap = np.full((37, 53), 2, np.uint8)
    distance = np.hypot(rows - 18, cols - 26)
    trimap[distance < 14] = 3
    trimap[distance < 12] = 1
    return trimap[..., None]


@_exercise()
def check_resize_mask(resize_mask) -> None:
    """Nearest-neighbour resizing by hand: TensorFlow's pixels, the mask's dtype, no new values."""
    trimap = _example_trimap()  # 37 x 53: not square, so rows and columns cannot be swapped
    for size in (24, 80, 5):  # smaller, larger, and much smaller than the trimap
        value = _call(resize_mask, trimap.copy(), size)
        answer = np.asarray(value)
        if answer.shape != (size, size, 1):
            _fail(f"Asked for size {size}, the shape is {answer.shape}; expected "
                  f"({size}, {size}, 1): a size x size mask, channel kept.")
        invented = sorted(set(np.unique(answer).tolist()) - {1, 2, 3})
        if invented:
            _fail(f"The mask now holds {len(invented)} values that are no class, such as "
                  f"{invented[0]!r}: pick input pixels, do not average or blend them.")
        right = tf.image.resize(trimap, (size, size), method="nearest").numpy()
        if not np.array_equal(answer, right):
            shifted = np.floor(np.arange(size) * 37 / size).astype(int)
            columns = np.floor(np.arange(size) * 53 / size).astype(int)
            if np.array_equal(answer, trimap[shifted][:, columns]):
                _fail(f"For size {size} your labels sit half a pixel off: (i * H / size) is the "
                      "output pixel's corner. Use its centre, (i + 0.5) * H / size, then "
                      "floor.")
            wrong = np.argwhere(answer[..., 0] != right[..., 0])[0]
            _fail(f"For size {size}, output pixel {tuple(wrong.tolist())} holds "
                  f"{answer[tuple(wrong)][0]}, TensorFlow's nearest-neighbour "
                  f"{right[tuple(wrong)][0]}. Row i takes input row floor((i + 0.5) * H / size) "
                  "and column j input column floor((j + 0.5) * W / size), with H and W of the "
                  "input mask.")
        if answer.dtype != trimap.dtype:
            _fail(f"The labels are right but stored as {answer.dtype}; keep the mask's dtype "
                  f"({trimap.dtype}): index the mask itself rather than filling a new array of "
                  "another type.")
    return _passed("nearest-neighbour by hand: the same pixels as tf.image.resize",
                   "every value stays a label, at any size")


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
