"""``build_pretrained_unet``: a U-Net whose encoder is MobileNetV2, trained on ImageNet.

A U-Net trained from scratch on a few hundred photos has to learn what an
edge, a texture and a furry ear look like from those photos alone. An
encoder trained on ImageNet's 1.3 million photos already knows; only the
decoder has to learn how to turn its features into a mask. This is the
route of TensorFlow's own segmentation tutorial.

The model is built in three parts, so that each can be seen and frozen alone:

- ``preprocess``: a ``Rescaling`` layer that maps our images (float32 in
  [0, 1], as ``uh.load_pets`` and ``uh.predict_mask`` give them) to the
  [-1, 1] that MobileNetV2 was trained on; inside the model, so nothing
  outside needs to know;
- ``encoder``: MobileNetV2 without its classifier, as a nested model with
  five outputs, the last layer at each of the strides 2, 4, 8, 16 and 32
  (:func:`skip_taps`);
- the package's own decoder blocks (``dec1`` ... ``dec5``, the last one
  joined by the image itself) and the same ``head`` as ``build_unet``.

Weights (:func:`resolve_weights`): ``"imagenet"`` looks in Keras's cache
(``$KERAS_HOME/models``, else ``~/.keras/models``), then downloads there after
a reachability check of a few seconds; a path loads that file; the
environment variable ``UNET_ENCODER_WEIGHTS`` names a file to use instead of
the download; ``None`` leaves the encoder random. Without network and file,
:class:`WeightsUnavailable` says in one paragraph which file to get and where
to put it.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path

import keras
from keras import layers

from .blocks import UPSAMPLING_MODES, decoder_block
from .model import OUTPUT_ACTIVATIONS, nearest_valid_sizes
from .network import reachable

ENCODERS = ("mobilenet_v2",)
STRIDES = (2, 4, 8, 16, 32)  # where the skip connections are tapped, in input pixels per step
WEIGHTS_ENV_VAR = "UNET_ENCODER_WEIGHTS"
DOWNLOAD_HOST = "storage.googleapis.com"
WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
WEIGHTS_ROWS = (96, 128, 160, 192, 224)  # the sizes MobileNetV2's ImageNet weights were trained at
DECODER_FILTERS = (256, 128, 64, 32, 16)


class WeightsUnavailable(RuntimeError):
    """The encoder's ImageNet weights are neither cached nor downloadable (the message says why)."""


def weights_file_name(image_size=None) -> str:
    """The file Keras asks for: MobileNetV2 (width 1.0) without its top, for this image size.

    Keras keeps one file per training resolution and falls back to 224 for other
    sizes; every file fits every size (a convolution's weights do not depend on it).
    """
    rows = image_size if image_size in WEIGHTS_ROWS else 224
    return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{rows}_no_top.h5"


