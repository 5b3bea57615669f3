"""Training on generated data really learns, resumes after an interruption, and reloads."""

import csv

import keras
import numpy as np
import pytest

import unet_helpers as uh
from unet_helpers import training


@pytest.fixture(scope="module")
def data():
    profile = uh.get_profile("smoke")
    options = dict(source="generated", image_size=profile.image_size, verbose=False)
    train = uh.load_pets("train", batch_size=profile.batch_size, augment=True, **options)
    val = uh.load_pets("validation", batch_size=16, **options)
    return profile, train, val


@pytest.fixture(scope="module")
def tiny():
    """Small images and a small network for tests of the machinery, not of learning."""
    profile = uh.get_profile("smoke")
    profile = type(profile)(**{**profile.as_dict(), "image_size": 32, "base_filters": 4,
                               "depth": 2})
    options = dict(source="generated", image_size=32, verbose=False)
    train = uh.load_pets("train", batch_size=4, augment=True, **options)
    val = uh.load_pets("validation", batch_size=8, limit=16, **options)
    return profile, train, val


def small_model(profile, **kwargs):
    model = uh.build_unet((profile.image_size, profile.image_size, 3),
                          base_filters=profile.base_filters, depth=profile.depth,
                          bn_momentum=profile.bn_momentum, **kwargs)
    return uh.compile_model(model, learning_rate=profile.learning_rate)


def test_smoke_training_learns(data):
    """Justification of 0.6: an all-background model scores 0 pet IoU and an all-pet
    model scores the pet share (about 0.15 on generated data); 0.6 needs real shapes."""
    profile, train, val = data
    keras.utils.set_random_seed(1)
    model = small_model(profile)
    uh.compile_model(model, learning_rate=profile.learning_rate, decay_steps=10 * 15)
    model.fit(train, epochs=10, steps_per_epoch=15, verbose=0)
    scores = model.evaluate(val, return_dict=True, verbose=0)
    assert scores["pet_iou"] > 0.6, scores


