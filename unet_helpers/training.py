"""Training helpers: strategy, GPU speed-ups, compile, callbacks, pixel weights.

The notebooks call these so that the same few lines train on a laptop CPU,
one GPU, or several GPUs (through ``tf.distribute``). This module takes
datasets, it does not load them, and it draws nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .losses import make_loss
from .metrics import segmentation_metrics
from .model import build_unet, head_gives_logits

# Keras 3 warns on every fit() with a tf.data pipeline that its default shuffle=True is
# ignored. Our pipelines shuffle themselves (load_pets), so the warning is only noise.
warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed", category=UserWarning)


GPU_SETTINGS_ENV_VAR = "UNET_GPU_SETTINGS"
GPU_SETTINGS = {"": None, "0": None, "off": None, "1": "gpu", "on": "gpu", "mirrored": "mirrored"}


def gpu_settings_forced() -> str | None:
    """``"gpu"`` or ``"mirrored"`` when ``UNET_GPU_SETTINGS`` asks for a GPU run's settings.

    ``UNET_GPU_SETTINGS=1`` runs a notebook with exactly what a one-GPU run
    (Colab) uses, mixed precision and XLA, whatever the hardware; ``mirrored``
    adds the several-GPU code path (``MirroredStrategy``, here with one replica).
    On a CPU this is slow, so it is for testing those code paths at small sizes.
    """
    value = os.environ.get(GPU_SETTINGS_ENV_VAR, "").strip().lower()
    if value not in GPU_SETTINGS:
        raise ValueError(f"Unknown {GPU_SETTINGS_ENV_VAR}={value!r}: use 1 (mixed precision "
                         "and XLA, as on one GPU), mirrored (also MirroredStrategy) or 0.")
    return GPU_SETTINGS[value]


def distribution_strategy() -> tf.distribute.Strategy:
    """``MirroredStrategy`` over several GPUs, else the default (one device) strategy.

    Build and compile the model inside ``with strategy.scope():`` so that its
    weights are created on every device; Keras then splits each batch.
    ``UNET_GPU_SETTINGS=mirrored`` takes the ``MirroredStrategy`` path on one device.
    """
    gpus = tf.config.list_physical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    if gpu_settings_forced() == "mirrored":
        return tf.distribute.MirroredStrategy(["/gpu:0" if gpus else "/cpu:0"])
    return tf.distribute.get_strategy()


@contextlib.contextmanager
def use_gpu_speedups(enable: bool | None = None, *, strategy=None):
    """Mixed precision and XLA on a GPU, plain float32 on a CPU, for the models built inside.

    Use it around building and compiling a model::

        with uh.training.use_gpu_speedups(strategy=strategy) as speedups, strategy.scope():
            model = uh.build_unet(...)
            uh.compile_model(model, jit_compile=speedups["jit_compile"])

    Mixed precision keeps every weight in float32 but computes the layers in
    float16, which a GPU's tensor cores do several times faster, with half the
    activation memory; Keras then scales the loss so that small float16
    gradients do not round to zero, and the head stays float32. A layer takes
    the policy in force when it is *created*, so the model keeps it after the
    ``with`` block, while models built later are float32 again.

    XLA compiles each training step into fused kernels. It is left off under a
    ``MirroredStrategy`` (Keras does the same for ``jit_compile="auto"``).
    ``enable=None`` means: on when TensorFlow sees a GPU, or when
    ``UNET_GPU_SETTINGS`` asks for a GPU run's settings.
    """
    if enable is None:
        enable = bool(tf.config.list_physical_devices("GPU")) or gpu_settings_forced() is not None
    distributed = strategy is not None and strategy is not tf.distribute.get_strategy()
    settings = {"mixed_precision": bool(enable), "jit_compile": bool(enable and not distributed)}
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16" if enable else "float32")
    try:
        yield settings
    finally:
        keras.mixed_precision.set_global_policy(previous)


def compile_model(model: keras.Model, *, mask_mode: str = "binary",
                  loss: str = "crossentropy+dice", learning_rate: float = 1e-3,
                  decay_steps: int | None = None, weight_decay: float = 0.0,
                  jit_compile: bool | str = "auto") -> keras.Model:
    """Compile with Adam, the named loss and the segmentation metrics; build the optimizer.

    ``from_logits`` is read from the model's head, so loss and metrics always
    agree with it. With ``decay_steps`` the learning rate follows a cosine
    from ``learning_rate`` down to 1 % of it over that many steps. With
    ``weight_decay > 0`` the optimizer is AdamW, which shrinks every weight a
    little at each step (a guard against over-fitting small datasets).
    """
    from_logits = head_gives_logits(model)
    rate = learning_rate
    if decay_steps is not None and (int(decay_steps) != decay_steps or decay_steps < 1):
        raise ValueError(
            f"decay_steps must be a positive number of training steps, got {decay_steps!r}. "
            "A tf.data pipeline of unknown length reports cardinality -2: count its "
            "batches with uh.training.count_batches(dataset) instead.")
    if decay_steps:
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps, alpha=0.01)
    model.compile(
        optimizer=(keras.optimizers.AdamW(rate, weight_decay=weight_decay) if weight_decay
                   else keras.optimizers.Adam(rate)),
        loss=make_loss(loss, from_logits=from_logits),
        metrics=segmentation_metrics(mask_mode, from_logits=from_logits,
                                     channels=model.output_shape[-1]),
        jit_compile=jit_compile,
    )
    # The optimizer's variables (Adam keeps two per weight), made now rather than inside the
    # first traced training step: TensorFlow then traces that step once instead of twice,
    # which saves seconds before the first batch (about 40 % of it for a small U-Net on a CPU).
    model.optimizer.build(model.trainable_variables)
    return model


class TimeLimit(keras.callbacks.Callback):
    """Stop training after the epoch during which ``minutes`` of training have passed."""

    def __init__(self, minutes: float):
        super().__init__()
        self.seconds = minutes * 60

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if time.perf_counter() - self.started >= self.seconds:
            self.model.stop_training = True


class Stopwatch(keras.callbacks.Callback):
    """How long ``fit`` took on the wall clock, and how much of that was training batches.

    ``wall_seconds`` runs from the start of training to its end: validation,
    callbacks and the start of every epoch included. ``batch_seconds`` counts
    only the time inside training batches. Both leave out the first batch of
    every ``fit``, which traces (and compiles) the training step. ``steps``
    counts the batches timed. ``pause`` is the most recent gap between the
    last batch of one epoch and the first of the next: the validation pass,
    the callbacks (checkpoints, logs, previews) and the next epoch's start.
    """

    def __init__(self, clock=time.perf_counter):
        super().__init__()
        self.clock = clock
        self.wall_seconds = self.batch_seconds = self.pause = 0.0
        self.steps, self.batches = 0, 0
        self._origin = self._began = self._last_end = None
        self._new_epoch = False

    @property
    def steps_per_second(self) -> float:
        """Training steps per second inside batches (times the batch size: images per second)."""
        return self.steps / self.batch_seconds if self.batch_seconds else float("nan")

    def on_train_begin(self, logs=None):
        self.batches = 0
        self._origin = self._last_end = None
        self._before = self.wall_seconds  # an earlier fit (or a resumed run) counted this

    def on_epoch_begin(self, epoch, logs=None):
        self._new_epoch = True

    def on_train_batch_begin(self, batch, logs=None):
        self._began = self.clock()
        if self._new_epoch and self._last_end is not None:
            self.pause = self._began - self._last_end
        self._new_epoch = False

    def on_train_batch_end(self, batch, logs=None):
        now = self._last_end = self.clock()
        self.batches += 1
        if self.batches == 1:  # the first batch of every fit traces (and compiles) the step
            self._origin = now
            return
        self.steps += 1
        self.batch_seconds += now - self._began
        self.wall_seconds = self._before + now - self._origin

    def on_epoch_end(self, epoch, logs=None):
        if self._origin is not None:  # validation and the callbacks before this one count
            self.wall_seconds = self._before + self.clock() - self._origin

    def on_train_end(self, logs=None):
        self.on_epoch_end(-1)


class TimeBudget(Stopwatch):
    """Train for ``minutes`` on the wall clock, with the learning rate on a cosine over that time.

    A budget in steps takes as long as the machine makes it take: 2,000 steps
    of the ``cpu`` profile took 12.5 minutes one day and about an hour the next,
    and a run cut off by the clock half-way down a step cosine ends with a
    learning rate still far from small. This callback counts time instead:
    the wall-clock time of the whole ``fit``, validation passes and other
    callbacks included, so that "15 minutes" is 15 minutes a user waits. Only
    the first batch of each ``fit`` is left out: it traces and compiles the
    step, which takes as long as it takes. While training:

    - when the optimizer has a constant learning rate (compiled without
      ``decay_steps``), it sets the rate before every batch, on a cosine from
      that rate down to ``floor`` times it at the end of the budget;
      with a schedule of its own the optimizer keeps it, and only the stop applies;
    - it stops training when what is spent plus the last pause between two
      epochs (a validation pass and the callbacks: see :class:`Stopwatch`)
      reaches the budget. The epoch under way ends early, is validated in the
      time kept for it, and the callbacks see it as the last one. At the end
      of an epoch it stops when one more batch and its validation would
      overshoot the budget by more than stopping falls short of it.

    Put it last in the callbacks list, so that the pauses it measures
    include the other callbacks' work.

    ``state_file`` (a JSON file) keeps the time spent and the peak rate across
    an interrupted run: written after every epoch, read at the start of
    training, so a run resumed by ``BackupAndRestore`` (whose backup also
    restores the lowered rate) continues the cosine where it stopped, to
    within one epoch. ``peak`` is the cosine's start; by default the
    optimizer's rate when training first begins. ``fraction`` is the share
    of the budget spent so far (0 to 1); ``spent`` the seconds spent.
    """

    def __init__(self, minutes: float, *, peak: float | None = None, floor: float = 0.01,
                 state_file=None, clock=time.perf_counter):
        super().__init__(clock)
        if not minutes or minutes <= 0:
            raise ValueError(f"minutes must be a positive number of minutes, got {minutes!r}.")
        self.seconds, self.floor = float(minutes) * 60, floor
        self.state_file = Path(state_file) if state_file else None
        self.peak = peak
        self._scheduled = False

    @property
    def spent(self) -> float:
        return self.wall_seconds

    @spent.setter
    def spent(self, seconds: float) -> None:
        self.wall_seconds = float(seconds)

    @property
    def fraction(self) -> float:
        return min(1.0, self.spent / self.seconds)

    @property
    def training_fraction(self) -> float:
        """How far down the cosine: the share of the time left for training batches spent.

        The budget less the time kept for the last validation (the last pause), so that the
        rate reaches its floor when the clock stops training, not after the last validation.
        """
        return min(1.0, self.spent / max(self.seconds - self.pause, 0.5 * self.seconds))

    def rate(self, fraction: float) -> float:
        """The learning rate after ``fraction`` of the budget (the cosine)."""
        cosine = 0.5 * (1 + np.cos(np.pi * min(1.0, fraction)))
        return self.peak * (self.floor + (1 - self.floor) * cosine)

    def on_train_begin(self, logs=None):
        if self.state_file and self.state_file.is_file():
            state = json.loads(self.state_file.read_text())
            self.spent = float(state["seconds_spent"])
            self.batch_seconds = float(state.get("batch_seconds", self.batch_seconds))
            self.pause = float(state.get("pause", self.pause))
            self.peak = state.get("peak") or self.peak
        super().on_train_begin(logs)
        optimizer = getattr(self.model.optimizer, "inner_optimizer", self.model.optimizer)
        learning_rate = optimizer._learning_rate  # the schedule itself, when there is one
        self._scheduled = isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule)
        if not self._scheduled and self.peak is None:
            self.peak = float(keras.ops.convert_to_numpy(learning_rate))

    def on_train_batch_begin(self, batch, logs=None):
        if not self._scheduled:
            optimizer = getattr(self.model.optimizer, "inner_optimizer", self.model.optimizer)
            optimizer.learning_rate = self.rate(self.training_fraction)
        super().on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.spent + self.pause >= self.seconds:  # keep the time for the last validation
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if self.steps and not self.model.stop_training:
            # stop now, a little short, when one more batch and its validation would overshoot
            # the budget by more: the run then ends as near the budget as it can
            one_more = self.batch_seconds / self.steps + self.pause
            if self.spent + one_more - self.seconds > self.seconds - self.spent:
                self.model.stop_training = True
        if logs is not None and not self._scheduled:
            logs["learning_rate"] = self.rate(self.training_fraction)
        if self.state_file:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            self.state_file.write_text(json.dumps({
                "seconds_spent": self.spent, "budget_seconds": self.seconds,
                "batch_seconds": self.batch_seconds, "pause": self.pause,
                "peak": None if self._scheduled else self.peak}))


def make_callbacks(run_dir, *, monitor: str = "val_pet_iou", patience: int = 10,
                   tensorboard: bool = False, minutes: float | None = None) -> list:
    """The callbacks of notebook 04, all writing under ``run_dir``.

    - ``best.keras``: the best model so far by ``monitor`` (higher is better);
    - early stopping after ``patience`` epochs without improvement;
    - ``log.csv``: one row of metrics per epoch (appended on resume);
    - ``backup/``: ``BackupAndRestore``, so an interrupted ``fit`` resumes at
      the epoch where it stopped;
    - optionally TensorBoard logs, and with ``minutes`` a :class:`TimeBudget`
      (last in the list) whose time spent is kept in ``clock.json`` for a resume.

    (The live prediction preview of notebook 04 draws pictures, so it lives in
    :mod:`unet_helpers.preview`; append it to this list.)
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    log = run_dir / "log.csv"
    best_so_far = None
    clock = run_dir / "clock.json"
    if (run_dir / "backup").exists():  # resuming an interrupted run: keep its log and best
        best_so_far = best_logged(log, monitor)
    else:  # a new run in an old folder: start a new log and a new clock
        log.unlink(missing_ok=True)
        clock.unlink(missing_ok=True)
    callbacks = [
        keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
        keras.callbacks.ModelCheckpoint(str(run_dir / "best.keras"), monitor=monitor,
                                        mode="max", save_best_only=True,
                                        initial_value_threshold=best_so_far),
        keras.callbacks.EarlyStopping(monitor=monitor, mode="max", patience=patience),
        keras.callbacks.CSVLogger(str(log), append=True),
    ]
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(str(run_dir / "tensorboard")))
    if minutes:
        callbacks.append(TimeBudget(minutes, state_file=clock))
    return callbacks


