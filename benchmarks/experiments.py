#!/usr/bin/env python3
"""Which U-Net choices matter? Train variants of one profile side by side and score them.

Not a test: a script whose results are committed and read by the notebooks.
Every variant changes **one** thing from the base profile (default ``cpu``),
trains on the same photos (the sample's train split) with the same seed and
the same budget, keeps the weights of its best validation epoch, and is then
scored once on the test split, which no choice ever looks at. Each variant
writes its own ``<variant>.json`` into ``--out``, so a half-finished list
resumes where it stopped (``--force`` trains again).

Per variant: parameters, training images/s, epochs, the validation curve, and
the test pet IoU with a 95 % bootstrap interval over the test photos, scored
two ways: with the trimap's border counted as pet (the dataset's binary mask,
used everywhere else in this collection) and with the border left out of the
score (a thin band along the outline where the annotators did not decide).

Budget: ``--steps`` trains a fixed number of batches (the same work whatever
else the machine does; the learning rate follows a cosine over them), and
``--minutes`` additionally stops at the end of the epoch in which that much
time has passed.

    .venv/bin/python benchmarks/experiments.py --list
    .venv/bin/python benchmarks/experiments.py --variants loss-crossentropy border-ignored \\
        --steps 400 --pets-dir ../shared/data/oxford-iiit-pet-sample
    .venv/bin/python benchmarks/experiments.py --profile smoke --source generated \\
        --steps 4 --out /tmp/experiments      # seconds: proves the code path
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import unet_helpers as uh  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "experiments"
SAMPLE = ROOT.parent / "shared" / "data" / "oxford-iiit-pet-sample"
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
    Variant("border-ignored", "cross-entropy, border pixels weight 0 (vs loss-crossentropy)",
            loss="crossentropy", border="ignore"),
    Variant("train-plus-validation", "train + validation photos, last epoch kept",
            train_on="train+validation"),
    Variant("test-time-flip", "baseline + flip averaging at evaluation", test_time_flip=True),
]
BY_NAME = {variant.name: variant for variant in VARIANTS}


def _binary(image, labels, border: str):
    """Trimap labels (pet 0, background 1, border 2) to the binary target, with weights."""
    if border == "ignore":
        return (image, tf.cast(labels == PET, tf.uint8), tf.cast(labels != BORDER, tf.float32))
    return image, tf.cast(labels != BACKGROUND, tf.uint8)


def _flip_only(image, labels, seed):
    stacked = tf.concat([image, tf.cast(labels, tf.float32)], axis=-1)
    stacked = tf.image.stateless_random_flip_left_right(stacked, seed)
    return stacked[..., :3], tf.cast(tf.round(stacked[..., 3:]), labels.dtype)


def training_data(variant: Variant, settings: dict, seed: int) -> tf.data.Dataset:
    common = dict(settings, mask_mode="trimap", verbose=False, batch_size=None)
    splits = ["train", "validation"] if variant.train_on == "train+validation" else ["train"]
    pairs = None
    for split in splits:
        data = uh.load_pets(split, augment=False, shuffle=False, **common)
        pairs = data if pairs is None else pairs.concatenate(data)
    pairs = pairs.shuffle(1024, seed=seed, reshuffle_each_iteration=True)
    if variant.augment == "full":
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        pairs = tf.data.Dataset.zip((pairs, seeds)).map(
            lambda pair, s: uh.data.augment_pair(pair[0], pair[1], s),
            num_parallel_calls=tf.data.AUTOTUNE)
    elif variant.augment == "flips":
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        pairs = tf.data.Dataset.zip((pairs, seeds)).map(
            lambda pair, s: _flip_only(pair[0], pair[1], s), num_parallel_calls=tf.data.AUTOTUNE)
    elif variant.augment != "none":
        raise ValueError(f"augment must be 'full', 'flips' or 'none', got {variant.augment!r}.")
    pairs = pairs.map(lambda i, t: _binary(i, t, variant.border))
    return pairs.batch(settings["batch_size"], drop_remainder=True).repeat().prefetch(2)


def build(variant: Variant, profile, steps: int) -> keras.Model:
    size = variant.image_size or profile.image_size
    model = uh.build_unet((size, size, 3), base_filters=variant.base_filters or profile.base_filters,
                          depth=variant.depth or profile.depth, batch_norm=variant.batch_norm,
                          upsampling=variant.upsampling, bn_momentum=profile.bn_momentum,
                          dropout=profile.dropout)
    return uh.training.compile_model(model, loss=variant.loss or profile.loss,
                                     learning_rate=profile.learning_rate, decay_steps=steps,
                                     weight_decay=profile.weight_decay)


def predict(model, images, test_time_flip: bool) -> np.ndarray:
    scores = np.asarray(model(images, training=False), dtype=np.float32)
    if test_time_flip:
        mirrored = np.asarray(model(images[:, :, ::-1], training=False), dtype=np.float32)
        scores = (scores + mirrored[:, :, ::-1]) / 2
    return scores[..., 0]


def score(model, dataset, test_time_flip: bool = False) -> dict:
    """Per-image (intersection, union) of the pet, border as pet and border left out."""
    with_border, without_border = [], []
    for images, labels in dataset:
        predicted = predict(model, images.numpy(), test_time_flip) > 0.5
        labels = labels.numpy()[..., 0]
        for guess, truth in zip(predicted, labels):
            pet = truth != BACKGROUND
            with_border.append(((guess & pet).sum(), (guess | pet).sum()))
            decided = truth != BORDER
            pet = truth == PET
            without_border.append(((guess & pet & decided).sum(),
                                   ((guess | pet) & decided).sum()))
    result = {}
    for key, overlaps in (("border_as_pet", with_border), ("border_left_out", without_border)):
        overlaps = np.asarray(overlaps, dtype=np.int64)
        total = overlaps.sum(axis=0)
        low, high = uh.evaluation.bootstrap_iou(overlaps)
        result[key] = {"iou_pet": round(float(total[0] / max(total[1], 1)), 4),
                       "ci95": [round(low, 4), round(high, 4)]}
    result["photos"] = len(with_border)
    return result


class Progress(keras.callbacks.Callback):
    def __init__(self, name: str, images_per_epoch: int, epochs: int):
        super().__init__()
        self.name, self.images, self.epochs = name, images_per_epoch, epochs
        self.curve, self.seconds = [], 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_test_begin(self, logs=None):  # the validation pass is not training time
        self.seconds += time.perf_counter() - self.started

    def on_test_end(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.curve.append(round(float(logs.get("val_pet_iou", float("nan"))), 4))
        print(f"  {self.name}: epoch {epoch + 1}/{self.epochs}, validation pet IoU "
              f"{self.curve[-1]:.3f}, {self.images * (epoch + 1) / self.seconds:.1f} img/s",
              flush=True)


def run_variant(variant: Variant, args) -> dict:
    profile = uh.get_profile(args.profile)
    keras.utils.set_random_seed(args.seed)
    size = variant.image_size or profile.image_size
    settings = dict(source=args.source, pets_dir=args.pets_dir, image_size=size,
                    batch_size=profile.batch_size)
    train = training_data(variant, settings, args.seed)
    validation = uh.load_pets("validation", mask_mode="binary", verbose=False, **settings)
    test = uh.load_pets("test", mask_mode="trimap", verbose=False, **settings)
    steps = args.steps or profile.train_steps
    per_epoch = max(1, min(steps, args.steps_per_epoch))
    epochs = max(1, round(steps / per_epoch))
    model = build(variant, profile, per_epoch * epochs)
    progress = Progress(variant.name, per_epoch * profile.batch_size, epochs)
    callbacks = [progress]
    keep_best = variant.train_on == "train"
    if keep_best:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_pet_iou", mode="max",
                                                       patience=epochs,
                                                       restore_best_weights=True))
    if args.minutes:
        callbacks.append(uh.training.TimeLimit(args.minutes))
    model.fit(train, epochs=epochs, steps_per_epoch=per_epoch, callbacks=callbacks,
              validation_data=validation, verbose=0)
    scored = score(model, test, variant.test_time_flip)
    curve = progress.curve
    best = int(np.nanargmax(curve)) + 1 if keep_best else len(curve)
    result = {
        "variant": variant.name, "what": variant.what,
        "settings": {k: v for k, v in dataclasses.asdict(variant).items()
                     if k not in ("name", "what")},
        "profile": profile.name, "image_size": size,
        "parameters": model.count_params(),
        "steps": per_epoch * len(curve), "epochs": len(curve), "kept_epoch": best,
        "train_minutes": round(progress.seconds / 60, 2),
        "images_per_s": round(per_epoch * len(curve) * profile.batch_size / progress.seconds, 1),
        "validation_curve": curve,
        "test": scored,
        "data": args.source if args.source != "directory" else Path(args.pets_dir).name,
        "seed": args.seed, "tensorflow": tf.__version__,
        "machine": f"CPU, {os.cpu_count()} cores" if not tf.config.list_physical_devices("GPU")
        else "GPU",
        "date": datetime.date.today().isoformat(),
        "command": "benchmarks/experiments.py " + " ".join(args.argv),
    }
    return result, model


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu", choices=sorted(uh.PROFILES))
    parser.add_argument("--source", default="directory", choices=uh.data.SOURCES)
    parser.add_argument("--pets-dir", default=os.environ.get(uh.data.DIR_ENV_VAR, str(SAMPLE)))
    parser.add_argument("--variants", nargs="+", default=[v.name for v in VARIANTS],
                        metavar="NAME")
    parser.add_argument("--steps", type=int, help="batches to train (default: the profile's)")
    parser.add_argument("--steps-per-epoch", type=int, default=25,
                        help="batches between two validation passes")
    parser.add_argument("--minutes", type=float, help="also stop after this many minutes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--force", action="store_true", help="train variants already done")
    parser.add_argument("--save-models", type=Path, metavar="FOLDER",
                        help="also save each trained model there as <variant>.keras")
    parser.add_argument("--list", action="store_true", help="list the variants and stop")
    args = parser.parse_args(argv)
    args.argv = argv
    if args.list:
        for variant in VARIANTS:
            print(f"{variant.name:<22} {variant.what}")
        return 0
    unknown = [name for name in args.variants if name not in BY_NAME]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}: see --list")
    if args.source == "directory" and not Path(args.pets_dir).is_dir():
        parser.error(f"no pet photos at {args.pets_dir}: pass --pets-dir (the folder with "
                     "images/ and annotations/) or --source generated")
    args.out.mkdir(parents=True, exist_ok=True)
    for number, name in enumerate(args.variants, 1):
        path = args.out / f"{name}.json"
        if path.exists() and not args.force:
            print(f"[{number}/{len(args.variants)}] {name}: done before ({path.name})")
            continue
        print(f"[{number}/{len(args.variants)}] {name}: {BY_NAME[name].what}", flush=True)
        result, model = run_variant(BY_NAME[name], args)
        if args.save_models:
            args.save_models.mkdir(parents=True, exist_ok=True)
            model.save(args.save_models / f"{name}.keras")
        path.write_text(json.dumps(result, indent=2) + "\n")
        test = result["test"]["border_as_pet"]
        print(f"  {name}: test pet IoU {test['iou_pet']:.3f} "
              f"[{test['ci95'][0]:.3f}-{test['ci95'][1]:.3f}] -> {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
