"""build_unet: the seed's network, other configurations, and every input error."""

import keras
import numpy as np
import pytest

from unet_helpers import build_unet, check_input_size, nearest_valid_sizes


def conv(c_in, c_out, kernel=3):
    return kernel * kernel * c_in * c_out + c_out


def expected_params(channels=3, num_classes=1, base=64, depth=4, batch_norm=True,
                    upsampling="transpose"):
    """Parameter count of a U-Net derived from the architecture, independently of Keras."""
    def block(c_in, c):
        return conv(c_in, c) + conv(c, c) + (8 * c if batch_norm else 0)

    widths = [base * 2**level for level in range(depth + 1)]
    total, c_in = 0, channels
    for level in range(depth):
        total += block(c_in, widths[level])
        c_in = widths[level]
    total += block(c_in, widths[depth])
    for level in reversed(range(depth)):
        kernel = 2 if upsampling == "transpose" else 3
        total += conv(widths[level + 1], widths[level], kernel)
        total += block(2 * widths[level], widths[level])
    return total + conv(widths[0], num_classes, kernel=1)


def trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_seed_network_has_the_tutorials_parameter_counts():
    model = build_unet((512, 512, 3))
    assert model.count_params() == 31_055_297 == expected_params()
    assert trainable_count(model) == 31_043_521
    assert model.name == "U-Net"
    assert model.output.shape == (None, 512, 512, 1)
    assert model.get_layer("head").activation.__name__ == "sigmoid"


def test_seed_network_layer_sequence():
    model = build_unet((512, 512, 3))
    block = ["Conv2D", "BatchNormalization", "Activation"] * 2
    expected = ["InputLayer"]
    expected += (block + ["MaxPooling2D"]) * 4
    expected += block
    expected += (["Conv2DTranspose", "Concatenate"] + block) * 4
    expected += ["Conv2D"]
    assert [type(layer).__name__ for layer in model.layers] == expected
    filters = [layer.filters for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert filters[:10:2] == [64, 128, 256, 512, 1024]


@pytest.mark.parametrize(
    "options",
    [
        dict(channels=1, num_classes=3, base=16, depth=4),
        dict(channels=3, num_classes=1, base=8, depth=3, batch_norm=False),
        dict(channels=4, num_classes=2, base=12, depth=2, upsampling="resize"),
    ],
)
def test_other_configurations_match_the_formula(options):
    model = build_unet(
        (64, 64, options["channels"]),
        num_classes=options["num_classes"],
        base_filters=options["base"],
        depth=options["depth"],
        batch_norm=options.get("batch_norm", True),
        upsampling=options.get("upsampling", "transpose"),
    )
    assert model.count_params() == expected_params(**options)
    assert model.output.shape == (None, 64, 64, options["num_classes"])


def test_heads():
    assert build_unet((32, 32, 3), 3, 4, 2).get_layer("head").activation.__name__ == "softmax"
    logits = build_unet((32, 32, 3), 3, 4, 2, output_activation="linear")
    assert logits.get_layer("head").activation.__name__ == "linear"
    forced = build_unet((32, 32, 3), 1, 4, 2, output_activation="softmax")
    assert forced.get_layer("head").activation.__name__ == "softmax"


def test_options_change_the_layers():
    plain = build_unet((32, 32, 3), base_filters=4, depth=2, batch_norm=False, dropout=0.3,
                       upsampling="resize")
    kinds = [type(layer).__name__ for layer in plain.layers]
    assert "BatchNormalization" not in kinds
    assert kinds.count("Dropout") == 5  # two encoders, the bridge, two decoders
    assert kinds.count("UpSampling2D") == 2 and "Conv2DTranspose" not in kinds
    assert plain.get_layer("enc1_dropout").rate == pytest.approx(0.3)


def test_bn_momentum_reaches_every_batch_norm():
    default = build_unet((32, 32, 3), base_filters=4, depth=2)
    short = build_unet((32, 32, 3), base_filters=4, depth=2, bn_momentum=0.9)
    momenta = {layer.momentum for layer in short.layers
               if isinstance(layer, keras.layers.BatchNormalization)}
    assert momenta == {0.9}
    assert {layer.momentum for layer in default.layers if hasattr(layer, "momentum")} == {0.99}


def test_stage_names():
    model = build_unet((32, 32, 3), base_filters=4, depth=2, name="tiny")
    assert model.name == "tiny"
    stages = []
    for layer in model.layers:
        stage = layer.name.split("_")[0]
        if stage not in stages:
            stages.append(stage)
    assert stages == ["image", "enc1", "enc2", "bridge", "dec1", "dec2", "head"]


def test_fully_convolutional_model_runs_on_two_sizes():
    model = build_unet((None, None, 3), num_classes=2, base_filters=4, depth=2)
    for height, width in [(8, 12), (20, 4)]:
        out = model.predict(np.zeros((2, height, width, 3), np.float32), verbose=0)
        assert out.shape == (2, height, width, 2)
        np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "shape, depth, words",
    [
        ((500, 512, 3), 4, ["height 500", "divisible by 2**depth = 16", "496 or 512"]),
        ((512, 100, 3), 4, ["width 100", "96 or 112"]),
        ((24, 24, 3), 4, ["height 24", "16 or 32"]),
        ((36, 36, 3), 3, ["2**depth = 8", "32 or 40"]),
        ((128, 128), 4, ["no channel dimension", "(128, 128, 3)", "(128, 128, 1)"]),
        ((1, 128, 128, 3), 4, ["4 dimensions", "Leave the batch size out"]),
        ((128, 128, 0), 4, ["channel count must be a positive integer"]),
        ((128, 128, None), 4, ["channel count"]),
        ((-16, 128, 3), 4, ["height must be a positive integer"]),
        (128, 4, ["tuple (height, width, channels)"]),
    ],
)
def test_bad_input_shapes_name_the_problem_and_the_fix(shape, depth, words):
    with pytest.raises(ValueError) as info:
        build_unet(shape, depth=depth)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(
    "options, words",
    [
        (dict(num_classes=0), ["num_classes must be a positive integer, got 0"]),
        (dict(num_classes=2.5), ["num_classes"]),
        (dict(base_filters=-8), ["base_filters must be a positive integer", "64"]),
        (dict(base_filters=True), ["base_filters"]),
        (dict(depth=0), ["depth must be a positive integer", "depth=4"]),
        (dict(output_activation="relu"), ["Unknown output_activation 'relu'", "'softmax'"]),
        (dict(upsampling="nearest"), ["Unknown upsampling 'nearest'", "'transpose'", "'resize'"]),
        (dict(dropout=1.0), ["dropout must be a rate in [0, 1)"]),
        (dict(dropout=-0.1), ["dropout"]),
        (dict(bn_momentum=1.0), ["bn_momentum must be in [0, 1)"]),
    ],
)
def test_bad_options_name_the_problem_and_the_fix(options, words):
    with pytest.raises(ValueError) as info:
        build_unet((64, 64, 3), **options)
    for word in words:
        assert word in str(info.value)


def test_check_input_size_accepts_valid_and_none():
    check_input_size(None, 48, depth=4)
    check_input_size(32, None, depth=5)
    with pytest.raises(ValueError, match="width 51"):
        check_input_size(None, 51, depth=1)


def test_nearest_valid_sizes():
    assert nearest_valid_sizes(500, 4) == (496, 512)
    assert nearest_valid_sizes(5, 4) == (16, 16)
    assert nearest_valid_sizes(64, 3) == (64, 64)
