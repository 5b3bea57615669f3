"""The settings a GPU run uses (mixed precision, XLA, MirroredStrategy), run on this CPU.

A Colab GPU turns on mixed precision and XLA; several GPUs take the
MirroredStrategy path. Both compile on a CPU too, only slowly, so every loss
and metric the package compiles with is trained, evaluated, saved, reloaded
and exported here under those settings, at tiny sizes.
"""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import unet_helpers as uh
from unet_helpers import evaluation, export, training

pytestmark = pytest.mark.as_user  # the full tier: a GPU run's settings, recreated on the CPU

SIZE = 32


def tiny_data(mask_mode, weights=None):
    data = uh.load_pets("train", source="generated", image_size=SIZE, batch_size=4, limit=8,
                        mask_mode=mask_mode, verbose=False)
    if weights is not None:
        data = training.with_pixel_weights(data, weights)
    return data


def pixel_classifier(mask_mode):
    """The smallest segmentation model: a 3x3 convolution, batch norm and a 1x1 head.

    The losses and metrics see exactly what a U-Net gives them, and XLA compiles
    it in seconds on a CPU (a U-Net takes half a minute).
    """
    classes = 1 if mask_mode == "binary" else 3
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    x = keras.layers.Activation("relu")(keras.layers.BatchNormalization()(x))
    outputs = keras.layers.Conv2D(classes, 1, dtype="float32", name="head",
                                  activation="sigmoid" if classes == 1 else "softmax")(x)
    return keras.Model(inputs, outputs)


def build_and_compile(setting, mask_mode, loss, build=pixel_classifier):
    strategy = (tf.distribute.MirroredStrategy(["/cpu:0"]) if setting == "mirrored"
                else tf.distribute.get_strategy())
    with uh.training.use_gpu_speedups(setting != "xla", strategy=strategy) as speedups, \
            strategy.scope():
        model = build(mask_mode)
        uh.compile_model(model, mask_mode=mask_mode, loss=loss, learning_rate=1e-2,
                         jit_compile=setting == "xla" or speedups["jit_compile"])
    return model, speedups


CASES = [  # (setting, mask mode, loss, per-pixel weights)
    ("mixed+xla", "binary", "crossentropy+dice", None),
    ("mixed+xla", "trimap", "dice", None),
    ("xla", "binary", "crossentropy", [0.5, 2.0]),
    ("mirrored", "binary", "crossentropy+dice", [0.5, 2.0]),
    ("mirrored", "trimap", "crossentropy", None),
]


