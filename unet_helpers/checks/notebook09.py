"""Checks of notebook 09 (a pretrained encoder): the skip taps, unfreezing with batch norm kept."""

from __future__ import annotations

import numpy as np

from .core import _call, _exercise, _fail, _passed

SIZE = 64  # the encoders are built at this size for the checks (random weights: only shapes)


def _encoders():
    import keras

    return [keras.applications.MobileNetV2(input_shape=(SIZE, SIZE, 3), include_top=False,
                                           weights=None),
            keras.applications.EfficientNetB0(input_shape=(SIZE, SIZE, 3), include_top=False,
                                              weights=None)]


def _at_size(encoder, stride):
    return [layer.name for layer in encoder.layers
            if len(layer.output.shape) == 4 and layer.output.shape[1] == SIZE // stride]


@_exercise()
def check_skip_taps(skip_taps) -> None:
    """Five names, shallowest first, each the last layer of the encoder at its stride."""
    import keras

    from ..pretrained import STRIDES, build_pretrained_unet
    from ..pretrained import skip_taps as right_taps

    answers = []
    for encoder in _encoders():
        answer = _call(skip_taps, encoder)
        try:
            names = list(answer)
        except TypeError:
            _fail(f"skip_taps returned {answer!r}; return a list of five layer names.")
        if names and all(isinstance(n, keras.layers.Layer) for n in names):
            _fail("skip_taps returned layers; return their names (layer.name), which is what "
                  "encoder.get_layer(name) takes.")
        if not all(isinstance(n, str) for n in names):
            _fail(f"skip_taps returned {names!r}; return layer names (strings).")
        right = right_taps(encoder)
        answers.append(names)
        if names == right:
            continue
        where = f"For {encoder.name} at {SIZE} x {SIZE} pixels"
        if len(names) != len(STRIDES):
            _fail(f"{where} skip_taps returned {len(names)} names; return {len(STRIDES)}, one "
                  f"at each stride {STRIDES} (the image itself is the sixth skip, at stride 1, "
                  "and the model adds it).")
        if names == right[::-1]:
            _fail(f"{where} the taps are deepest first; return them shallowest first "
                  "(stride 2 first, stride 32 last), as the decoder pops them from the end.")
        layer_names = {layer.name for layer in encoder.layers}
        for stride, name, want in zip(STRIDES, names, right):
            if name == want:
                continue
            if name not in layer_names:
                _fail(f"{where} there is no layer {name!r}; take names from encoder.layers.")
            height = encoder.get_layer(name).output.shape[1]
            if height != SIZE // stride:
                hint = (" One pixel more than that stride's size: a ZeroPadding2D layer, "
                        "which pads before a strided convolution, is not a resolution of the "
                        "encoder." if height == SIZE // stride + 1 else "")
                _fail(f"{where} tap {STRIDES.index(stride) + 1} ({name!r}) is {height} pixels "
                      f"high; at stride {stride} it must be {SIZE // stride}.{hint}")
            if name == _at_size(encoder, stride)[0]:
                _fail(f"{where} {name!r} is the *first* layer at stride {stride}; take the "
                      f"last ({want!r}): the encoder keeps refining its features at that size "
                      "until it halves the image again.")
            _fail(f"{where} {name!r} is at stride {stride} but not the last layer there "
                  f"({want!r} comes after it).")
    model = build_pretrained_unet((SIZE, SIZE, 3), weights=None, taps=answers[0],
                                  decoder_filters=(8, 8, 8, 8, 8))
    if model.output_shape[1:3] != (SIZE, SIZE):
        _fail(f"The U-Net built on your taps outputs {model.output_shape[1:3]}, not "
              f"{(SIZE, SIZE)}.")
    return _passed("the last layer at each of the five strides, shallowest first",
                   "(Checked on MobileNetV2 and EfficientNetB0, and a U-Net built on them.)")


def _norms(model):
    import keras

    return [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]


@_exercise()
def check_unfreeze_encoder(unfreeze_encoder) -> None:
    """The encoder learns, its batch norm keeps ImageNet's statistics; the decoder's stays live."""
    import keras

    from ..data import load_pets
    from ..pretrained import build_pretrained_unet, encoder_of
    from ..training import compile_model

    keras.utils.set_random_seed(0)
    model = build_pretrained_unet((32, 32, 3), weights=None, decoder_filters=(8, 8, 8, 8, 8))
    encoder = encoder_of(model)
    _call(unfreeze_encoder, model)
    if not encoder.trainable:
        _fail("After unfreeze_encoder the encoder still cannot learn: set "
              "model.get_layer('encoder').trainable = True.")
    norms = _norms(encoder)
    learning = [layer.name for layer in norms if layer.trainable]
    if len(learning) == len(norms):
        _fail("Every batch norm of the encoder is trainable, so training would replace "
              "ImageNet's moving statistics with those of a few batches of pets. Set "
              "trainable = False on each BatchNormalization layer inside the encoder, *after* "
              "encoder.trainable = True (which makes every layer inside trainable again).")
    if learning:
        _fail(f"{len(learning)} of the encoder's {len(norms)} batch norms are still "
              f"trainable, e.g. {learning[0]!r}. Find them by type, "
              "isinstance(layer, keras.layers.BatchNormalization), not by name: the names "
              "differ (bn_Conv1, expanded_conv_BN, Conv_1_bn).")
    frozen = [layer.name for layer in encoder.layers
              if layer.weights and layer not in norms and not layer.trainable]
    if frozen:
        _fail(f"{len(frozen)} convolution layers of the encoder are still frozen, e.g. "
              f"{frozen[0]!r}: only the batch norms should stay out of training.")
    decoder_norms = [layer.name for layer in _norms(model) if not layer.trainable]
    if decoder_norms:
        _fail(f"The decoder's batch norm {decoder_norms[0]!r} was frozen too. The decoder "
              "starts from random weights and has no statistics worth keeping: leave it alone.")

    before = {v.path: np.array(v) for v in encoder.weights}
    compile_model(model, learning_rate=1e-2)
    data = load_pets("train", source="generated", image_size=32, batch_size=4, limit=4,
                     verbose=False)
    model.fit(data, epochs=1, verbose=0)
    after = {v.path: np.array(v) for v in encoder.weights}
    changed = {path for path in after if not np.array_equal(after[path], before[path])}
    bn_paths = {v.path for layer in norms for v in layer.weights}
    if changed & bn_paths:
        _fail(f"One training step changed the encoder's batch norm ({min(changed & bn_paths)}); "
              "its statistics and scale must stay as they are.")
    if not changed:
        _fail("One training step left every encoder weight as it was: the encoder is not "
              "learning. Did unfreeze_encoder act on the model it was given?")
    return _passed("the encoder learns, its batch norm keeps ImageNet's statistics",
                   "(One training step checked: convolutions changed, batch norms did not.) "
                   "Compile again after changing trainable: Keras reads it when compiling.")
