"""Checks of notebook 07 (inference): the network's input size, test-time flipping."""

from __future__ import annotations

import numpy as np

from .core import _call, _exercise, _fail, _passed


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
