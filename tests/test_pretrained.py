"""build_pretrained_unet: taps, sizes, weights from a file or Keras's cache, offline, freezing."""

import subprocess
import sys
import textwrap
import time
import warnings

import h5py
import keras
import numpy as np
import pytest

import unet_helpers as uh
from unet_helpers import export, pretrained
from unet_helpers.profiles import PROFILES

SMALL = dict(decoder_filters=(8, 8, 8, 8, 8), weights=None)
MOBILENET_TAPS = ["block_1_expand_relu", "block_3_expand_relu", "block_6_expand_relu",
                  "block_13_expand_relu", "out_relu"]


@pytest.fixture(autouse=True)
def no_weights_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(pretrained.WEIGHTS_ENV_VAR, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))  # an empty cache


def encoder_values(model):
    return [v.numpy().copy() for v in pretrained.encoder_of(model).weights]


def test_taps_at_every_stride_and_the_heads_conventions():
    model = uh.build_pretrained_unet((64, 64, 3), **SMALL)
    rows = pretrained.stage_rows(model)
    assert [row["layer"] for row in rows] == MOBILENET_TAPS
    assert [row["shape"][1:3] for row in rows] == [(32, 32), (16, 16), (8, 8), (4, 4), (2, 2)]
    assert model.output_shape == (None, 64, 64, 1)
    assert model.get_layer("head").dtype_policy.name == "float32"
    assert not pretrained.encoder_of(model).trainable, "frozen by default"
    assert not uh.model.head_gives_logits(model)
    three = uh.build_pretrained_unet((64, 64, 3), num_classes=3, output_activation="linear",
                                     freeze_encoder=False, **SMALL)
    assert three.output_shape == (None, 64, 64, 3) and uh.model.head_gives_logits(three)
    assert pretrained.encoder_of(three).trainable
    assert uh.inference.model_depth(model) == 5 == uh.inference.model_depth(three)
    assert uh.inference.model_depth(uh.build_unet((32, 32, 3), base_filters=2, depth=3)) == 3


