"""Variants of a profile, one change each, trained alike and scored alike (notebook 08).

Notebook 08 reads the committed results and runs two tiny variants live;
``benchmarks/experiments.py`` runs the whole list and writes the results.

Every variant trains on the same photos with the same seed and the same budget
(minutes of training with the learning rate's cosine on the clock, or a
number of steps), keeps the weights of its best
validation epoch, and is scored once on the test split. The score is the pet
IoU over the test photos with a 95 % bootstrap interval, computed two ways:
with the trimap's border counted as pet (the collection's binary mask) and
with the border left out. Each photo's pet intersection and union are kept,
so two variants can be compared photo by photo (:func:`compare`).
"""

from __future__ import annotations

import dataclasses
import time

import keras
import numpy as np
import tensorflow as tf

from .data import load_pets
from .data.pipeline import augment_pair
from .evaluation import bootstrap_difference, bootstrap_iou
from .measured import experiments as _measured_results
from .model import build_unet, forward_flops
from .training import TimeBudget, compile_model

PET, BACKGROUND, BORDER = 0, 1, 2  # trimap labels as the pipeline gives them (mask_mode="trimap")


@dataclasses.dataclass(frozen=True)
class Variant:
    """One change from the base profile. Fields left as None keep the profile's value."""

    name: str
    what: str
    depth: int | None = None
    base_filters: int | None = None
    image_size: int | None = None
    batch_norm: bool = True
    upsampling: str = "transpose"
    loss: str | None = None
    augment: str = "full"  # "full", "flips" or "none"
    border: str = "pet"  # "pet": border pixels are pet; "ignore": weight 0 in training
    test_time_flip: bool = False  # average the predictions of the photo and its mirror image
    train_on: str = "train"  # "train" (best validation epoch) or "train+validation" (last)
    schedule: str = "cosine"  # the learning rate: "cosine" down to 1 % over the budget, "constant"
    classes: int = 2  # 2: one sigmoid channel, pet or border against background; 3: the trimap
    against: str = "baseline"  # the variant this one differs from by exactly one change

    @property
    def mask_mode(self) -> str:
        """The targets and metrics the head needs: ``"binary"`` or ``"trimap"``."""
        return "binary" if self.classes == 2 else "trimap"

    def settings(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items()
                if k not in ("name", "what", "against")}


VARIANTS = [
    Variant("baseline", "the profile as it is"),
    Variant("depth-3", "depth 3 instead of 4", depth=3),
    Variant("depth-5", "depth 5", depth=5),
    Variant("filters-8", "8 base filters", base_filters=8),
    Variant("filters-32", "32 base filters", base_filters=32),
    Variant("no-batch-norm", "no batch normalization", batch_norm=False),
    Variant("resize-upsampling", "resize + 3x3 conv instead of transposed conv",
            upsampling="resize"),
    Variant("loss-crossentropy", "cross-entropy alone", loss="crossentropy"),
    Variant("loss-dice", "Dice alone", loss="dice"),
    Variant("augment-none", "no augmentation", augment="none"),
    Variant("augment-flips", "flips only", augment="flips"),
    Variant("size-64", "64 px images", image_size=64),
    Variant("size-128", "128 px images", image_size=128),
    # Dice has no per-pixel weights, so the border is ignored under cross-entropy alone, and
    # the one change is measured against cross-entropy alone
    Variant("border-ignored", "cross-entropy, border pixels weight 0", loss="crossentropy",
            border="ignore", against="loss-crossentropy"),
    Variant("train-plus-validation", "train + validation photos, last epoch kept",
            train_on="train+validation"),
    Variant("test-time-flip", "baseline + flip averaging at evaluation", test_time_flip=True),
    Variant("constant-rate", "no cosine: the learning rate stays at its peak",
            schedule="constant"),
]
# A softmax over pet, background and border; its outline (pet or border) is scored like the
# binary mask: "does learning the border make a better outliner?" (notebook 05). Measured in
# a run of its own beside the baseline at several seeds, so not one of notebook 08's rows.
THREE_CLASSES = Variant("three-classes", "a 3-class head: pet, background and border",
                        classes=3)
