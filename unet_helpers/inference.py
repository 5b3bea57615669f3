"""Use a trained U-Net on any photo: read it, resize it as training did, predict, resize back.

A U-Net's weights do not depend on the image size, only on the number of
channels. So :func:`any_size` rebuilds a model that was trained at, say,
96 x 96 with an input of ``(None, None, 3)`` and copies the weights; then any
height and width that ``2**depth`` divides will do.

:func:`predict_mask` resizes a photo the way training resized every photo
(squashed to the model's square, :func:`unet_helpers.data.resize_photo`),
predicts, and resizes the scores back, so the mask has exactly the photo's
height and width. At sizes that ``2**depth`` does not divide (``scale_to=None``
or an ``n`` that it does not divide) it pads the photo by mirroring its edges and crops the
padding off again.
"""

from __future__ import annotations

import math
import re
import warnings
import weakref
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from .data.images import IMAGE_SUFFIXES, read_photo
from .data.pipeline import resize_photo
from .metrics import score_cut
from .model import head_gives_logits
from .quiet import PlainWarning

_ANY_SIZE = weakref.WeakKeyDictionary()  # model -> its (None, None, C) twin


class SkippedFileWarning(PlainWarning):
    """Some files of a folder could not be read as images and were left out."""


def first_sentence(error) -> str:
    """The first sentence of an error message (for short reports)."""
    return re.split(r"(?<=[.:])\s(?=[A-Z])", str(error), maxsplit=1)[0]


def model_depth(model: keras.Model) -> int:
    """How many times the U-Net halves the image: the number of times its decoder doubles it.

    Counted on the way up, so that a pretrained encoder, which halves the image
    inside a nested model with strided convolutions, counts the same way.
    """
    return sum(isinstance(layer, (keras.layers.Conv2DTranspose, keras.layers.UpSampling2D))
               for layer in model.layers)


def _any_size_inputs(config) -> None:
    """Set every input layer's height and width to None, nested models included."""
    if isinstance(config, list):
        for value in config:
            _any_size_inputs(value)
    elif isinstance(config, dict):
        if config.get("class_name") == "InputLayer":
            shape = config["config"]["batch_shape"]
            config["config"]["batch_shape"] = [shape[0], None, None, shape[-1]]
        for value in config.values():
            _any_size_inputs(value)


def model_image_size(model: keras.Model):
    """The fixed ``(height, width)`` the model was built for, or None if it takes any size."""
    height, width = model.input_shape[1:3]
    return None if height is None or width is None else (height, width)


def any_size(model: keras.Model) -> keras.Model:
    """The same network and weights, accepting any height and width.

    The rebuilt network is cached per model; its weights are copied from the
    model on every call, so later training or ``load_weights`` is never missed.
    """
    if model_image_size(model) is None:
        return model
    if model not in _ANY_SIZE:
        config = model.get_config()
        _any_size_inputs(config)
        _ANY_SIZE[model] = keras.Model.from_config(config)
    twin = _ANY_SIZE[model]
    twin.set_weights(model.get_weights())
    return twin


def _resized(photo: np.ndarray, height: int, width: int) -> np.ndarray:
    if photo.shape[:2] == (height, width):
        return photo.astype(np.float32)
    return resize_photo(photo, (height, width)).numpy().astype(np.float32)


def _padded_shape(height, width, multiple):
    return math.ceil(height / multiple) * multiple, math.ceil(width / multiple) * multiple


def _pad(photo: np.ndarray, height: int, width: int) -> tuple[np.ndarray, tuple[int, int]]:
    top, left = (height - photo.shape[0]) // 2, (width - photo.shape[1]) // 2
    pads = ((top, height - photo.shape[0] - top), (left, width - photo.shape[1] - left), (0, 0))
    return np.pad(photo, pads, mode="symmetric"), (top, left)


def _working_size(shape, model, scale_to):
    """The (height, width) the network sees: see ``scale_to`` in :func:`predict_mask`."""
    if isinstance(scale_to, str) and scale_to == "auto":
        return model_image_size(model) or tuple(shape)
    if scale_to is None:
        return tuple(shape)
    if isinstance(scale_to, bool) or not isinstance(scale_to, (int, np.integer)) or scale_to < 1:
        raise ValueError(f"scale_to must be 'auto', None or a positive whole number of pixels "
                         f"(the side of the square the photo is resized to), got {scale_to!r}.")
    return int(scale_to), int(scale_to)


def _check_size(shape, depth, working=None):
    smallest = 2**depth
    if min(shape) < smallest:
        raise ValueError(
            f"The photo is {shape[0]} x {shape[1]} pixels; this U-Net (depth {depth}) segments "
            f"photos of at least {smallest} x {smallest}. Padding could make the shapes fit, "
            "but so few pixels say too little about a pet: use a larger photo.")
    if working is not None and min(working) < smallest:
        raise ValueError(
            f"scale_to={working[0]} is too small: this U-Net (depth {depth}) needs at least "
            f"{smallest} x {smallest} pixels. Use scale_to='auto' (the training size) or a "
            f"larger number.")


def _scores_to_labels(scores: np.ndarray, threshold: float, from_logits: bool) -> np.ndarray:
    if scores.shape[-1] == 1:
        return (scores[..., 0] > score_cut(threshold, from_logits)).astype(np.uint8)
    return scores.argmax(axis=-1).astype(np.uint8)