def test_preprocessing_maps_our_images_to_mobilenets_range():
    model = uh.build_pretrained_unet((32, 32, 3), **SMALL)
    layer = model.get_layer("preprocess")
    images = np.array([0.0, 0.5, 1.0], np.float32).reshape(1, 1, 3, 1)
    np.testing.assert_allclose(layer(images), [[[[-1.0], [0.0], [1.0]]]])
    # the same as keras.applications' own preprocessing of 0..255 pixels
    pixels = np.random.default_rng(0).integers(0, 256, (2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(layer(pixels / 255.0),
                               keras.applications.mobilenet_v2.preprocess_input(pixels.copy()),
                               atol=1e-6)


@pytest.mark.parametrize("shape, says", [
    ((100, 100, 3), "Resize to 96 or 128"), ((64, 80, 3), "Input width 80"),
    ((16, 16, 3), "at least 32"), ((64, 64, 1), "3 channels"), ((64, 64), "(height, width, 3)"),
])
def test_sizes_that_do_not_fit_say_which_do(shape, says):
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace(")", r"\)")):
        uh.build_pretrained_unet(shape, **SMALL)


def test_bad_arguments_are_named():
    for kwargs, says in [({"encoder": "resnet"}, "Unknown encoder 'resnet'"),
                         ({"decoder_filters": (8, 8)}, "decoder_filters must be 5"),
                         ({"weights": 3}, "weights must be 'imagenet'"),
                         ({"taps": ["out_relu"]}, "taps must name 5")]:
        with pytest.raises(ValueError, match=says):
            uh.build_pretrained_unet((32, 32, 3), **{**SMALL, **kwargs})


def test_any_size_and_prediction_of_a_photo():
    model = uh.build_pretrained_unet((64, 64, 3), **SMALL)
    twin = uh.inference.any_size(model)
    assert twin.input_shape == (None, None, None, 3)
    assert twin.get_layer("encoder").input_shape == (None, None, None, 3)
    photo = np.random.default_rng(0).integers(0, 256, (101, 77, 3), dtype=np.uint8)
    assert uh.predict_mask(model, photo, scale_to=None).shape == (101, 77)
    assert uh.build_pretrained_unet((None, None, 3), **SMALL).output_shape == \
        (None, None, None, 1)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_size_builds(name):
    profile = PROFILES[name]
    size = profile.image_size
    model = uh.build_pretrained_unet((size, size, 3), decoder_filters=profile.decoder_filters,
                                     weights=None)
    assert model.output_shape == (None, size, size, 1)
    assert [row["shape"][1] for row in pretrained.stage_rows(model)] == \
        [size // s for s in pretrained.STRIDES]


def test_weights_from_a_local_file_equal_the_files(tmp_path, monkeypatch):
    keras.utils.set_random_seed(1)
    source = uh.build_pretrained_unet((32, 32, 3), **SMALL)
    path = tmp_path / "encoder.weights.h5"
    pretrained.encoder_of(source).save_weights(path)
    keras.utils.set_random_seed(2)
    loaded = uh.build_pretrained_unet((32, 32, 3), **{**SMALL, "weights": path})
    fresh = uh.build_pretrained_unet((32, 32, 3), **SMALL)
    for mine, theirs in zip(encoder_values(loaded), encoder_values(source)):
        np.testing.assert_array_equal(mine, theirs)
    assert any(not np.array_equal(a, b) for a, b in
               zip(encoder_values(fresh), encoder_values(source))), "a control that differs"
    # the environment variable stands in for the download
    monkeypatch.setenv(pretrained.WEIGHTS_ENV_VAR, str(path))
    from_env = uh.build_pretrained_unet((32, 32, 3), decoder_filters=SMALL["decoder_filters"])
    for mine, theirs in zip(encoder_values(from_env), encoder_values(source)):
        np.testing.assert_array_equal(mine, theirs)


def test_kerass_cache_is_used_before_any_download(tmp_path, monkeypatch):
    """A file in $KERAS_HOME/models in Keras's own (legacy .h5) format, as the download is."""
    keras.utils.set_random_seed(3)
    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False,
                                          weights=None)
    cache = tmp_path / "keras-home" / "models"
    cache.mkdir(parents=True)
    name = pretrained.weights_file_name(32)
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(cache / name, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, base)
    monkeypatch.setattr(pretrained, "reachable", lambda *a, **k: pytest.fail("no check needed"))
    model = uh.build_pretrained_unet((32, 32, 3), weights="imagenet",
                                     decoder_filters=SMALL["decoder_filters"])
    for mine, theirs in zip(encoder_values(model), [v.numpy() for v in base.weights]):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("size", [32, 96, 128, 224, 256])
def test_the_file_table_matches_what_keras_asks_for(size, monkeypatch):
    asked = {}

    def get_file(fname, origin, **kwargs):
        asked.update(fname=fname, origin=origin, subdir=kwargs.get("cache_subdir"))
        raise RuntimeError("asked")

    monkeypatch.setattr("keras.src.utils.file_utils.get_file", get_file)
    with pytest.raises(RuntimeError, match="asked"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras says it uses the 224-pixel file for other sizes
        keras.applications.MobileNetV2(input_shape=(size, size, 3), include_top=False,
                                       weights="imagenet")
    name = pretrained.weights_file_name(size)
    assert asked == {"fname": name, "origin": pretrained.WEIGHTS_URL + name, "subdir": "models"}


def test_a_failed_download_says_what_to_do_in_one_paragraph(monkeypatch):
    monkeypatch.setattr(pretrained, "reachable", lambda *a, **k: True)

    def broken(*args, **kwargs):
        raise OSError("connection reset")

    monkeypatch.setattr(keras.utils, "get_file", broken)
    with pytest.raises(pretrained.WeightsUnavailable) as caught:
        pretrained.resolve_weights("imagenet", 96)
    message = str(caught.value)
    assert "connection reset" in message and pretrained.weights_file_name(96) in message
    assert "weights=None" in message and pretrained.WEIGHTS_ENV_VAR in message
    assert "\n" not in message and caught.value.__cause__ is None
    assert caught.value.__suppress_context__, "no traceback cascade"


def test_paths_that_are_no_weights_file_are_named(tmp_path):
    with pytest.raises(ValueError, match="there is no file"):
        pretrained.resolve_weights(tmp_path / "missing.h5")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="not a weights file"):
        pretrained.resolve_weights(tmp_path / "notes.txt")
    assert pretrained.resolve_weights(None) is None


OFFLINE = textwrap.dedent("""
    import socket, sys, time
    def refuse(*args, **kwargs):
        raise OSError("sockets are blocked in this test")
    socket.socket.connect = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
    import unet_helpers as uh
    began = time.perf_counter()
    try:
        uh.build_pretrained_unet((64, 64, 3))
    except uh.pretrained.WeightsUnavailable as error:
        print(f"{time.perf_counter() - began:.2f}")
        print(error)
    """)


def test_offline_the_learner_gets_one_paragraph_within_seconds(tmp_path):
    env = {"KERAS_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "PYTHONPATH": str(pretrained.Path(uh.__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", OFFLINE], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    seconds, message = done.stdout.strip().split("\n", 1)
    assert float(seconds) < 5
    assert "cannot be reached" in message and "weights=None" in message
    assert pretrained.weights_file_name(64) in message and str(tmp_path) in message
    assert "Traceback" not in done.stderr


def test_reachable_is_bounded_even_when_the_lookup_hangs(monkeypatch):
    import socket

    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: time.sleep(30))
    began = time.perf_counter()
    assert uh.network.reachable("example.invalid", timeout=0.5) is False
    assert time.perf_counter() - began < 2