BY_NAME = {variant.name: variant for variant in [*VARIANTS, THREE_CLASSES]}


def _target(image, labels, border: str, classes: int):
    """Trimap labels (pet 0, background 1, border 2) to the variant's target, with weights."""
    if classes == 3:
        return image, labels
    if border == "ignore":
        return (image, tf.cast(labels == PET, tf.uint8), tf.cast(labels != BORDER, tf.float32))
    return image, tf.cast(labels != BACKGROUND, tf.uint8)


def _flip_only(image, labels, seed):
    stacked = tf.concat([image, tf.cast(labels, tf.float32)], axis=-1)
    stacked = tf.image.stateless_random_flip_left_right(stacked, seed)
    return stacked[..., :3], tf.cast(tf.round(stacked[..., 3:]), labels.dtype)


def training_data(variant: Variant, settings: dict, seed: int) -> tf.data.Dataset:
    """Endless shuffled, augmented batches of the variant's training photos."""
    common = dict(settings, mask_mode="trimap", verbose=False, batch_size=None)
    splits = ["train", "validation"] if variant.train_on == "train+validation" else ["train"]
    pairs = None
    for split in splits:
        part = load_pets(split, augment=False, shuffle=False, **common)
        pairs = part if pairs is None else pairs.concatenate(part)
    pairs = pairs.shuffle(1024, seed=seed, reshuffle_each_iteration=True)
    if variant.augment in ("full", "flips"):
        change = augment_pair if variant.augment == "full" else _flip_only
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        pairs = tf.data.Dataset.zip((pairs, seeds)).map(
            lambda pair, s: change(pair[0], pair[1], s), num_parallel_calls=tf.data.AUTOTUNE)
    elif variant.augment != "none":
        raise ValueError(f"augment must be 'full', 'flips' or 'none', got {variant.augment!r}.")
    pairs = pairs.map(lambda i, t: _target(i, t, variant.border, variant.classes))
    return pairs.batch(settings["batch_size"], drop_remainder=True).repeat().prefetch(2)


def build(variant: Variant, profile, steps: int | None) -> keras.Model:
    """The variant's network, compiled for ``steps`` of training (the cosine's length).

    With ``steps=None`` the learning rate stays constant for a TimeBudget to drive.
    """
    size = variant.image_size or profile.image_size
    if variant.classes not in (2, 3):
        raise ValueError(f"classes must be 2 (binary mask) or 3 (trimap), got "
                         f"{variant.classes!r}.")
    model = build_unet((size, size, 3), 1 if variant.classes == 2 else 3,
                       base_filters=variant.base_filters or profile.base_filters,
                       depth=variant.depth or profile.depth, batch_norm=variant.batch_norm,
                       upsampling=variant.upsampling, bn_momentum=profile.bn_momentum,
                       dropout=profile.dropout)
    if variant.schedule not in ("cosine", "constant"):
        raise ValueError(f"schedule must be 'cosine' or 'constant', got {variant.schedule!r}.")
    return compile_model(model, mask_mode=variant.mask_mode,
                         loss=variant.loss or profile.loss,
                         learning_rate=profile.learning_rate,
                         decay_steps=steps if variant.schedule == "cosine" else None,
                         weight_decay=profile.weight_decay)


def predict(model, images, test_time_flip: bool) -> np.ndarray:
    """Pet-or-border probabilities (N, H, W); with ``test_time_flip``, averaged with the mirror's.

    A 3-class head's is 1 - p(background): its outline, scored like a binary mask.
    """
    scores = np.asarray(model(images, training=False), dtype=np.float32)
    if test_time_flip:
        mirrored = np.asarray(model(images[:, :, ::-1], training=False), dtype=np.float32)
        scores = (scores + mirrored[:, :, ::-1]) / 2
    return scores[..., 0] if scores.shape[-1] == 1 else 1 - scores[..., BACKGROUND]


