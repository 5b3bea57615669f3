"""Export round trips: .keras and SavedModel equal the original, TF Lite within tolerance."""

import keras
import numpy as np
import pytest

import unet_helpers as uh
from unet_helpers import export


def scratch_unet():
    return uh.build_unet((32, 32, 3), base_filters=4, depth=2)


def pretrained_unet():  # notebook 09's model: a nested MobileNetV2 encoder (random weights)
    return uh.build_pretrained_unet((32, 32, 3), weights=None, decoder_filters=(8, 8, 8, 8, 8))


@pytest.fixture(scope="module", params=[scratch_unet, pretrained_unet],
                ids=["scratch", "pretrained"])
def trained(tmp_path_factory, request):
    keras.utils.set_random_seed(0)
    model = request.param()
    uh.compile_model(model, learning_rate=1e-2)
    data = uh.load_pets("train", source="generated", image_size=32, batch_size=8, limit=16,
                        verbose=False)
    model.fit(data, epochs=1, verbose=0)  # moves batch-norm statistics away from defaults
    images = np.stack([x.numpy() for x, _ in data.unbatch().take(6)])
    return model, images, tmp_path_factory.mktemp("export")


def test_keras_file_round_trip(trained):
    model, images, folder = trained
    path = export.save_keras(model, folder / "unet.keras")
    reloaded = keras.models.load_model(path)
    np.testing.assert_array_equal(reloaded.predict(images, verbose=0),
                                  model.predict(images, verbose=0))
    assert type(reloaded.loss).__name__ == "CrossEntropyDiceLoss"


def test_saved_model_round_trip(trained):
    model, images, folder = trained
    path = export.export_saved_model(model, folder / "saved_model")
    assert (path / "saved_model.pb").exists()
    predict = export.load_saved_model(path)
    np.testing.assert_allclose(predict(images), model.predict(images, verbose=0), atol=1e-6)


def test_tflite_within_tolerance(trained, capfd):
    model, images, folder = trained
    path = export.export_tflite(model, folder / "unet.tflite")
    capfd.readouterr()
    predict = export.load_tflite(path)
    predict(images[:1])
    assert "XNNPACK" not in capfd.readouterr().err, "the runtime's INFO line stays out"
    reference = model.predict(images, verbose=0)
    scores = predict(images)
    assert scores.shape == reference.shape
    np.testing.assert_allclose(scores, reference, atol=1e-3)
    assert ((scores > 0.5) == (reference > 0.5)).mean() >= 0.999
    saved = export.export_saved_model(model, folder / "saved_model_to_compare")  # any process
    assert 0 < export.file_size_mb(path) < export.file_size_mb(saved)


def test_timing_and_bad_names(trained):
    model, images, folder = trained
    assert export.time_per_image(lambda x: model.predict_on_batch(x), images, repeats=2) > 0
    with pytest.raises(ValueError, match="must end in .keras"):
        export.save_keras(model, folder / "unet.h5")
    with pytest.raises(ValueError, match="should end in .tflite"):
        export.export_tflite(model, folder / "unet.lite")