def train_step(model, learning_rate=1e-2):
    uh.compile_model(model, learning_rate=learning_rate)
    data = uh.load_pets("train", source="generated", image_size=32, batch_size=4, limit=4,
                        verbose=False)
    model.fit(data, epochs=1, verbose=0)


def test_a_frozen_encoder_stays_put_and_an_unfrozen_one_learns_with_bn_in_inference_mode():
    keras.utils.set_random_seed(4)
    model = uh.build_pretrained_unet((32, 32, 3), **SMALL)
    encoder = pretrained.encoder_of(model)
    before = encoder_values(model)
    decoder_before = model.get_layer("dec1_conv1").kernel.numpy().copy()
    train_step(model)
    for mine, theirs in zip(encoder_values(model), before):
        np.testing.assert_array_equal(mine, theirs)  # kernels and batch-norm statistics
    assert not np.array_equal(model.get_layer("dec1_conv1").kernel.numpy(), decoder_before)

    pretrained.unfreeze_encoder(model)
    norms = [layer for layer in encoder.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and not any(layer.trainable for layer in norms)
    before = {v.path: v.numpy().copy() for v in encoder.weights}
    train_step(model)
    after = {v.path: v.numpy() for v in encoder.weights}
    bn_paths = {v.path for layer in norms for v in layer.weights}
    for path in bn_paths:
        np.testing.assert_array_equal(after[path], before[path])  # gamma, beta, moving stats
    kernels = [p for p in before if p.endswith("kernel") and p not in bn_paths]
    assert kernels and all(not np.array_equal(after[p], before[p]) for p in kernels)

    pretrained.freeze_encoder(model)
    assert not encoder.trainable


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    keras.utils.set_random_seed(5)
    model = uh.build_pretrained_unet((32, 32, 3), **SMALL)
    train_step(model)
    images = np.random.default_rng(0).random((3, 32, 32, 3), dtype=np.float32)
    return model, images, tmp_path_factory.mktemp("pretrained")


def test_keras_round_trip_without_custom_objects(saved):
    model, images, folder = saved
    path = export.save_keras(model, folder / "pretrained.keras")
    reloaded = keras.models.load_model(path)  # no custom_objects
    np.testing.assert_array_equal(reloaded.predict(images, verbose=0),
                                  model.predict(images, verbose=0))
    assert not reloaded.get_layer("encoder").trainable
    assert [row["layer"] for row in pretrained.stage_rows(reloaded)] == MOBILENET_TAPS
