"""build_unet: the seed's network, other configurations, and every input error."""

import keras
import numpy as np
import pytest

import unet_helpers as uh
from unet_helpers.model import build_unet, check_input_size, nearest_valid_sizes


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


# --- the 2015 paper's unpadded U-Net -------------------------------------------------

def test_valid_padding_gives_the_papers_572_to_388():
    from unet_helpers.model import stage_table, valid_output_size

    model = build_unet((572, 572, 1), num_classes=2, batch_norm=False, padding="valid")
    assert model.output_shape == (None, 388, 388, 2)
    assert model.layers[-1].activation.__name__ == "softmax"
    # the paper's Figure 1: 568 before the first pooling, 28 x 28 x 1024 at the bottom
    assert model.get_layer("enc1_relu2").output.shape[1:3] == (568, 568)
    shapes = {row["stage"]: row["output_shape"][1:] for row in stage_table(model)}
    assert shapes["bridge"] == (28, 28, 1024)
    assert [shapes[f"dec{i}"][:2] for i in (1, 2, 3, 4)] == [(52, 52), (100, 100),
                                                            (196, 196), (388, 388)]
    # crop and copy: 64 -> 56, 136 -> 104, 280 -> 200, 568 -> 392
    crops = [model.get_layer(f"dec{i}_crop").output.shape[1] for i in (1, 2, 3, 4)]
    assert crops == [56, 104, 200, 392]
    # padding changes no weight: the paper's net has the seed's convolutions, minus batch norm
    assert model.count_params() == build_unet((512, 512, 1), num_classes=2,
                                              batch_norm=False).count_params() == 31_030_658
    assert valid_output_size(572) == 388 and valid_output_size(188) == 4
    assert valid_output_size(92, depth=2) == 52


@pytest.mark.parametrize("shape, words", [
    ((512, 512, 3), ["512", "508 or 524"]),
    ((100, 100, 3), ["100", "188"]),
    ((None, None, 3), ["fixed height and width"]),
])
def test_valid_padding_rejects_sizes_it_cannot_use(shape, words):
    with pytest.raises(ValueError) as error:
        build_unet(shape, padding="valid")
    for word in words:
        assert word in str(error.value)


def test_unknown_padding_is_named():
    with pytest.raises(ValueError, match="'same', 'valid'"):
        build_unet((64, 64, 3), padding="full")


# --- receptive field -------------------------------------------------------------------

@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_receptive_field_follows_the_hand_formula(depth):
    from unet_helpers.model import classic_receptive_field, receptive_fields

    model = build_unet((2**depth * 2, 2**depth * 2, 3), base_filters=1, depth=depth)
    rows = receptive_fields(model)
    assert rows[-1] == {"stage": "head", "field": classic_receptive_field(depth), "jump": 1.0}
    assert classic_receptive_field(4) == 200
    # pooling widens the view: each encoder stage sees more than twice as far as the last
    encoders = [row["field"] for row in rows if row["stage"].startswith("enc")]
    assert all(b > 2 * a for a, b in zip(encoders, encoders[1:]))


def _columns_seen(model, size):
    """For each output column of the middle row: how many input columns can change it."""
    for weight in model.weights:  # positive kernels, zero biases: nothing cancels out
        weight.assign(np.full(weight.shape, 0.3 if len(weight.shape) > 1 else 0.0, "float32"))
    row = size // 2
    spikes = np.zeros((size, size, size, 1), "float32")
    spikes[np.arange(size), row, np.arange(size), 0] = 1.0  # one spike per image
    out = model.predict(spikes, batch_size=32, verbose=0)
    scale = size // out.shape[1]
    seen = out[:, row // scale, :, :].max(axis=-1) != 0  # [spike column, output column]
    middle = out.shape[2] // 4, 3 * out.shape[2] // 4
    return seen[:, middle[0]:middle[1]].sum(axis=0)


def test_receptive_field_is_what_one_output_pixel_really_sees():
    """Put a spike at each column of one row and count which inputs reach each output."""
    from unet_helpers.model import receptive_fields

    depth, size = 3, 128
    model = build_unet((size, size, 1), base_filters=1, depth=depth, batch_norm=False,
                       output_activation="linear")
    fields = {row["stage"]: row["field"] for row in receptive_fields(model)}
    # down to the bridge the formula is exact: every pixel sees the same width
    for layer in ("enc1_pool", "enc2_pool", "enc3_pool", "bridge_relu2"):
        part = keras.Model(model.input, model.get_layer(layer).output)
        widths = _columns_seen(part, size)
        assert widths.min() == widths.max() == fields[layer.split("_")[0]], layer
    # after upsampling, neighbours share a field, so widths depend on the position and
    # the formula is a floor that the widest pixels pass by less than one coarse step
    widths = _columns_seen(model, size)
    assert fields["head"] <= widths.max() < fields["head"] + 2 ** depth
    assert widths.min() > 0.75 * fields["head"]


def test_forward_flops_by_hand():
    """A depth-1 U-Net, 32 x 32 RGB, 4 filters: every convolution counted by hand."""
    model = uh.build_unet((32, 32, 3), base_filters=4, depth=1)
    by_hand = 2 * (32 * 32 * 9 * 3 * 4 + 32 * 32 * 9 * 4 * 4      # encoder conv block
                   + 16 * 16 * 9 * 4 * 8 + 16 * 16 * 9 * 8 * 8    # bridge
                   + 16 * 16 * 4 * 8 * 4                          # 2x2 transposed conv, 8 -> 4
                   + 32 * 32 * 9 * 8 * 4 + 32 * 32 * 9 * 4 * 4    # decoder conv block on 4 + 4
                   + 32 * 32 * 1 * 4 * 1)                         # 1x1 head
    assert uh.model.forward_flops(model) == by_hand
    wider = uh.build_unet((32, 32, 3), base_filters=8, depth=1)
    assert 3.5 < uh.model.forward_flops(wider) / by_hand < 4, "twice the width, ~4x the work"
    with pytest.raises(ValueError, match="any image size"):
        uh.model.forward_flops(uh.build_unet((None, None, 3), base_filters=4, depth=1))