def score(model, dataset, test_time_flip: bool = False) -> dict:
    """Pet IoU over a trimap-mode dataset, border as pet and border left out, with intervals."""
    with_border, without_border = [], []
    for images, labels in dataset:
        predicted = predict(model, images.numpy(), test_time_flip) > 0.5
        for guess, truth in zip(predicted, labels.numpy()[..., 0]):
            pet = truth != BACKGROUND
            with_border.append(((guess & pet).sum(), (guess | pet).sum()))
            decided, pet = truth != BORDER, truth == PET
            without_border.append(((guess & pet & decided).sum(),
                                   ((guess | pet) & decided).sum()))
    result = {}
    for key, overlaps in (("border_as_pet", with_border), ("border_left_out", without_border)):
        overlaps = np.asarray(overlaps, dtype=np.int64)
        total = overlaps.sum(axis=0)
        low, high = bootstrap_iou(overlaps)
        result[key] = {"iou_pet": round(float(total[0] / max(total[1], 1)), 4),
                       "ci95": [round(low, 4), round(high, 4)],
                       "overlaps": overlaps.tolist()}  # per photo: for paired comparisons
    result["photos"] = len(with_border)
    return result


class Progress(keras.callbacks.Callback):
    """Validation pet IoU per epoch, training seconds without the validation passes."""

    def __init__(self, name: str, images_per_epoch: int, epochs: int, log=print):
        super().__init__()
        self.name, self.images, self.epochs, self.log = name, images_per_epoch, epochs, log
        self.curve, self.seconds = [], 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_test_begin(self, logs=None):  # the validation pass is not training time
        self.seconds += time.perf_counter() - self.started

    def on_test_end(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.curve.append(round(float(logs.get("val_pet_iou", float("nan"))), 4))
        if self.log:
            of = f"/{self.epochs}" if self.epochs else ""
            self.log(f"  {self.name}: epoch {epoch + 1}{of}, step "
                     f"{int(self.model.optimizer.iterations)}, validation pet IoU "
                     f"{self.curve[-1]:.3f}")


def run_variant(variant: Variant, profile, *, source: str, pets_dir=None, seed: int = 0,
                minutes: float | None = None, steps: int | None = None,
                steps_per_epoch: int = 25, log=print):
    """Train and score one variant; returns ``(result dict, trained model)``.

    Give ``minutes`` (the same training time for every variant: the learning
    rate's cosine follows the clock, :class:`~unet_helpers.training.TimeBudget`,
    so a fast network takes more steps than a slow one, as it would for a
    learner with a fixed amount of time) or ``steps`` (the same work for every
    variant, whatever else the machine does). Validation runs every
    ``steps_per_epoch`` steps, and the weights of the best validation pass are kept.
    """
    if (steps is None) == (minutes is None):
        raise ValueError("Give the budget as steps=... or as minutes=..., one of the two.")
    size = variant.image_size or profile.image_size
    settings = dict(source=source, pets_dir=pets_dir, image_size=size,
                    batch_size=profile.batch_size)
    test = load_pets("test", mask_mode="trimap", verbose=False, **settings)
    train = training_data(variant, settings, seed)
    validation = load_pets("validation", mask_mode=variant.mask_mode, verbose=False,
                           **settings)
    for _ in validation:  # decode the photos once, into the cache, before any clock runs
        pass
    per_epoch = max(1, min(steps or steps_per_epoch, steps_per_epoch))
    epochs = max(1, round(steps / per_epoch)) if steps else 100_000  # with minutes: a cap
    keras.utils.set_random_seed(seed)
    model = build(variant, profile, per_epoch * epochs if steps else None)
    progress = Progress(variant.name, per_epoch * profile.batch_size,
                        epochs if steps else None, log)
    callbacks = [progress]
    # floor 1: the cosine from the peak down to the peak, a constant rate that the clock stops
    floor = 1.0 if variant.schedule == "constant" else 0.01
    clock = TimeBudget(minutes, floor=floor) if minutes else None
    if clock:
        callbacks.insert(0, clock)
    keep_best = variant.train_on == "train"
    if keep_best:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_pet_iou", mode="max", patience=epochs, restore_best_weights=True))
    model.fit(train, epochs=epochs, steps_per_epoch=per_epoch, callbacks=callbacks,
              validation_data=validation, verbose=0)
    curve = progress.curve
    done = int(model.optimizer.iterations)
    if clock:  # the clock's batch seconds leave out the first batch, which compiles
        speed = clock.steps * profile.batch_size / max(clock.batch_seconds, 1e-9)
    else:  # the first epoch also compiles
        speed = done * profile.batch_size / max(progress.seconds, 1e-9)
    return {
        "variant": variant.name, "what": variant.what, "settings": variant.settings(),
        "profile": profile.name, "image_size": size, "parameters": model.count_params(),
        "forward_gflops": round(forward_flops(model) / 1e9, 4),
        "budget": f"{minutes:g} min on the clock" if minutes else f"{steps} steps",
        "steps": done, "planned_steps": None if minutes else per_epoch * epochs,
        "epochs": len(curve), "kept_epoch": int(np.nanargmax(curve)) + 1 if keep_best
        else len(curve),
        # with a clock: inside training batches, and the whole fit (both without the first
        # batch, which compiles); else the epochs without their validation passes
        "train_minutes": round((clock.batch_seconds if clock else progress.seconds) / 60, 2),
        "wall_minutes": round(clock.spent / 60, 2) if clock else None,
        "images_per_s": round(speed, 1),
        "validation_curve": curve,
        "test": score(model, test, variant.test_time_flip),
        "seed": seed,
    }, model


def verdict(low: float, high: float) -> str:
    """What an interval of a difference (variant - reference) says."""
    if low > 0:
        return "better"
    if high < 0:
        return "worse"
    return "no measured difference"


def compare(results, reference: str | None = None, scoring: str = "border_as_pet", *,
            family: bool = False) -> list:
    """Each variant against the variant it differs from by one change: the paired difference.

    ``results`` are result dicts as :func:`run_variant` returns them (or as
    :func:`measured` gives them). Each variant is compared with its
    ``against`` (the baseline, except ``border-ignored``: cross-entropy
    alone), or with ``reference`` for all when given. A variant trained on
    other photos or at another image size is still scored on the same test
    photos, so the photo-by-photo pairing holds.

    With ``family=True`` each row also holds ``ci_family`` and
    ``verdict_family``: Bonferroni's simultaneous intervals, at level
    1 - 0.05 / (number of rows) each, so that the chance of even one false
    "better" or "worse" among all the rows stays at 5 %.
    """
    by_name = {result["variant"]: result for result in results}
    if reference is not None and reference not in by_name:
        raise ValueError(f"No result for the reference {reference!r}: the results hold "
                         f"{', '.join(sorted(by_name))}.")
    pairs = []
    for result in results:
        name = result["variant"]
        against = reference or getattr(BY_NAME.get(name), "against", "baseline")
        if name == against or (reference is None and name == "baseline"):
            continue
        if against not in by_name:
            raise ValueError(f"{name!r} is compared with {against!r}, which the results do not "
                             f"hold ({', '.join(sorted(by_name))}); add its result, or pass "
                             "reference= to compare every variant with one result.")
        pairs.append((result, by_name[against]))
    family_level = 1 - 0.05 / max(len(pairs), 1)
    rows = []
    for result, other in pairs:
        mine, base = result["test"][scoring], other["test"][scoring]
        low, high = bootstrap_difference(mine["overlaps"], base["overlaps"])
        row = {"variant": result["variant"], "against": other["variant"],
               "iou_pet": mine["iou_pet"],
               "difference": round(mine["iou_pet"] - base["iou_pet"], 4),
               "ci95": (round(low, 4), round(high, 4)), "verdict": verdict(low, high)}
        if family:
            low, high = bootstrap_difference(mine["overlaps"], base["overlaps"], rounds=20000,
                                             level=family_level)
            row.update(ci_family=(round(low, 4), round(high, 4)),
                       verdict_family=verdict(low, high))
        rows.append(row)
    return rows


def measured() -> list[dict]:
    """The results shipped with the package (``uh.measured``), in the order of :data:`VARIANTS`.

    ``benchmarks/experiments.py`` measured them; notebook 08 reads them.
    """
    order = {variant.name: number for number, variant in enumerate(VARIANTS)}
    return sorted((r for r in _measured_results() if r.get("variant") in order),
                  key=lambda r: order[r["variant"]])