def predict_scores(model: keras.Model, photos, *, scale_to="auto") -> list[np.ndarray]:
    """Per-pixel scores (H, W, C) for each photo, at each photo's own size.

    Photos that pad to the same size are predicted together in one batch, so a
    photo's result does not depend on which others come with it.
    """
    photos = [read_photo(photo) for photo in photos]
    depth = model_depth(model)
    sizes = [_working_size(photo.shape[:2], model, scale_to) for photo in photos]
    for photo, size in zip(photos, sizes):
        _check_size(photo.shape[:2], depth, size)
    net = any_size(model)
    groups = {}
    for index, size in enumerate(sizes):
        groups.setdefault(_padded_shape(*size, 2**depth), []).append(index)
    results = [None] * len(photos)
    for (height, width), members in groups.items():
        batch, offsets = [], []
        for index in members:
            padded, offset = _pad(_resized(photos[index], *sizes[index]) / 255.0, height, width)
            batch.append(padded)
            offsets.append(offset)
        scores = np.asarray(net(np.stack(batch).astype(np.float32), training=False),
                            dtype=np.float32)
        for index, (top, left), score in zip(members, offsets, scores):
            size, shape = sizes[index], photos[index].shape[:2]
            score = score[top:top + size[0], left:left + size[1]]
            if score.shape[:2] != shape:
                score = tf.image.resize(score, shape, method="bilinear").numpy()
            results[index] = score
    return results


def predict_mask(model: keras.Model, image, *, threshold: float = 0.5,
                 scale_to="auto") -> np.ndarray:
    """The predicted label of every pixel: an integer mask with the photo's exact height x width.

    Args:
        model: a U-Net from :func:`unet_helpers.build_unet` (or a reloaded ``.keras`` file).
        image: a file path, a PIL image or an array (H, W[, 1|3|4]); see :func:`read_photo`.
        threshold: for one-channel (sigmoid) models, the probability above which a pixel
            is the class 1 ("pet").
        scale_to: ``"auto"`` resizes the photo to the size the model was built for, the
            way training resized every photo (:func:`unet_helpers.data.resize_photo`:
            squashed to the square, aspect ratio not kept), so pets appear at the scale
            and with the stretch the network learned; ``None`` predicts at the photo's own
            size; a whole number ``n`` resizes to ``n x n``, as ``load_pets(image_size=n)``
            would.

    The photo is resized, padded (mirrored at its edges) to a multiple of
    ``2**depth`` if it is not one already, predicted, cropped back and, if it
    was resized, the scores are resized back to the photo's height and width
    before they are turned into labels.
    """
    (scores,) = predict_scores(model, [image], scale_to=scale_to)
    return _scores_to_labels(scores, threshold, head_gives_logits(model))


def image_files(folder) -> list[Path]:
    """The files of ``folder`` with a photo's suffix, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"No folder at {folder}. Check the path, or pass one photo to "
                                "predict_mask instead.")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def predict_folder(model: keras.Model, folder, *, batch_size: int = 8, threshold: float = 0.5,
                   scale_to="auto", save_to=None) -> dict:
    """Masks for every photo in ``folder``, predicted ``batch_size`` at a time.

    Returns ``{path: mask}``. Files that cannot be read as photos (or are too
    small) are skipped with one :class:`SkippedFileWarning` naming each and why.
    With ``save_to``, each mask is also written there as ``<stem>.png`` (binary
    masks as 0 / 255 so they are visible in any image viewer; where two photos
    share a stem, ``a.jpg`` and ``a.png``, as ``a.jpg.png`` and ``a.png.png``).
    """
    photos, skipped = {}, []
    depth = model_depth(model)
    smallest = (2**depth, 2**depth)  # a wrong scale_to is not a problem of the files: say so once
    _check_size(smallest, depth, _working_size(smallest, model, scale_to))
    for path in image_files(folder):
        try:
            photo = read_photo(path)
            _check_size(photo.shape[:2], depth, _working_size(photo.shape[:2], model, scale_to))
            photos[path] = photo
        except (ValueError, OSError, Image.DecompressionBombError) as error:
            reason = first_sentence(error)
            skipped.append(f"  {reason}" if reason.startswith(path.name)
                           else f"  {path.name}: {reason}")
    if skipped:
        warnings.warn(f"Skipped {len(skipped)} file(s) in {folder} that are not usable photos:\n"
                      + "\n".join(skipped), SkippedFileWarning, stacklevel=2)
    masks = {}
    paths = list(photos)
    logits = head_gives_logits(model)
    for start in range(0, len(paths), batch_size):
        chunk = paths[start:start + batch_size]
        scores = predict_scores(model, [photos[p] for p in chunk], scale_to=scale_to)
        for path, score in zip(chunk, scores):
            masks[path] = _scores_to_labels(score, threshold, logits)
    if save_to is not None:
        save_to = Path(save_to)
        save_to.mkdir(parents=True, exist_ok=True)
        classes = max(2, model.output_shape[-1])
        stems = [path.stem for path in masks]
        for path, mask in masks.items():
            visible = (mask * (255 // (classes - 1))).astype(np.uint8)
            name = path.stem if stems.count(path.stem) == 1 else path.name  # a.jpg + a.png
            Image.fromarray(visible).save(save_to / f"{name}.png")
    return masks
