"""Checks of notebook 02 (assembling the U-Net): the two loops, padded sizes, the skips' shapes."""

from __future__ import annotations

import keras
import numpy as np

from ..model import build_unet
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


def _layers_of(model) -> list[tuple[str, tuple, int]]:
    """(kind, output shape without the batch, filters or channels) of every layer."""
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape[1:])
        rows.append((type(layer).__name__, shape, getattr(layer, "filters", None)))
    return rows


def _network(build_unet_loop, shape, base_filters, depth):
    keras.backend.clear_session(free_memory=False)
    try:
        model = _call(build_unet_loop, shape, base_filters=base_filters, depth=depth,
                      _let=(ValueError,))
    except ValueError as error:
        if "Concatenate" in str(error) or "matching shapes" in str(error):
            _fail(f"For input {shape}, base_filters={base_filters}, depth={depth} a decoder "
                  "could not concatenate its skip: the shapes do not meet. Each decoder takes "
                  "the skip of its own level, the deepest first: walk the skips in reverse "
                  "(reversed(range(depth)) or skips[::-1]).")
        raise
    if not isinstance(model, keras.Model):
        _fail(f"build_unet_loop returned {type(model).__name__}; return the keras.Model "
              "from your inputs to your outputs.")
    return model


@_exercise()
def check_unet_loops(build_unet_loop) -> None:
    """The loops build uh.build_unet's layers, layer by layer, for other depths and widths."""
    for shape, base_filters, depth in (((64, 64, 3), 8, 3), ((32, 48, 1), 4, 2),
                                       ((32, 32, 3), 2, 4)):
        about = f"input {shape}, base_filters={base_filters}, depth={depth}"
        model = _network(build_unet_loop, shape, base_filters, depth)
        right = build_unet(shape, base_filters=base_filters, depth=depth)
        mine, theirs = _layers_of(model), _layers_of(right)
        pools = sum(kind == "MaxPooling2D" for kind, _, _ in mine)
        if pools != depth:
            _fail(f"For {about} your network pools {pools} time(s); it must pool `depth` "
                  f"times, once per encoder: loop over range(depth), not a fixed number.")
        first = next((filters for kind, _, filters in mine if kind == "Conv2D"), None)
        if first != base_filters:
            _fail(f"For {about} your first convolution has {first} filters; it must have "
                  "`base_filters`: use the argument, not a number of your own.")
        head = model.layers[-1]
        if model.output.shape[-1] != 1 or getattr(head, "activation", None) is not \
                keras.activations.sigmoid:
            _fail(f"For {about} the head gives {model.output.shape[-1]} channel(s) with "
                  f"{getattr(getattr(head, 'activation', None), '__name__', 'no activation')}; "
                  "the network of section 1 ends with a 1 x 1 convolution to one channel "
                  "with a sigmoid.")
        for number, (got, want) in enumerate(zip(mine, theirs), 1):
            if got != want:
                where = ("the bridge" if want[2] == base_filters * 2**depth else
                         "an encoder" if number < len(theirs) // 2 else "a decoder")
                _fail(f"For {about}, layer {number} ({where}) is {got[0]} with output "
                      f"{got[1]}; uh.build_unet has {want[0]} with output {want[1]}. "
                      "Encoder level i has base_filters * 2**i filters, the bridge "
                      "base_filters * 2**depth, and each decoder the filters of the encoder "
                      "whose skip it takes.")
        if len(mine) != len(theirs) or model.count_params() != right.count_params():
            _fail(f"For {about} your network has {len(mine)} layers and "
                  f"{model.count_params():,} parameters; uh.build_unet has {len(theirs)} and "
                  f"{right.count_params():,}.")
    return _passed("the same layers as uh.build_unet for every depth and width tried",
                   "uh.build_unet adds names and options, nothing else.")
