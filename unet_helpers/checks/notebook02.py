"""Checks of notebook 02 (assembling the U-Net): padded sizes and the skips' shapes."""

from __future__ import annotations

import numpy as np

from .core import _call, _exercise, _fail, _passed


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
