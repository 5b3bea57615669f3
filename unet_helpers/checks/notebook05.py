"""Checks of notebook 05 (training faster and larger): the cosine over a budget, the weights."""

from __future__ import annotations

import math

import numpy as np

from ..training import balanced_weights
from .core import _call, _exercise, _fail, _passed


def _rate(cosine_rate, fraction, peak, **floor) -> float:
    value = _call(cosine_rate, fraction, peak, **floor)
    if value is None or np.ndim(value) != 0:
        _fail(f"cosine_rate({fraction}, {peak}) returned {value!r}; return one number, the "
              "learning rate.")
    return float(value)


def _right(fraction, peak, floor=0.01) -> float:
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, fraction)))
    return peak * (floor + (1 - floor) * cosine)


@_exercise()
def check_cosine_rate(cosine_rate) -> None:
    """A half cosine from peak to floor * peak over fractions 0 to 1, flat after the end."""
    peak = 0.003  # not 1: a floor taken as a rate, not a share of the peak, shows
    start = _rate(cosine_rate, 0.0, peak)
    if not math.isclose(start, peak, rel_tol=1e-6):
        _fail(f"At the start (fraction 0) the rate is {start:g}; it must be the peak, {peak:g}.")
    end = _rate(cosine_rate, 1.0, peak)
    if end < 0:
        _fail(f"At the end the rate is negative ({end:g}): cos(pi * fraction) runs from 1 to -1; "
              "half a cosine from 1 to 0 is 0.5 * (1 + cos(pi * fraction)).")
    if math.isclose(end, 0.0, abs_tol=1e-12):
        _fail("At the end the rate is 0: the cosine must end at `floor * peak`, not at zero; "
              "a rate of zero wastes the last steps.")
    if math.isclose(end, 0.01, rel_tol=1e-6):
        _fail(f"At the end the rate is {end:g}, the floor itself; `floor` is a share of the peak: "
              "the cosine ends at floor * peak.")
    if not math.isclose(end, _right(1.0, peak), rel_tol=1e-6):
        _fail(f"At the end (fraction 1) the rate is {end:g}; expected floor * peak = "
              f"{_right(1.0, peak):g}.")
    quarter = _rate(cosine_rate, 0.25, peak)
    straight = peak * (0.01 + 0.99 * 0.75)
    if math.isclose(quarter, straight, rel_tol=1e-6):
        _fail("A quarter of the way the rate has fallen in a straight line; use the cosine: "
              "0.5 * (1 + cos(pi * fraction)) between 1 and 0.")
    for fraction in (0.25, 0.5, 0.8):
        value = _rate(cosine_rate, fraction, peak)
        if not math.isclose(value, _right(fraction, peak), rel_tol=1e-6):
            _fail(f"cosine_rate({fraction}, {peak}) = {value:g}; expected "
                  f"{_right(fraction, peak):g} (half a cosine from 1 to 0, mapped to peak ... "
                  "floor * peak: peak * (floor + (1 - floor) * cosine)).")
    after = _rate(cosine_rate, 1.5, peak)
    if not math.isclose(after, _right(1.0, peak), rel_tol=1e-6):
        _fail(f"After the end (fraction 1.5) the rate is {after:g}; a run that goes on past its "
              f"budget stays at floor * peak ({_right(1.0, peak):g}): use min(1, fraction).")
    higher = _rate(cosine_rate, 1.0, peak, floor=0.1)
    if not math.isclose(higher, _right(1.0, peak, floor=0.1), rel_tol=1e-6):
        _fail(f"With floor=0.1 the rate ends at {higher:g}; expected 0.1 * peak = "
              f"{_right(1.0, peak, 0.1):g}: use the `floor` argument, not a fixed 0.01.")
    return _passed("a half cosine from the peak to floor * peak, flat after the budget",
                   "`uh.training.TimeBudget.rate` is the same curve.")