def best_logged(log_path, monitor: str):
    """The highest ``monitor`` value in a CSV log, or None when there is none."""
    import csv

    try:
        with open(log_path) as handle:
            values = [float(row[monitor]) for row in csv.DictReader(handle) if row.get(monitor)]
    except (OSError, KeyError, ValueError):
        return None
    return max(values) if values else None


def count_batches(dataset: tf.data.Dataset) -> int:
    """Batches in one pass of ``dataset``: its cardinality when known, else counted.

    Counting iterates once over the data, which also fills a ``cache``.
    """
    known = int(dataset.cardinality())
    if known >= 0:
        return known
    return sum(1 for _ in dataset)


def pixel_weights(mask, class_weights) -> tf.Tensor:
    """A weight for every pixel, looked up from its label: shape (..., H, W)."""
    table = tf.constant(class_weights, tf.float32)
    labels = tf.cast(mask, tf.int32)
    if labels.shape[-1] == 1:
        labels = labels[..., 0]
    return tf.gather(table, labels)


def with_pixel_weights(dataset: tf.data.Dataset, class_weights) -> tf.data.Dataset:
    """``(image, mask)`` to ``(image, mask, weights)`` for ``fit``'s per-pixel weighting."""
    return dataset.map(lambda image, mask: (image, mask, pixel_weights(mask, class_weights)),
                       num_parallel_calls=tf.data.AUTOTUNE)


