"""Checks of notebook 01 (building blocks): conv_block, decoder_block, their parameter count."""

from __future__ import annotations

import contextlib

import keras
import numpy as np

from ..blocks import conv_block, decoder_block
from .core import _call, _exercise, _fail, _passed


def _reference_conv_block_params(in_channels: int, filters: int) -> int:
    first = 9 * in_channels * filters + filters
    second = 9 * filters * filters + filters
    return first + second + 2 * 4 * filters


@_exercise(reference=conv_block)
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


@_exercise(reference=decoder_block)
def check_decoder_block(my_decoder_block) -> None:
    """Upsample 2x with Conv2DTranspose, concatenate the skip, then a conv_block."""
    for below, skip, filters in (((8, 8, 32), (16, 16, 16), 16), ((5, 7, 12), (10, 14, 10), 6)):
        _check_one_decoder_block(my_decoder_block, below, skip, filters)
    return _passed("upsample x2, concatenate the skip, conv_block")


def _check_one_decoder_block(my_decoder_block, below, skip_shape, filters) -> None:
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


def _keras_trainable(in_channels: int, filters: int, kernel_size: int, use_bias: bool) -> int:
    """Trainable numbers of a conv block built with Keras, counted by Keras."""
    keras.backend.clear_session(free_memory=False)
    x = inputs = keras.Input((8, 8, in_channels))
    for _ in range(2):
        x = keras.layers.Conv2D(filters, kernel_size, padding="same", use_bias=use_bias)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("relu")(x)
    model = keras.Model(inputs, x)
    return int(sum(np.prod(weight.shape) for weight in model.trainable_weights))


@_exercise()
def check_conv_block_params(conv_block_params) -> None:
    """The trainable parameters of a conv block, for any kernel size, with or without biases."""
    cases = ((3, 64, 3, True), (64, 128, 3, False), (1, 8, 5, True), (6, 4, 1, False))
    for in_channels, filters, kernel, bias in cases:
        call = f"conv_block_params({in_channels}, {filters}, kernel_size={kernel}, " \
               f"use_bias={bias})"
        answer = _call(conv_block_params, in_channels, filters, kernel_size=kernel,
                       use_bias=bias)
        right = _keras_trainable(in_channels, filters, kernel, bias)
        if answer == right:
            continue
        gap = right - answer if isinstance(answer, (int, np.integer)) else None
        kernels = kernel * kernel * filters * (in_channels + filters)
        hint = ("Count, for each of the four layers, what training changes: the kernels "
                "(k x k x inputs x filters), the biases if any, and batch norm's gamma and beta.")
        if gap == -4 * filters:
            hint = ("You counted all 4 numbers of each batch norm; only gamma and beta are "
                    "trained (the moving mean and variance are measured, not learned).")
        elif bias and gap == 2 * filters:
            hint = "You left out the biases: with use_bias=True each Conv2D has one per filter."
        elif not bias and gap == -2 * filters:
            hint = "With use_bias=False the convolutions have no biases: leave them out."
        elif gap == 4 * filters:
            hint = ("You left out batch norm: gamma and beta, 2 trained numbers per channel, in "
                    "each of the two BN layers.")
        elif gap == kernels - 9 * filters * (in_channels + filters):
            hint = (f"You counted 3 x 3 kernels; use kernel_size ({kernel} x {kernel} weights "
                    "per input and output channel).")
        elif gap == kernels - kernel * filters * (in_channels + filters):
            hint = f"A {kernel} x {kernel} kernel has kernel_size**2 weights per channel pair."
        elif gap == kernel * kernel * filters * (filters - in_channels):
            hint = ("The second convolution sees `filters` channels (the first one's output), "
                    "not `in_channels`.")
        _fail(f"{call} gave {answer!r}; Keras counts {right:,} trainable parameters. {hint}")
    return _passed("the trainable count matches Keras's for every kernel size, with and "
                   "without biases")


def _layer_kinds(model) -> list[str]:
    kinds = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "ReLU" or (kind == "Activation" and layer.get_config()["activation"] == "relu"):
            kind = "ReLU"
        if kind != "InputLayer":
            kinds.append(kind)
    return kinds
