"""Training on generated data really learns, resumes after an interruption, and reloads."""

import csv
import json

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
    model scores the pet share (about 0.15 on generated data); 0.6 needs real shapes.
    The smoke network at 48 px instead of 64 (0.68 here, in half the time)."""
    smoke, _, _ = data
    profile = type(smoke)(**{**smoke.as_dict(), "image_size": 48})
    options = dict(source="generated", image_size=48, verbose=False)
    train = uh.load_pets("train", batch_size=profile.batch_size, augment=True, **options)
    val = uh.load_pets("validation", batch_size=16, **options)
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
    with uh.training.use_gpu_speedups() as speedups:
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
    preview = uh.preview.PredictionPreview(images, masks, every=1, folder=tmp_path)
    preview.set_model(model)
    preview.on_epoch_end(0)
    assert (tmp_path / "preview_epoch001.png").stat().st_size > 1000


def test_preview_with_a_time_budget_follows_its_quarters(data, tmp_path):
    profile, _, val = data
    images, masks = next(iter(val))
    model = small_model(profile)
    budget = training.TimeBudget(1)
    preview = uh.preview.PredictionPreview(images[:2], masks[:2], every=1000, folder=tmp_path,
                                           budget=budget)
    preview.set_model(model)
    for epoch, spent in enumerate([5, 14, 16, 17, 29, 44, 60]):  # seconds of 60 after each
        budget.spent = spent
        preview.on_epoch_end(epoch)
    shown = sorted(path.name for path in tmp_path.glob("*.png"))
    assert shown == [f"preview_epoch{n:03d}.png" for n in (3, 6, 7)], shown


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


class FakeClock:
    """A clock that stands still until a :class:`Work` callback moves it."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Work(keras.callbacks.Callback):
    """Makes time pass on a fake clock: ``batch`` seconds a training batch, ``validation``
    seconds a validation pass, ``epoch_end`` seconds of other callbacks after each epoch.

    List it before the budget: Keras calls callbacks in order, so the budget reads the clock
    after the work is done. ``last`` is the clock when training ended.
    """

    def __init__(self, clock, batch=1.0, validation=0.0, epoch_end=0.0):
        super().__init__()
        self.clock, self.batch, self.validation, self.epoch_end = (
            clock, batch, validation, epoch_end)

    def on_train_batch_end(self, batch, logs=None):
        self.clock.now += self.batch

    def on_test_begin(self, logs=None):
        self.clock.now += self.validation

    def on_epoch_end(self, epoch, logs=None):
        self.clock.now += self.epoch_end

    def on_train_end(self, logs=None):
        self.last = self.clock.now


class Recorder(keras.callbacks.Callback):
    """The learning rate each batch trained with."""

    def __init__(self):
        super().__init__()
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):  # after TimeBudget's, before the step
        self.rates.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))


def test_time_budget_counts_validation_and_runs_a_cosine_over_the_clock(tiny):
    profile, train, val = tiny
    clock = FakeClock()
    model = small_model(profile)
    work = Work(clock, batch=1.0, validation=1.0)  # an epoch: 8 batches, then 1 s validating
    budget = training.TimeBudget(30 / 60, clock=clock)
    record = Recorder()
    history = model.fit(train.repeat(), epochs=50, steps_per_epoch=8, validation_data=val,
                        verbose=0, callbacks=[work, budget, record])
    # the first batch compiles and does not count; after it, 26 batches and 4 validations
    # fill the 30 s (a clock of training batches alone would have taken 30 of them)
    assert int(model.optimizer.iterations) == 27 and len(record.rates) == 27
    assert len(history.history["val_loss"]) == 4, "the cut epoch is validated, in the budget"
    assert work.last - 1.0 == budget.spent == 30.0, "ends on the budget, validation included"
    assert budget.batch_seconds == 26.0 and budget.pause == 1.0 and budget.steps == 26
    peak = profile.learning_rate
    assert record.rates[0] == pytest.approx(peak) and record.rates[1] == pytest.approx(peak)
    assert all(a >= b for a, b in zip(record.rates, record.rates[1:])), "falls steadily"
    # epoch 2's last batch: 15 s spent (7 + 1 validating + 7) of the 29 s left for training
    # once the last validation's second is kept (the cosine reaches its floor at the stop)
    halfway = record.rates[15]
    assert halfway == pytest.approx(peak * (0.01 + 0.99 * 0.5 * (1 + np.cos(np.pi * 15 / 29))),
                                    rel=1e-4)
    assert record.rates[-1] < 0.05 * peak and budget.fraction == 1.0
    assert history.history["learning_rate"][-1] == pytest.approx(0.01 * peak, rel=1e-4)


@pytest.mark.parametrize("validation,steps_per_epoch,epoch_end", [(0.0, 7, 0.0),
                                                                  (2.0, 20, 1.0),
                                                                  (4.0, 9, 0.5)])