@pytest.mark.parametrize("setting, mask_mode, loss, weights", CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_losses_and_metrics_train_and_agree_with_numpy(setting, mask_mode, loss, weights):
    model, speedups = build_and_compile(setting, mask_mode, loss)
    assert keras.mixed_precision.global_policy().name == "float32", "policy restored"
    assert model.jit_compile == setting.endswith("xla")
    assert (model.layers[1].dtype_policy.name == "mixed_float16") == (setting != "xla")
    assert model.layers[-1].dtype_policy.name == "float32", "the head stays float32"
    if setting == "mirrored":
        assert not speedups["jit_compile"], "XLA stays off under MirroredStrategy, as in Keras"
    history = model.fit(tiny_data(mask_mode, weights), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    data = tiny_data(mask_mode)
    scores = model.evaluate(data, return_dict=True, verbose=0)
    predictions = evaluation.predict_dataset(model, data)
    classes = 2 if mask_mode == "binary" else 3
    pet = 1 if mask_mode == "binary" else 0
    report = evaluation.evaluate_masks(predictions.truths, predictions.labels(), classes)
    assert scores["pet_iou"] == pytest.approx(report["iou"][str(pet)], abs=1e-4)
    assert scores["mean_iou"] == pytest.approx(report["mean_iou"], abs=1e-4)
    assert scores["pet_dice"] == pytest.approx(report["dice"][str(pet)], abs=1e-4)
    assert scores["pixel_accuracy"] == pytest.approx(report["pixel_accuracy"], abs=1e-4)


def test_the_environment_switch_gives_a_gpu_runs_settings(monkeypatch):
    monkeypatch.setenv(training.GPU_SETTINGS_ENV_VAR, "1")
    with uh.training.use_gpu_speedups() as speedups:
        assert speedups == {"mixed_precision": True, "jit_compile": True}
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
        inside = uh.build_unet((SIZE, SIZE, 3), base_filters=4, depth=2)
    outside = uh.build_unet((SIZE, SIZE, 3), base_filters=4, depth=2)
    assert inside.layers[1].dtype_policy.name == "mixed_float16"
    assert outside.layers[1].dtype_policy.name == "float32"
    assert uh.training.distribution_strategy() is tf.distribute.get_strategy()

    monkeypatch.setenv(training.GPU_SETTINGS_ENV_VAR, "mirrored")
    strategy = uh.training.distribution_strategy()
    assert isinstance(strategy, tf.distribute.MirroredStrategy)
    assert strategy.num_replicas_in_sync == 1
    with uh.training.use_gpu_speedups(strategy=strategy) as speedups:
        assert speedups == {"mixed_precision": True, "jit_compile": False}

    monkeypatch.setenv(training.GPU_SETTINGS_ENV_VAR, "yes please")
    with pytest.raises(ValueError, match="Unknown UNET_GPU_SETTINGS='yes please'"):
        uh.training.distribution_strategy()


def test_policy_is_restored_even_when_building_fails():
    with pytest.raises(ValueError, match="divisible"):
        with uh.training.use_gpu_speedups(True):
            uh.build_unet((30, 30, 3), depth=2)
    assert keras.mixed_precision.global_policy().name == "float32"


@pytest.fixture(scope="module")
def mixed_model(tmp_path_factory):
    """A model trained with a GPU run's settings (mixed precision and XLA)."""
    keras.utils.set_random_seed(0)
    model, _ = build_and_compile("mixed+xla", "binary", "crossentropy+dice",
                                 build=lambda _: uh.build_unet((SIZE, SIZE, 3), base_filters=4,
                                                               depth=1))
    model.fit(tiny_data("binary"), epochs=2, verbose=0)
    images = np.stack([x.numpy() for x, _ in tiny_data("binary").unbatch().take(6)])
    return model, images, tmp_path_factory.mktemp("mixed")


def test_mixed_model_saves_and_reloads(mixed_model):
    model, images, folder = mixed_model
    path = export.save_keras(model, folder / "unet.keras")
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        keras.models.load_model(path)  # Keras does not rebuild the loss-scaling optimizer
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ... which load_keras says in its docstring, not aloud
        reloaded = export.load_keras(path)
    assert reloaded.layers[1].dtype_policy.name == "mixed_float16", "ready to train on"
    np.testing.assert_array_equal(reloaded.predict(images, verbose=0),
                                  model.predict(images, verbose=0))
    before = model.evaluate(tiny_data("binary"), return_dict=True, verbose=0)
    assert reloaded.evaluate(tiny_data("binary"), return_dict=True, verbose=0) == \
        pytest.approx(before)


def test_exports_come_from_a_float32_copy(mixed_model):
    model, images, folder = mixed_model
    copy = export.float32_copy(model)
    assert {layer.dtype_policy.name for layer in copy.layers} == {"float32"}
    for mine, theirs in zip(copy.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    assert export.float32_copy(copy) is copy
    reference = copy.predict(images, verbose=0)
    # float16 arithmetic moves scores by about 1e-3; the labels hardly change
    mixed = model.predict(images, verbose=0)
    np.testing.assert_allclose(mixed, reference, atol=2e-2)
    assert ((mixed > 0.5) == (reference > 0.5)).mean() >= 0.99

    saved = export.load_saved_model(export.export_saved_model(model, folder / "saved_model"))
    np.testing.assert_allclose(saved(images), reference, atol=1e-5)
    lite = export.load_tflite(export.export_tflite(model, folder / "unet.tflite"))
    scores = lite(images)
    np.testing.assert_allclose(scores, reference, atol=1e-3)
    assert ((scores > 0.5) == (reference > 0.5)).mean() >= 0.999
    assert scores.dtype == np.float32


def test_the_pretrained_unet_trains_and_exports_under_mixed_precision_and_xla(tmp_path):
    """Notebook 09's model with a GPU run's settings: the nested encoder computes in float16
    (its batch norm, frozen, too), the head in float32, and the exports come out float32."""
    keras.utils.set_random_seed(0)
    model, _ = build_and_compile(
        "mixed+xla", "binary", "crossentropy+dice",
        build=lambda _: uh.build_pretrained_unet((SIZE, SIZE, 3), weights=None,
                                                 decoder_filters=(8, 8, 8, 8, 8)))
    encoder = model.get_layer("encoder")
    assert {layer.dtype_policy.name for layer in encoder.layers[1:]} == {"mixed_float16"}
    assert model.get_layer("head").dtype_policy.name == "float32"
    before = [v.numpy().copy() for v in encoder.weights]
    history = model.fit(tiny_data("binary"), epochs=1, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    for mine, theirs in zip(encoder.weights, before):  # frozen under XLA too
        np.testing.assert_array_equal(mine.numpy(), theirs)
    uh.pretrained.unfreeze_encoder(model)
    uh.compile_model(model, learning_rate=1e-3, jit_compile=True)
    assert np.all(np.isfinite(model.fit(tiny_data("binary"), epochs=1, verbose=0)
                              .history["loss"]))
    images = np.stack([x.numpy() for x, _ in tiny_data("binary").unbatch().take(4)])
    copy = export.float32_copy(model)
    assert {layer.dtype_policy.name for layer in copy.get_layer("encoder").layers} == {"float32"}
    reference = copy.predict(images, verbose=0)
    np.testing.assert_allclose(model.predict(images, verbose=0), reference, atol=3e-2)
    lite = export.load_tflite(export.export_tflite(model, tmp_path / "pretrained.tflite"))
    np.testing.assert_allclose(lite(images), reference, atol=1e-3)