def keras_cache() -> Path:
    """Keras's download cache, read now (Keras reads ``KERAS_HOME`` only when it is imported)."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "models"


def _offline_message(name: str, reason: str) -> str:
    return (
        f"The encoder's ImageNet weights cannot be loaded: {reason}. Keras wants the file "
        f"{name} from {WEIGHTS_URL}{name}. Download it where there is a network and put it "
        f"in {keras_cache()} (Keras's cache, looked in first), or pass weights='PATH/{name}', "
        f"or set {WEIGHTS_ENV_VAR}=PATH before starting. weights=None builds the same network "
        "with a random encoder: it trains, but it is then no longer transfer learning.")


def resolve_weights(weights="imagenet", image_size=None, *, timeout: float = 3.0):
    """The weights file to load into the encoder, or None for random weights.

    ``"imagenet"``: the file named by ``$UNET_ENCODER_WEIGHTS`` if set, else Keras's
    cached copy, else a download into that cache (only after ``reachable`` answered
    within ``timeout`` seconds). A path must name an existing ``.h5`` file.
    Raises :class:`WeightsUnavailable` when nothing can be had, ``ValueError``
    for a path that is no weights file.
    """
    if weights is None:
        return None
    if isinstance(weights, str) and weights == "imagenet":
        chosen = os.environ.get(WEIGHTS_ENV_VAR, "").strip()
        if chosen:
            return _weights_path(chosen, f"{WEIGHTS_ENV_VAR}={chosen!r}")
        name = weights_file_name(image_size)
        cached = keras_cache() / name
        if cached.is_file():
            return str(cached)
        if not reachable(DOWNLOAD_HOST, timeout=timeout):
            raise WeightsUnavailable(_offline_message(
                name, f"{DOWNLOAD_HOST} cannot be reached (no network?)"))
        try:
            return keras.utils.get_file(name, WEIGHTS_URL + name, cache_subdir="models",
                                        cache_dir=str(keras_cache().parent))
        except Exception as error:  # the download itself failed: say so once, briefly
            raise WeightsUnavailable(_offline_message(
                name, f"the download failed ({type(error).__name__}: {error})")) from None
    if isinstance(weights, (str, os.PathLike)):
        return _weights_path(weights, f"weights={str(weights)!r}")
    raise ValueError(f"weights must be 'imagenet', a path to a weights file or None, "
                     f"got {weights!r}.")


def _weights_path(path, said: str) -> str:
    path = Path(path).expanduser()
    if not path.is_file():
        raise ValueError(f"{said}: there is no file {path}. Give the path of a weights file "
                         f"(such as {weights_file_name()}), 'imagenet', or None for random "
                         "weights.")
    if path.suffix != ".h5":
        raise ValueError(f"{said}: {path.name} is not a weights file; Keras loads encoder "
                         "weights from .h5 files (Keras's own downloads, or a file saved "
                         "with encoder.save_weights('NAME.weights.h5')).")
    return str(path)


def skip_taps(encoder: keras.Model, strides=STRIDES) -> list[str]:
    """The names of the last layer at each stride of ``encoder``, shallowest first.

    At stride s a layer's output is ``input size / s`` pixels high. Within one
    resolution the encoder keeps refining its features, so the *last* layer
    before it halves the image again holds the richest ones at that size.
    (Padding layers, one pixel larger, and squeeze-and-excite layers, 1 x 1,
    are at no stride's size.) The encoder needs a fixed input height.
    """
    height = encoder.input.shape[1]
    if height is None:
        raise ValueError("skip_taps needs an encoder built for a fixed image size.")
    found = {}
    for layer in encoder.layers:
        shape = layer.output.shape
        if len(shape) != 4:
            continue
        for stride in strides:
            if shape[1] == height // stride:
                found[stride] = layer.name
    missing = [stride for stride in strides if stride not in found]
    if missing:
        raise ValueError(f"{encoder.name} has no layer at stride(s) {missing} for a "
                         f"{height}-pixel input.")
    return [found[stride] for stride in strides]


def check_pretrained_shape(input_shape) -> tuple:
    """``(height, width, 3)`` with sizes that divide by 32 (or None), else a ``ValueError``."""
    try:
        shape = tuple(input_shape)
    except TypeError:
        raise ValueError(f"input_shape must be a tuple (height, width, 3), "
                         f"got {input_shape!r}.") from None
    if len(shape) != 3:
        raise ValueError(f"input_shape must be (height, width, 3), got {shape}; leave the "
                         "batch size out.")
    height, width, channels = shape
    if channels != 3:
        raise ValueError(f"An ImageNet encoder reads RGB photos: input_shape needs 3 channels, "
                         f"got {channels!r} in {shape}.")
    step = STRIDES[-1]
    for axis, size in (("height", height), ("width", width)):
        if size is None:
            continue
        whole = isinstance(size, numbers.Integral) and not isinstance(size, bool)
        if not whole or size < step or size % step:
            below, above = nearest_valid_sizes(size if whole and size > 0 else step, 5)
            raise ValueError(
                f"Input {axis} {size!r} does not fit MobileNetV2: it halves the image five "
                f"times (stride {step}), so sizes must be multiples of {step}, at least {step}. "
                f"Resize to {below} or {above}.")
    return shape


def build_pretrained_unet(
    input_shape,
    num_classes: int = 1,
    encoder: str = "mobilenet_v2",
    weights="imagenet",
    freeze_encoder: bool = True,
    *,
    decoder_filters=DECODER_FILTERS,
    taps=None,
    output_activation: str = "auto",
    upsampling: str = "transpose",
    batch_norm: bool = True,
    dropout: float = 0.0,
    name: str = "pretrained-U-Net",
) -> keras.Model:
    """A U-Net with an ImageNet MobileNetV2 encoder and the package's decoder blocks.

    Args:
        input_shape: ``(height, width, 3)``; height and width multiples of 32, or None.
        num_classes: 1 for a sigmoid mask, more for one softmax channel per class.
        encoder: ``"mobilenet_v2"``.
        weights: ``"imagenet"``, a path to a weights file, or None (random); see
            :func:`resolve_weights`.
        freeze_encoder: make the encoder untrainable, so only the decoder learns
            (its batch norm then also runs in inference mode).
        decoder_filters: filters of the five decoder blocks, deepest first.
        taps: five encoder layer names, shallowest first (default :func:`skip_taps`).
        output_activation, upsampling, batch_norm, dropout, name: as in ``build_unet``.

    Returns:
        An uncompiled ``keras.Model`` that maps images in [0, 1] to per-pixel scores.
        Its layer ``"encoder"`` is the nested MobileNetV2.
    """
    if encoder not in ENCODERS:
        raise ValueError(f"Unknown encoder {encoder!r}: use one of "
                         f"{', '.join(map(repr, ENCODERS))}.")
    shape = check_pretrained_shape(input_shape)
    if not isinstance(num_classes, numbers.Integral) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}.")
    if output_activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(f"Unknown output_activation {output_activation!r}: use one of "
                         f"{', '.join(map(repr, OUTPUT_ACTIVATIONS))}.")
    if upsampling not in UPSAMPLING_MODES:
        raise ValueError(f"Unknown upsampling {upsampling!r}: use one of "
                         f"{', '.join(map(repr, UPSAMPLING_MODES))}.")
    decoder_filters = tuple(decoder_filters)
    if len(decoder_filters) != len(STRIDES) or not all(
            isinstance(f, numbers.Integral) and f > 0 for f in decoder_filters):
        raise ValueError(f"decoder_filters must be {len(STRIDES)} positive integers, deepest "
                         f"first, e.g. {DECODER_FILTERS}; got {decoder_filters!r}.")
    if output_activation == "auto":
        output_activation = "sigmoid" if num_classes == 1 else "softmax"
    path = resolve_weights(weights, shape[0] if shape[0] == shape[1] else None)

    base = keras.applications.MobileNetV2(input_shape=shape, include_top=False, weights=path)
    if taps is None:
        probe = base if shape[0] is not None else keras.applications.MobileNetV2(
            input_shape=(224, 224, 3), include_top=False, weights=None)
        taps = skip_taps(probe)
    taps = list(taps)
    if len(taps) != len(STRIDES):
        raise ValueError(f"taps must name {len(STRIDES)} layers, one per stride {STRIDES}, "
                         f"got {len(taps)}.")
    features = keras.Model(base.input, [base.get_layer(tap).output for tap in taps],
                           name="encoder")
    features.trainable = not freeze_encoder

    image = layers.Input(shape, name="image")
    ready = layers.Rescaling(2.0, offset=-1.0, name="preprocess")(image)  # [0, 1] -> [-1, 1]
    skips = [ready, *features(ready)]  # strides 1, 2, 4, 8, 16, 32
    x = skips.pop()
    options = {"batch_norm": bool(batch_norm), "dropout": float(dropout)}
    for level, filters in enumerate(decoder_filters, start=1):
        x = decoder_block(x, skips.pop(), int(filters), upsampling=upsampling,
                          name=f"dec{level}", **options)
    outputs = layers.Conv2D(num_classes, 1, padding="same", activation=output_activation,
                            name="head", dtype="float32")(x)
    return keras.Model(image, outputs, name=name)


def encoder_of(model: keras.Model) -> keras.Model:
    """The nested encoder of a :func:`build_pretrained_unet` model."""
    try:
        return model.get_layer("encoder")
    except ValueError:
        raise ValueError(f"{model.name} has no layer 'encoder': build it with "
                         "uh.pretrained.build_pretrained_unet.") from None


def freeze_encoder(model: keras.Model) -> keras.Model:
    """Only the decoder learns. Compile (again) afterwards: Keras reads ``trainable`` then."""
    encoder_of(model).trainable = False
    return model


def unfreeze_encoder(model: keras.Model) -> keras.Model:
    """Let the encoder learn too, with its batch norm kept in inference mode.

    Batch normalization has two kinds of numbers: gamma and beta, which it
    learns, and the moving mean and variance, which it measures on ImageNet's
    batches. Training with ``trainable=True`` would replace those statistics by
    those of a few small batches of pets and shake every layer after them; a
    Keras 3 ``BatchNormalization`` with ``trainable=False`` keeps them and
    normalizes with them (inference mode). Compile again afterwards, with a
    smaller learning rate, so the first large gradients do not wipe out what
    the encoder knows.
    """
    encoder = encoder_of(model)
    encoder.trainable = True
    for layer in encoder.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False
    return model


def stage_rows(model: keras.Model) -> list[dict]:
    """One row per skip tap of a pretrained U-Net: stride, layer name and output shape."""
    encoder = encoder_of(model)
    return [{"stride": stride, "layer": name, "shape": tuple(tensor.shape)}
            for stride, name, tensor in zip(STRIDES, encoder.output_names, encoder.outputs)]