def test_a_budget_of_n_minutes_ends_within_a_few_percent_of_n(tiny, validation,
                                                               steps_per_epoch, epoch_end):
    """Whatever validating and checkpointing cost, the run ends near its budget: the clock
    keeps the last pause between epochs for the last validation pass."""
    profile, train, val = tiny
    clock = FakeClock()
    work = Work(clock, batch=1.0, validation=validation, epoch_end=epoch_end)
    budget = training.TimeBudget(2, clock=clock)
    small_model(profile).fit(train.repeat(), epochs=1000, steps_per_epoch=steps_per_epoch,
                             validation_data=val, verbose=0, callbacks=[work, budget])
    waited = work.last - 1.0  # the first batch (which compiles) left out
    assert abs(waited - 120) <= 0.03 * 120, f"{waited} s on the clock for a 120 s budget"
    assert budget.spent == waited, "the budget's account is the clock's"
    assert budget.batch_seconds == budget.steps, "one second a batch"


def test_a_stopwatch_times_batches_and_the_whole_fit(tiny):
    profile, train, val = tiny
    clock = FakeClock()
    watch = training.Stopwatch(clock=clock)
    small_model(profile).fit(train.repeat(), epochs=3, steps_per_epoch=5, validation_data=val,
                             verbose=0, callbacks=[Work(clock, 2.0, 3.0, 0.5), watch])
    assert watch.steps == 14 and watch.batch_seconds == 28.0, "the first batch left out"
    assert watch.wall_seconds == 28.0 + 3 * (3.0 + 0.5), "validation and callbacks count"
    assert watch.pause == 3.5 and watch.steps_per_second == 0.5


def test_time_budget_resumes_its_clock_and_leaves_a_schedule_alone(tiny, tmp_path):
    profile, train, _ = tiny
    state = tmp_path / "clock.json"
    # an earlier run spent 15 of 20 seconds, from a peak of 0.004; the restored optimizer
    # (BackupAndRestore) holds the rate it had reached, which must not become the new peak
    state.write_text('{"seconds_spent": 15.0, "peak": 0.004}')
    model = small_model(profile)
    model.optimizer.learning_rate = 0.0006
    record, clock = Recorder(), FakeClock()
    budget = training.TimeBudget(20 / 60, clock=clock, state_file=state)
    model.fit(train.repeat(), epochs=50, steps_per_epoch=4, verbose=0,
              callbacks=[Work(clock), budget, record])
    assert len(record.rates) == 6, "five seconds were left; the first batch compiles again"
    assert record.rates[0] == pytest.approx(0.004 * (0.01 + 0.99 * 0.5 * (1 + np.cos(
        0.75 * np.pi))), rel=1e-4), "three quarters down the first run's cosine"
    saved = json.loads(state.read_text())
    assert saved["seconds_spent"] == 20.0 and saved["peak"] == 0.004
    assert saved["batch_seconds"] == 5.0, "the batches of this run"

    scheduled = uh.compile_model(small_model(profile), learning_rate=1e-3, decay_steps=100)
    record, clock = Recorder(), FakeClock()
    scheduled.fit(train.repeat(), epochs=50, steps_per_epoch=4, verbose=0,
                  callbacks=[Work(clock), training.TimeBudget(3 / 60, clock=clock), record])
    assert len(record.rates) == 4, "stopped by the clock"
    expected = keras.optimizers.schedules.CosineDecay(1e-3, 100, alpha=0.01)
    assert record.rates[-1] == pytest.approx(float(expected(3)), rel=1e-4), "its own schedule"
    with pytest.raises(ValueError, match="positive number of minutes"):
        training.TimeBudget(0)


def test_make_callbacks_keeps_the_clock_only_for_a_resumed_run(tmp_path):
    (tmp_path / "clock.json").write_text('{"seconds_spent": 5.0}')
    callbacks = uh.make_callbacks(tmp_path, minutes=2)
    assert isinstance(callbacks[-1], training.TimeBudget) and callbacks[-1].seconds == 120
    assert not (tmp_path / "clock.json").exists(), "a new run starts a new clock"
    (tmp_path / "backup").mkdir()
    (tmp_path / "clock.json").write_text('{"seconds_spent": 5.0}')
    uh.make_callbacks(tmp_path, minutes=2)
    assert (tmp_path / "clock.json").exists(), "a resumed run keeps it"


def test_best_or_quick_model_trains_a_stand_in_then_loads_the_checkpoint(tmp_path, capsys):
    profile = uh.get_profile("smoke")
    model = uh.trained.best_or_quick_model(tmp_path, profile, "generated")
    said = capsys.readouterr().out
    assert "No checkpoint best.keras" in said and "quick stand-in" in said
    assert model.input_shape == (None, profile.image_size, profile.image_size, 3)
    planned = profile.steps_per_epoch * profile.epochs
    assert int(model.optimizer.iterations) == planned, "the profile's whole (small) budget"
    model.save(tmp_path / "best.keras")
    loaded = uh.trained.best_or_quick_model(tmp_path, profile, "generated")
    assert "Loaded the best model" in capsys.readouterr().out
    for mine, theirs in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