def balanced_weights(counts) -> np.ndarray:
    """One weight per class from its pixel count: inversely proportional to its share, mean 1.

    A class with no pixels counts as one pixel, so its weight is large but finite.
    """
    counts = np.maximum(np.asarray(counts, dtype=float), 1)
    weights = counts.sum() / counts
    return weights / weights.mean()


def balanced_class_weights(dataset: tf.data.Dataset, num_classes: int,
                           batches: int | None = None) -> np.ndarray:
    """:func:`balanced_weights` from the pixels of ``dataset``'s masks (the first ``batches``)."""
    counts = np.zeros(num_classes)
    for index, (_, mask) in enumerate(dataset):
        if batches is not None and index >= batches:
            break
        counts += np.bincount(np.asarray(mask).reshape(-1), minlength=num_classes)[:num_classes]
    return balanced_weights(counts)


def profile_model(profile, decay_steps: int, *, jit_compile="auto") -> keras.Model:
    """A U-Net built and compiled with ``profile``'s settings, for ``decay_steps`` of training.

    Notebook 04 spells these two calls out to teach them; scripts use this.
    """
    model = build_unet((profile.image_size, profile.image_size, 3),
                       base_filters=profile.base_filters, depth=profile.depth,
                       bn_momentum=profile.bn_momentum, dropout=profile.dropout)
    return compile_model(model, loss=profile.loss, learning_rate=profile.learning_rate,
                         decay_steps=decay_steps, weight_decay=profile.weight_decay,
                         jit_compile=jit_compile)
