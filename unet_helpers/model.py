"""``build_unet``: the classic U-Net assembled from the blocks, with input checks.

``build_unet((512, 512, 3))`` with the default arguments is exactly the
seed tutorial's network: four encoder blocks (64, 128, 256, 512 filters), a
1024-filter bridge, four decoder blocks and a 1x1 sigmoid convolution, for
31,055,297 parameters (31,043,521 trainable).
"""

from __future__ import annotations

import math
import numbers

import keras
from keras import layers

from .blocks import PADDINGS, UPSAMPLING_MODES, conv_block, decoder_block, encoder_block

OUTPUT_ACTIVATIONS = ("auto", "sigmoid", "softmax", "linear")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _positive_int(name: str, value, hint: str) -> None:
    if not _is_int(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}. {hint}")


def nearest_valid_sizes(size: int, depth: int) -> tuple[int, int]:
    """The multiples of ``2**depth`` just below and just above ``size``."""
    step = 2**depth
    below = max(step, (size // step) * step)
    above = -(-size // step) * step
    return below, max(above, step)


def check_input_size(height, width, depth: int = 4) -> None:
    """Raise ``ValueError`` unless height and width survive ``depth`` poolings.

    Each encoder halves the image and each decoder doubles it back; the
    skip concatenation only lines up when the size divides by ``2**depth``
    (16 for the classic U-Net). ``None`` means "decided at run time" and passes.
    """
    step = 2**depth
    for axis, size in (("height", height), ("width", width)):
        if size is None:
            continue
        if not _is_int(size) or size < 1:
            raise ValueError(f"Input {axis} must be a positive integer or None, got {size!r}.")
        if size % step:
            below, above = nearest_valid_sizes(size, depth)
            raise ValueError(
                f"Input {axis} {size} is not divisible by 2**depth = {step}: with depth "
                f"{depth} the image is halved {depth} times and the skip connections "
                f"would not line up. Resize or pad to {below} or {above}, "
                f"or use a smaller depth."
            )


def valid_output_size(size: int, depth: int = 4) -> int:
    """The output size of an unpadded ("valid") U-Net for an input of ``size`` pixels.

    Each 3x3 convolution without padding loses 2 pixels, so every conv block
    loses 4; every pooling must halve an even size. The 2015 paper's
    ``572 -> 388`` is ``valid_output_size(572, 4)``. Raises ``ValueError``
    naming the nearest sizes that work when ``size`` does not.
    """
    step = 2**depth
    shrink = 4 * (step - 1)  # what the conv blocks on one side of the U take, in input pixels
    bridge_in, rest = divmod(size - shrink, step)  # a size that works is step * k + shrink
    smallest = 8  # the bridge leaves k - 4 pixels; fewer than 4 vanish on the way up
    if rest or bridge_in < smallest:
        sizes = [step * k + shrink for k in (bridge_in, bridge_in + 1) if k >= smallest]
        if not sizes:
            sizes = [step * smallest + shrink]
        raise ValueError(
            f"Input size {size} does not fit an unpadded U-Net of depth {depth}: every "
            f"pooling needs an even size and the output must keep some pixels. "
            f"Use {' or '.join(map(str, sizes))} (sizes {step}*k + {shrink}; "
            f"the paper uses 572 with depth 4).")
    return step * (bridge_in - 4) - shrink


def _check_input_shape(input_shape, depth: int, padding: str = "same") -> tuple:
    try:
        shape = tuple(input_shape)
    except TypeError:
        raise ValueError(
            f"input_shape must be a tuple (height, width, channels), got {input_shape!r}."
        ) from None
    if len(shape) == 2:
        raise ValueError(
            f"input_shape {shape} has no channel dimension. Add it: "
            f"{shape + (3,)} for RGB images or {shape + (1,)} for grayscale."
        )
    if len(shape) != 3:
        raise ValueError(
            f"input_shape must be (height, width, channels), got {len(shape)} dimensions "
            f"{shape}. Leave the batch size out: Keras adds it."
        )
    height, width, channels = shape
    if padding == "valid":
        for size in (height, width):
            if not _is_int(size):
                raise ValueError(
                    f"padding='valid' needs a fixed height and width, got {shape}: the "
                    "skip connections are cropped to sizes known when the model is built.")
            valid_output_size(size, depth)
    else:
        check_input_size(height, width, depth)
    if not _is_int(channels) or channels < 1:
        raise ValueError(
            f"The channel count must be a positive integer, got {channels!r} in {shape}: "
            "use 3 for RGB or 1 for grayscale."
        )
    return shape


def build_unet(
    input_shape,
    num_classes: int = 1,
    base_filters: int = 64,
    depth: int = 4,
    *,
    output_activation: str = "auto",
    upsampling: str = "transpose",
    batch_norm: bool = True,
    dropout: float = 0.0,
    bn_momentum: float = 0.99,
    padding: str = "same",
    name: str = "U-Net",
) -> keras.Model:
    """Build a U-Net with the Keras functional API.

    Args:
        input_shape: ``(height, width, channels)``. Height and width may be
            ``None`` (any size divisible by ``2**depth`` at run time).
        num_classes: output channels. 1 gives one sigmoid channel (binary
            masks); more gives one channel per class with softmax.
        base_filters: filters in the first encoder block; each deeper block
            doubles them, and the bridge has ``base_filters * 2**depth``.
        depth: how many encoder (and decoder) blocks.
        output_activation: ``"auto"`` (sigmoid for one class, softmax for
            more), ``"sigmoid"``, ``"softmax"``, or ``"linear"`` to output
            logits (then use a loss with ``from_logits=True``).
        upsampling: ``"transpose"`` (the seed) or ``"resize"``.
        batch_norm: put ``BatchNormalization`` after each convolution.
        dropout: dropout rate at the end of each encoder, bridge and decoder
            conv block; 0 adds no dropout layer.
        bn_momentum: momentum of the running statistics of batch normalization
            (Keras's default 0.99; 0.9 suits short runs, see notebook 04).
        padding: ``"same"`` (the seed: output as large as the input) or
            ``"valid"`` (the 2015 paper: no padding, a smaller output, skip
            features cropped; see :func:`valid_output_size`).
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` mapping images to per-pixel scores.
    """
    _positive_int("depth", depth, "The classic U-Net uses depth=4.")
    _positive_int("base_filters", base_filters, "The classic U-Net uses base_filters=64.")
    _positive_int("num_classes", num_classes, "Use 1 for a binary mask, or the number of classes.")
    if padding not in PADDINGS:
        raise ValueError(f"Unknown padding {padding!r}: use one of "
                         f"{', '.join(map(repr, PADDINGS))}.")
    shape = _check_input_shape(input_shape, depth, padding)
    if output_activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"Unknown output_activation {output_activation!r}: use one of "
            f"{', '.join(map(repr, OUTPUT_ACTIVATIONS))}."
        )
    if upsampling not in UPSAMPLING_MODES:
        raise ValueError(
            f"Unknown upsampling {upsampling!r}: use one of "
            f"{', '.join(map(repr, UPSAMPLING_MODES))}."
        )
    if not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a rate in [0, 1), got {dropout!r}.")
    if not isinstance(bn_momentum, numbers.Real) or not 0 <= bn_momentum < 1:
        raise ValueError(f"bn_momentum must be in [0, 1), got {bn_momentum!r}.")
    if output_activation == "auto":
        output_activation = "sigmoid" if num_classes == 1 else "softmax"

    options = {"batch_norm": bool(batch_norm), "dropout": float(dropout),
               "bn_momentum": float(bn_momentum), "padding": padding}
    inputs = layers.Input(shape, name="image")
    skips = []
    x = inputs
    for level in range(depth):
        skip, x = encoder_block(x, base_filters * 2**level, name=f"enc{level + 1}", **options)
        skips.append(skip)

    x = conv_block(x, base_filters * 2**depth, name="bridge", **options)

    for level in reversed(range(depth)):
        x = decoder_block(
            x,
            skips[level],
            base_filters * 2**level,
            upsampling=upsampling,
            name=f"dec{depth - level}",
            **options,
        )

    outputs = layers.Conv2D(
        num_classes, 1, padding="same", activation=output_activation, name="head",
        dtype="float32",  # keeps the scores in float32 under mixed precision
    )(x)
    return keras.Model(inputs, outputs, name=name)


def stage_table(model: keras.Model) -> list[dict]:
    """One row per stage of a ``build_unet`` model: its output shape and parameters.

    Stages are read from the layer names ``build_unet`` gives
    (``enc1_conv1`` belongs to stage ``enc1``), so the table follows the
    U-shape: encoders, bridge, decoders, head.
    """
    rows: dict[str, dict] = {}
    for layer in model.layers:
        stage = layer.name.split("_")[0]
        row = rows.setdefault(stage, {"stage": stage, "params": 0, "layers": 0})
        row["params"] += layer.count_params()
        row["layers"] += 1
        row["output_shape"] = tuple(layer.output.shape)
    return list(rows.values())


def format_stage_table(model: keras.Model) -> str:
    """``stage_table`` as aligned text, with a total line."""
    rows = stage_table(model)
    lines = [f"{'stage':<8}{'output shape':<24}{'layers':>7}{'parameters':>14}"]
    for row in rows:
        shape = str(row["output_shape"])
        lines.append(f"{row['stage']:<8}{shape:<24}{row['layers']:>7}{row['params']:>14,}")
    total = sum(row["params"] for row in rows)
    lines.append(f"{'total':<8}{'':<24}{'':>7}{total:>14,}")
    return "\n".join(lines)


def _field_after(layer, field: int, jump: float) -> tuple[int, float]:
    """How one layer changes the receptive field (pixels) and the jump (pixels per step)."""
    if isinstance(layer, layers.Conv2DTranspose):
        # each output pixel is painted by ceil(k / s) input pixels per axis
        kernel, stride = layer.kernel_size[0], layer.strides[0]
        return field + (math.ceil(kernel / stride) - 1) * jump, jump / stride
    if isinstance(layer, layers.Conv2D):
        kernel = (layer.kernel_size[0] - 1) * layer.dilation_rate[0] + 1
        return field + (kernel - 1) * jump, jump * layer.strides[0]
    if isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
        return field + (layer.pool_size[0] - 1) * jump, jump * layer.strides[0]
    if isinstance(layer, layers.UpSampling2D):
        # bilinear: each output pixel mixes two input pixels per axis; nearest: one
        extra = 1 if layer.interpolation == "bilinear" else 0
        return field + extra * jump, jump / layer.size[0]
    return field, jump  # batch norm, activations, dropout, cropping: per pixel


def receptive_fields(model: keras.Model) -> list[dict]:
    """The receptive field at the end of each stage of a ``build_unet`` model.

    The receptive field is the width, in input pixels, of the square of the
    input that one output pixel can see. A k x k convolution widens it by
    ``(k - 1) * jump``, where ``jump`` is how many input pixels lie between two
    neighbouring pixels of the current layer; pooling widens it a little and
    doubles the jump, so every convolution after it sees twice as far. Where
    a skip joins the path, the wider of the two fields counts. Returns one
    ``{"stage", "field", "jump"}`` per stage, in the order of :func:`stage_table`.

    Down to the bridge this is exact. After an upsampling, two neighbouring
    pixels share one parent, so fields are no longer evenly spaced and some
    output pixels see a little more than the formula says (measured in
    tests/test_model.py: up to 100 pixels where it says 96, at depth 3).
    """
    fields: dict[int, tuple[int, float]] = {}
    rows: dict[str, dict] = {}
    for layer in model.layers:
        inputs = layer.input if isinstance(layer.input, list) else [layer.input]
        known = [fields[id(tensor)] for tensor in inputs if id(tensor) in fields]
        field, jump = max(known) if known else (1, 1.0)
        field, jump = _field_after(layer, field, jump)
        fields[id(layer.output)] = (field, jump)
        stage = layer.name.split("_")[0]
        rows[stage] = {"stage": stage, "field": int(field), "jump": jump}
    return list(rows.values())


def classic_receptive_field(depth: int) -> int:
    """The hand formula for ``build_unet``'s final receptive field: ``13 * 2**depth - 8``.

    Encoder block l (jump 2**(l-1)) adds 4 * 2**(l-1), its pooling 2**(l-1);
    the bridge adds 4 * 2**depth; decoder blocks add 4 * 2**(depth-1) + ... + 4.
    Summed: 1 + 4(2**depth - 1) + (2**depth - 1) + 4 * 2**depth + 4(2**depth - 1).
    """
    return 13 * 2**depth - 8


def head_gives_logits(model: keras.Model) -> bool:
    """True when the model's last layer has no activation (it outputs logits)."""
    activation = getattr(model.layers[-1], "activation", None)
    return getattr(activation, "__name__", "") == "linear"


def forward_flops(model: keras.Model) -> int:
    """Floating-point operations of one forward pass for one image, counting the convolutions.

    A convolution computes H_out x W_out x C_out values, each a sum of
    k_h x k_w x C_in products: 2 operations per product (multiply, add). A
    transposed convolution paints k_h x k_w x C_out values for each of its
    H_in x W_in x C_in inputs, the same count from the other side. Batch norm,
    ReLU, pooling, concatenation and resizing cost a few operations per value
    and are left out. The model needs a fixed input size.
    """
    total = 0
    for layer in model.layers:
        if not isinstance(layer, (layers.Conv2D, layers.Conv2DTranspose)):
            continue
        in_shape, out_shape = layer.input.shape, layer.output.shape
        if None in (*in_shape[1:3], *out_shape[1:3]):
            raise ValueError(f"{model.name} takes any image size: build it for a fixed "
                             "size to count its operations.")
        kernel = layer.kernel_size[0] * layer.kernel_size[1] * in_shape[-1] * out_shape[-1]
        positions = (in_shape[1] * in_shape[2] if isinstance(layer, layers.Conv2DTranspose)
                     else out_shape[1] * out_shape[2])
        total += 2 * positions * kernel
    return int(total)