def _weights(balanced_weights_answer, counts) -> np.ndarray:
    value = _call(balanced_weights_answer, counts)
    try:
        value = np.asarray(value, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        _fail(f"balanced_weights({counts}) returned {value!r}; return one number per class "
              "(a list or an array).")
    if value.shape != (len(counts),):
        _fail(f"balanced_weights({counts}) returned {value.size} number(s) for {len(counts)} "
              "classes; return one weight per class.")
    return value


@_exercise()
def check_balanced_weights(balanced_weights_answer) -> None:
    """Weights inversely proportional to the pixel shares, mean 1; an empty class stays finite."""
    counts = [900, 100]
    weights = _weights(balanced_weights_answer, counts)
    right = balanced_weights(counts)
    if np.allclose(weights, [1.8, 0.2]) or (weights[0] > weights[1] and weights[1] > 0):
        _fail(f"For {counts} you gave {np.round(weights, 3).tolist()}: the common class weighs "
              "more. The weights must be *inversely* proportional to the pixel counts.")
    if np.isclose(weights.sum(), 1.0) and not np.isclose(weights.mean(), 1.0):
        _fail(f"Your weights {np.round(weights, 3).tolist()} sum to 1; scale them to mean 1 "
              "instead, so that the loss keeps its size.")
    if not np.isclose(weights.mean(), 1.0):
        _fail(f"Your weights {np.round(weights, 3).tolist()} have mean {weights.mean():.3f}; "
              "divide them by their mean, so that they average 1.")
    if not np.allclose(weights, right):
        _fail(f"For {counts} you gave {np.round(weights, 3).tolist()}; expected "
              f"{np.round(right, 3).tolist()} (total / count for each class, then divided by "
              "the mean).")
    three = [600, 300, 100]
    weights = _weights(balanced_weights_answer, three)
    if not np.allclose(weights, balanced_weights(three)):
        _fail(f"For three classes {three} you gave {np.round(weights, 3).tolist()}; expected "
              f"{np.round(balanced_weights(three), 3).tolist()}. Write it for any number of "
              "classes, as the trimap has three.")
    empty = [50, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = _weights(balanced_weights_answer, empty)
    if not np.all(np.isfinite(weights)):
        _fail(f"A class with no pixels ({empty}) gives {weights.tolist()}: count it as one "
              "pixel (np.maximum(counts, 1)), so that no weight is infinite.")
    if not np.allclose(weights, balanced_weights(empty)):
        _fail(f"For {empty} you gave {np.round(weights, 3).tolist()}; expected "
              f"{np.round(balanced_weights(empty), 3).tolist()}: count the empty class as one "
              "pixel before dividing.")
    return _passed("inverse pixel shares with mean 1, finite for an empty class",
                   "`uh.training.balanced_class_weights` computes these from a dataset.")


PET, BACKGROUND, BORDER = 0, 1, 2  # the trimap's channels, as the 3-class head gives them


def _outline_cases() -> np.ndarray:
    """(2, 2, 4, 3) softmax outputs: two images of 2 x 4 pixels, each a case a wrong rule misses."""
    pixels = np.array([
        [0.80, 0.10, 0.10],  # clearly pet
        [0.10, 0.80, 0.10],  # clearly background
        [0.10, 0.10, 0.80],  # clearly border: part of the outline
        [0.30, 0.40, 0.30],  # background the likeliest class, pet or border together more
        [0.45, 0.10, 0.45],  # neither pet nor border above a half, together far above
        [0.25, 0.50, 0.25],  # a tie: exactly a half, not more, is not outline
        [0.05, 0.35, 0.60],  # border the likeliest class
        [0.60, 0.35, 0.05],  # pet the likeliest class
        [0.20, 0.70, 0.10],  # background
        [0.40, 0.55, 0.05],  # background, though pet is far above the border
        [0.05, 0.55, 0.40],  # background, though the border is far above the pet
        [0.34, 0.33, 0.33],  # pet the likeliest class, and pet + border two thirds
        [0.90, 0.05, 0.05],  # pet
        [0.05, 0.90, 0.05],  # background
        [0.20, 0.30, 0.50],  # border
        [0.30, 0.45, 0.25],  # background the likeliest, pet or border together more
    ])
    return pixels.reshape(2, 2, 4, 3)


@_exercise()
def check_pet_outline(pet_outline) -> None:
    """1 where p(pet) + p(border) > 0.5, any leading shape; cases where wrong rules differ."""
    scores = _outline_cases()
    right = (scores[..., PET] + scores[..., BORDER] > 0.5).astype(np.uint8)
    value = _call(pet_outline, scores.copy())
    try:
        mask = np.asarray(value)
    except (TypeError, ValueError):
        mask = None
    if mask is None or mask.dtype == object:
        _fail(f"pet_outline returned {value!r}; return an array of 0 and 1, one per pixel.")
    if mask.shape == right.shape + (1,):
        _fail(f"Your mask has shape {mask.shape}: drop the channel axis, one number per pixel "
              f"({right.shape} for scores of shape {scores.shape}).")
    if mask.shape != right.shape:
        _fail(f"For scores of shape {scores.shape} (two images of 2 x 4 pixels, 3 channels) your "
              f"mask has shape {mask.shape}; expected {right.shape}. Index the channel with "
              "[..., k], which works for one image and for a batch.")
    values = set(np.unique(mask).tolist())
    if not values <= {0, 1}:
        _fail(f"Your mask holds {sorted(values)}; it must hold 0 (background) and 1 (pet or "
              "border) only.")
    mask = mask.astype(np.uint8)
    if np.array_equal(mask, right):
        return _passed("pet or border where together they outweigh the background",
                       "the 3-class model's outline, scored like the binary model's mask")
    pet, border = scores[..., PET], scores[..., BORDER]
    wrong = (  # (what the mask is, the rule that made it, the hint)
        ("pet alone (the border left out)", pet > 0.5,
         "The border (channel 2) is part of the outline: add p(border) to p(pet)."),
        ("the argmax, pet only", scores.argmax(-1) == PET,
         "The argmax of pet leaves the border out and picks one class where the outline is "
         "two: add p(pet) and p(border)."),
        ("the argmax, pet or border", scores.argmax(-1) != BACKGROUND,
         "The argmax calls [0.30, 0.40, 0.30] background, though pet or border together "
         "(0.60) are likelier: add the two probabilities."),
        ("channel 0 taken for the background", 1 - scores[..., 0] > 0.5,
         "Channel 0 is the pet; the background is channel 1 (pet 0, background 1, border 2)."),
        ("pet and background added", pet + scores[..., BACKGROUND] > 0.5,
         "The channels are pet 0, background 1, border 2: add channels 0 and 2."),
        ("at least a half (>= instead of >)", pet + border >= 0.5,
         "Where pet or border is exactly 0.5, the background is just as likely: use > 0.5, "
         "not >= 0.5."),
    )
    for name, rule, hint in wrong:
        if np.array_equal(mask, rule.astype(np.uint8)):
            _fail(f"Your mask is {name}. {hint}")
    where = np.argwhere(mask != right)[0]
    _fail(f"Wrong at pixel {tuple(where.tolist())}, scores {scores[tuple(where)].tolist()}: "
          f"you gave {mask[tuple(where)]}, expected {right[tuple(where)]} (pet or border where "
          "p(pet) + p(border) > 0.5).")
