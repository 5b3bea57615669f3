"""The three building blocks of the classic U-Net (Keras functional API).

With their default arguments these are exactly the blocks of the seed
tutorial: two 3x3 "same" convolutions each followed by batch normalization and
ReLU; an encoder step that also max-pools; a decoder step that upsamples with a
2x2 stride-2 transposed convolution and concatenates the skip connection.
The keyword options (no batch norm, dropout, resize upsampling) are the knobs
that U-Net libraries usually offer; notebook 01 builds the plain versions by
hand and a test proves the two agree.
"""

from __future__ import annotations

from keras import layers

UPSAMPLING_MODES = ("transpose", "resize")
PADDINGS = ("same", "valid")


def _named(name, suffix):
    return f"{name}_{suffix}" if name else None


def conv_block(
    inputs, num_filters: int, *, batch_norm: bool = True, dropout: float = 0.0, name=None,
    bn_momentum: float = 0.99, padding: str = "same",
):
    """Two 3x3 convolutions, each followed by batch normalization and ReLU.

    ``padding="same"`` keeps height and width, so only the channel count
    changes: ``(H, W, C) -> (H, W, num_filters)``. ``padding="valid"`` (the
    2015 paper's choice) pads nothing, so each convolution loses one pixel on
    every side: ``(H, W, C) -> (H - 4, W - 4, num_filters)``. With ``batch_norm=False`` the
    normalization layers are left out; ``dropout > 0`` adds a ``Dropout``
    layer at the end of the block. ``bn_momentum`` is how slowly batch
    normalization's running statistics follow the batches (Keras's default,
    0.99, suits long runs; 0.9 settles faster in short ones). ``name``, if given, prefixes the layer
    names (``enc1_conv1``, ``enc1_bn1``, ...) so that summaries are readable.
    """
    x = inputs
    for i in (1, 2):
        x = layers.Conv2D(num_filters, 3, padding=padding, name=_named(name, f"conv{i}"))(x)
        if batch_norm:
            x = layers.BatchNormalization(momentum=bn_momentum, name=_named(name, f"bn{i}"))(x)
        x = layers.Activation("relu", name=_named(name, f"relu{i}"))(x)
    if dropout > 0:
        x = layers.Dropout(dropout, name=_named(name, "dropout"))(x)
    return x


def encoder_block(
    inputs, num_filters: int, *, batch_norm: bool = True, dropout: float = 0.0, name=None,
    bn_momentum: float = 0.99, padding: str = "same",
):
    """A conv block followed by 2x2 max pooling.

    Returns ``(skip, pooled)``: ``skip`` is the conv block's output, kept for
    the decoder at the same resolution; ``pooled`` has half the height and
    width and goes on to the next, deeper block.
    """
    skip = conv_block(inputs, num_filters, batch_norm=batch_norm, dropout=dropout, name=name,
                      bn_momentum=bn_momentum, padding=padding)
    pooled = layers.MaxPool2D((2, 2), name=_named(name, "pool"))(skip)
    return skip, pooled


def upsample(inputs, num_filters: int, mode: str = "transpose", name=None):
    """Double height and width and set the channel count to ``num_filters``.

    ``"transpose"`` (the seed) learns the upsampling with a 2x2 stride-2
    ``Conv2DTranspose``. ``"resize"`` uses bilinear resizing followed by a
    3x3 convolution, which avoids the checkerboard artefacts that transposed
    convolutions can produce.
    """
    if mode == "transpose":
        return layers.Conv2DTranspose(
            num_filters, (2, 2), strides=2, padding="same", name=_named(name, "upconv")
        )(inputs)
    if mode == "resize":
        x = layers.UpSampling2D(2, interpolation="bilinear", name=_named(name, "resize"))(inputs)
        return layers.Conv2D(num_filters, 3, padding="same", name=_named(name, "upconv"))(x)
    raise ValueError(
        f"Unknown upsampling {mode!r}: use one of {', '.join(map(repr, UPSAMPLING_MODES))}."
    )


def decoder_block(
    inputs,
    skip_features,
    num_filters: int,
    *,
    upsampling: str = "transpose",
    batch_norm: bool = True,
    dropout: float = 0.0,
    name=None,
    bn_momentum: float = 0.99,
    padding: str = "same",
):
    """Upsample, concatenate the encoder's skip features, then a conv block.

    The skip connection brings back the fine detail that pooling threw away;
    the conv block mixes it with the coarse, semantic features from below.
    With ``padding="valid"`` the skip features are larger than the upsampled
    ones, so their centre is cut out first: the paper's "copy and crop".
    """
    x = upsample(inputs, num_filters, upsampling, name=name)
    if padding == "valid":
        skip_features = crop_to(skip_features, x, name=_named(name, "crop"))
    x = layers.Concatenate(name=_named(name, "concat"))([x, skip_features])
    return conv_block(x, num_filters, batch_norm=batch_norm, dropout=dropout, name=name,
                      bn_momentum=bn_momentum, padding=padding)


def crop_to(features, reference, name=None):
    """The centre of ``features`` with the height and width of ``reference`` (static sizes)."""
    (height, width), (target_h, target_w) = features.shape[1:3], reference.shape[1:3]
    if None in (height, width, target_h, target_w):
        raise ValueError("Cropping skip features needs fixed image sizes: "
                         "padding='valid' does not take height or width None.")
    top, left = (height - target_h) // 2, (width - target_w) // 2
    return layers.Cropping2D(((top, height - target_h - top), (left, width - target_w - left)),
                             name=name)(features)


__all__ = ["conv_block", "encoder_block", "decoder_block", "upsample", "crop_to",
           "UPSAMPLING_MODES", "PADDINGS"]
