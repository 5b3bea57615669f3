"""Training helpers: strategy, GPU speed-ups, compile, callbacks, pixel weights.

The notebooks call these so that the same few lines train on a laptop CPU,
one GPU, or several GPUs (through ``tf.distribute``).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .losses import make_loss
from .metrics import segmentation_metrics

# Keras 3 warns on every fit() with a tf.data pipeline that its default shuffle=True is
# ignored. Our pipelines shuffle themselves (load_pets), so the warning is only noise.
warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed", category=UserWarning)


def distribution_strategy() -> tf.distribute.Strategy:
    """``MirroredStrategy`` over several GPUs, else the default (one device) strategy.

    Build and compile the model inside ``with strategy.scope():`` so that its
    weights are created on every device; Keras then splits each batch.
    """
    gpus = tf.config.list_physical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def use_gpu_speedups(enable: bool | None = None) -> dict:
    """Mixed precision and XLA compilation on a GPU; plain float32 on a CPU.

    Mixed precision computes in float16 on the GPU's tensor cores (about twice
    as fast, half the activation memory); the model's head stays float32.
    Returns the settings so a notebook can show them.
    """
    if enable is None:
        enable = bool(tf.config.list_physical_devices("GPU"))
    keras.mixed_precision.set_global_policy("mixed_float16" if enable else "float32")
    return {"mixed_precision": enable, "jit_compile": enable}


def head_gives_logits(model: keras.Model) -> bool:
    """True when the model's last layer has no activation (it outputs logits)."""
    activation = getattr(model.layers[-1], "activation", None)
    return getattr(activation, "__name__", "") == "linear"


def compile_model(model: keras.Model, *, mask_mode: str = "binary",
                  loss: str = "crossentropy+dice", learning_rate: float = 1e-3,
                  decay_steps: int | None = None, weight_decay: float = 0.0,
                  jit_compile: bool | str = "auto") -> keras.Model:
    """Compile with Adam, the named loss and the segmentation metrics.

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
        metrics=segmentation_metrics(mask_mode, from_logits=from_logits),
        jit_compile=jit_compile,
    )
    return model


class PredictionPreview(keras.callbacks.Callback):
    """Every ``every`` epochs, predict a fixed set of validation images and show them.

    Watching the same images improve is the quickest way to see whether
    training works ("all background" early on is normal). Each figure is
    also saved to ``folder`` when one is given.
    """

    def __init__(self, images, masks, every: int = 2, folder=None, threshold: float = 0.5):
        super().__init__()
        self.images, self.masks = np.asarray(images), np.asarray(masks)
        self.every, self.threshold = every, threshold
        self.folder = Path(folder) if folder else None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        from . import viz
        from .metrics import labels_from_scores

        scores = self.model.predict(self.images, verbose=0)
        if head_gives_logits(self.model):
            scores = (tf.sigmoid(scores) if scores.shape[-1] == 1
                      else tf.nn.softmax(scores)).numpy()
        labels = labels_from_scores(scores, self.threshold)
        classes = max(2, scores.shape[-1])
        figure = viz.prediction_strip(self.images, self.masks[..., 0], labels,
                                      num_classes=classes, title=f"after epoch {epoch + 1}")
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)
            figure.savefig(self.folder / f"preview_epoch{epoch + 1:03d}.png", dpi=80)
        viz.show(figure)


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


def make_callbacks(run_dir, *, monitor: str = "val_pet_iou", patience: int = 10,
                   preview=None, preview_every: int = 2, tensorboard: bool = False,
                   minutes: float | None = None) -> list:
    """The callbacks of notebook 04, all writing under ``run_dir``.

    - ``best.keras``: the best model so far by ``monitor`` (higher is better);
    - early stopping after ``patience`` epochs without improvement;
    - ``log.csv``: one row of metrics per epoch (appended on resume);
    - ``backup/``: ``BackupAndRestore``, so an interrupted ``fit`` resumes at
      the epoch where it stopped;
    - optionally TensorBoard logs, a prediction preview and a time limit.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    log = run_dir / "log.csv"
    best_so_far = None
    if (run_dir / "backup").exists():  # resuming an interrupted run: keep its log and best
        best_so_far = best_logged(log, monitor)
    elif log.exists():  # a new run in an old folder: start a new log
        log.unlink()
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
    if preview is not None:
        images, masks = preview
        callbacks.append(PredictionPreview(images, masks, every=preview_every,
                                           folder=run_dir / "previews"))
    if minutes:
        callbacks.append(TimeLimit(minutes))
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


def balanced_class_weights(dataset: tf.data.Dataset, num_classes: int,
                           batches: int | None = None) -> np.ndarray:
    """Weights inversely proportional to each class's pixel share, mean 1."""
    counts = np.zeros(num_classes)
    for index, (_, mask) in enumerate(dataset):
        if batches is not None and index >= batches:
            break
        counts += np.bincount(np.asarray(mask).reshape(-1), minlength=num_classes)[:num_classes]
    weights = counts.sum() / np.maximum(counts, 1) / num_classes
    return weights / weights.mean()


def profile_model(profile, decay_steps: int, *, jit_compile="auto") -> keras.Model:
    """A U-Net built and compiled with ``profile``'s settings, for ``decay_steps`` of training.

    Notebook 04 spells these two calls out to teach them; scripts use this.
    """
    from .model import build_unet

    model = build_unet((profile.image_size, profile.image_size, 3),
                       base_filters=profile.base_filters, depth=profile.depth,
                       bn_momentum=profile.bn_momentum, dropout=profile.dropout)
    return compile_model(model, loss=profile.loss, learning_rate=profile.learning_rate,
                         decay_steps=decay_steps, weight_decay=profile.weight_decay,
                         jit_compile=jit_compile)


def train_quick_model(profile, source: str, *, steps: int | None = None, seed: int = 0,
                      verbose: int = 0) -> keras.Model:
    """A model trained briefly with ``profile``'s settings: a stand-in when no checkpoint exists.

    ``steps`` defaults to the profile's whole budget, but at most 300 batches
    (about two minutes for the ``cpu`` profile on a laptop).
    """
    from .data import load_pets

    keras.utils.set_random_seed(seed)
    data = dict(source=source, image_size=profile.image_size, batch_size=profile.batch_size,
                verbose=False)
    train = load_pets("train", augment=profile.augment, drop_remainder=True, seed=seed, **data)
    batches = count_batches(train)
    planned = (profile.steps_per_epoch or batches) * profile.epochs_for(batches)
    steps = min(planned, 300) if steps is None else steps
    model = profile_model(profile, steps)
    model.fit(train.repeat(), epochs=1, steps_per_epoch=steps, verbose=verbose)
    return model


def best_or_quick_model(run_dir, profile, source: str) -> keras.Model:
    """The best checkpoint of notebook 04 in ``run_dir``, or a quickly trained model if none.

    Says which it used, so a notebook opened on its own still runs top to bottom.
    """
    checkpoint = Path(run_dir) / "best.keras"
    if checkpoint.exists():
        print(f"Loaded the best model of notebook 04 from {checkpoint.parent.name}/"
              f"{checkpoint.name} (profile {profile.name!r}).")
        return keras.models.load_model(checkpoint)
    print(f"No checkpoint {checkpoint.name} in {run_dir}: notebook 04 has not been run with "
          f"profile {profile.name!r} yet.\nTraining a quick stand-in model instead (run "
          "notebook 04 first for a better one) ...")
    started = time.perf_counter()
    model = train_quick_model(profile, source)
    print(f"... done in {time.perf_counter() - started:.0f} s.")
    return model