class Interrupt(keras.callbacks.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise KeyboardInterrupt("simulated interruption")


def test_interrupted_fit_resumes_from_backup(tiny, tmp_path):
    profile, train, val = tiny
    model = small_model(profile)
    callbacks = uh.make_callbacks(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        model.fit(train, validation_data=val, epochs=4, steps_per_epoch=2, verbose=0,
                  callbacks=callbacks + [Interrupt(2)])
    assert (tmp_path / "backup").exists()
    fresh = small_model(profile)  # a new session: new model, same run directory
    history = fresh.fit(train, validation_data=val, epochs=4, steps_per_epoch=2, verbose=0,
                        callbacks=uh.make_callbacks(tmp_path))
    assert len(history.history["loss"]) == 2, "only epochs 3 and 4 should run again"
    with open(tmp_path / "log.csv") as handle:
        epochs = [int(row["epoch"]) for row in csv.DictReader(handle)]
    assert epochs == [0, 1, 2, 3]
    assert (tmp_path / "best.keras").exists()


def test_saved_model_reloads_without_custom_objects(tiny, tmp_path):
    profile, train, val = tiny
    model = small_model(profile, output_activation="linear")
    model.fit(train, epochs=1, steps_per_epoch=2, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    again = keras.models.load_model(path)
    images = next(iter(val))[0]
    np.testing.assert_array_equal(model.predict(images, verbose=0),
                                  again.predict(images, verbose=0))
    assert type(again.loss).__name__ == "CrossEntropyDiceLoss" and again.loss.from_logits
    before = model.evaluate(val, return_dict=True, verbose=0)
    after = again.evaluate(val, return_dict=True, verbose=0)
    assert after == pytest.approx(before)


def test_pixel_weights_follow_the_labels():
    mask = np.array([[[0], [1]], [[1], [1]]], np.uint8)
    np.testing.assert_allclose(training.pixel_weights(mask, [0.5, 2.0]).numpy(),
                               [[0.5, 2.0], [2.0, 2.0]])
    dataset = uh.load_pets("validation", source="generated", image_size=32, batch_size=4,
                           limit=8, verbose=False)
    weights = training.balanced_class_weights(dataset, 2)
    assert weights[1] > weights[0], "the rarer pet class gets the larger weight"
    image, mask, weight = next(iter(training.with_pixel_weights(dataset, weights)))
    assert weight.shape == mask.shape[:3]


@pytest.mark.skipif(bool(__import__("tensorflow").config.list_physical_devices("GPU")),
                    reason="checks the CPU defaults")
def test_strategy_and_speedups_on_cpu(monkeypatch):
    monkeypatch.delenv(training.GPU_SETTINGS_ENV_VAR, raising=False)
    assert training.distribution_strategy().num_replicas_in_sync == 1
    with uh.use_gpu_speedups() as speedups:
        assert speedups == {"mixed_precision": False, "jit_compile": False}
        assert keras.mixed_precision.global_policy().name == "float32"


def test_unknown_length_cannot_become_a_negative_schedule(tiny):
    profile, train, _ = tiny
    filtered = train.unbatch().filter(lambda image, mask: True).batch(4)
    assert int(filtered.cardinality()) < 0
    with pytest.raises(ValueError, match="count_batches"):
        uh.compile_model(small_model(profile), decay_steps=int(filtered.cardinality()))
    assert uh.training.count_batches(filtered.take(3)) == 3


def test_a_new_run_starts_a_new_log_and_a_resumed_run_keeps_its_best(data, tmp_path):
    profile, train, val = data
    (tmp_path / "log.csv").write_text("epoch,val_pet_iou\n0,0.91\n")
    uh.make_callbacks(tmp_path)
    assert not (tmp_path / "log.csv").exists(), "an old run's log must not be mixed in"
    (tmp_path / "log.csv").write_text("epoch,val_pet_iou\n0,0.5\n1,0.7\n")
    (tmp_path / "backup").mkdir()
    callbacks = uh.make_callbacks(tmp_path)
    checkpoint = next(c for c in callbacks if isinstance(c, keras.callbacks.ModelCheckpoint))
    assert checkpoint.best == pytest.approx(0.7)


def test_preview_draws_three_class_predictions(data, tmp_path):
    profile, _, _ = data
    model = uh.build_unet((32, 32, 3), num_classes=3, base_filters=4, depth=2)
    images = np.random.default_rng(0).random((2, 32, 32, 3)).astype("float32")
    masks = np.zeros((2, 32, 32, 1), "uint8")
    preview = uh.lessons.PredictionPreview(images, masks, every=1, folder=tmp_path)
    preview.set_model(model)
    preview.on_epoch_end(0)
    assert (tmp_path / "preview_epoch001.png").stat().st_size > 1000


def test_weight_decay_switches_to_adamw(data):
    profile, _, _ = data
    model = uh.build_unet((32, 32, 3), base_filters=4, depth=2)
    uh.compile_model(model, weight_decay=0.05)
    assert type(model.optimizer).__name__ == "AdamW"
    assert model.optimizer.weight_decay == pytest.approx(0.05)
    uh.compile_model(model)
    assert type(model.optimizer).__name__ == "Adam"


def test_time_limit_stops_training(tiny):
    profile, train, _ = tiny
    model = small_model(profile)
    history = model.fit(train, epochs=5, steps_per_epoch=1, verbose=0,
                        callbacks=[training.TimeLimit(minutes=0)])
    assert len(history.history["loss"]) == 1


def test_best_or_quick_model_trains_a_stand_in_then_loads_the_checkpoint(tmp_path, capsys):
    profile = uh.get_profile("smoke")
    model = uh.lessons.best_or_quick_model(tmp_path, profile, "generated")
    said = capsys.readouterr().out
    assert "No checkpoint best.keras" in said and "quick stand-in" in said
    assert model.input_shape == (None, profile.image_size, profile.image_size, 3)
    planned = profile.steps_per_epoch * profile.epochs
    assert int(model.optimizer.iterations) == planned, "the profile's whole (small) budget"
    model.save(tmp_path / "best.keras")
    loaded = uh.lessons.best_or_quick_model(tmp_path, profile, "generated")
    assert "Loaded the best model" in capsys.readouterr().out
    for mine, theirs in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
