#!/usr/bin/env python3
"""Benchmark: train a profile on pet data and report speed, memory and accuracy.

Not a test: it prints figures for the README and closing notes. Example
(the cpu profile on the real 300-image sample, 15 minutes of training):

    .venv/bin/python benchmarks/train_pets.py --profile cpu \\
        --pets-dir ../shared/data/oxford-iiit-pet-sample --minutes 15

Prints, per epoch: seconds, training images/s, validation pet IoU; at the end,
the best validation pet IoU, when it was reached, and the peak memory (RSS).
Any profile setting can be overridden (``--image-size``, ``--base-filters``,
``--train-steps``, ``--batch-size``, ``--learning-rate``, ``--loss``). With a
budget in minutes (the ``cpu`` profile's) the learning rate's cosine follows the
clock; with a budget in steps, ``--minutes`` only stops a run that is too slow.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import unet_helpers as uh  # noqa: E402


class EpochReport(keras.callbacks.Callback):
    def __init__(self, images_per_epoch):
        super().__init__()
        self.images = images_per_epoch
        self.rows = []

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        seconds = now - self.epoch_started
        row = {"epoch": epoch + 1, "seconds": round(seconds, 1),
               "images_per_s": round(self.images / seconds, 1),
               "train_minutes": round((now - self.started) / 60, 2),
               "train_pet_iou": round(float(logs["pet_iou"]), 4),
               "val_pet_iou": round(float(logs["val_pet_iou"]), 4),
               "val_loss": round(float(logs["val_loss"]), 4)}
        self.rows.append(row)
        print(json.dumps(row), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu", choices=sorted(uh.profiles.PROFILES))
    parser.add_argument("--source", default="directory")
    parser.add_argument("--pets-dir", default=None)
    parser.add_argument("--minutes", type=float,
                        help="minutes of training (default: the profile's, else 15); with a "
                             "step budget (--train-steps or the profile's) a limit only")
    parser.add_argument("--image-size", type=int)
    parser.add_argument("--base-filters", type=int)
    parser.add_argument("--train-steps", type=int, help="training budget in batches")
    parser.add_argument("--bn-momentum", type=float)
    parser.add_argument("--dropout", type=float)
    parser.add_argument("--weight-decay", type=float)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--loss")
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    profile = uh.get_profile(args.profile)
    settings = profile.as_dict()
    for key in ("image_size", "base_filters", "batch_size", "learning_rate", "loss",
                "train_steps", "bn_momentum", "dropout", "weight_decay"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    settings["augment"] = settings["augment"] and not args.no_augment
    profile = uh.profiles.Profile(**settings)
    print(json.dumps({"machine": f"{platform.machine()}, {os.cpu_count()} cores",
                      "tensorflow": tf.__version__, "settings": settings}), flush=True)

    keras.utils.set_random_seed(args.seed)
    common = dict(source=args.source, pets_dir=args.pets_dir, image_size=profile.image_size,
                  mask_mode="binary", batch_size=profile.batch_size)
    train = uh.load_pets("train", augment=profile.augment, seed=args.seed,
                         drop_remainder=True, **common)
    val = uh.load_pets("validation", **common)
    n_train = sum(int(x.shape[0]) for x, _ in train)  # one pass also fills the cache
    for _ in val:
        pass

    batches = -(-n_train // profile.batch_size)
    epochs = profile.epochs_for(batches)
    minutes = args.minutes if args.minutes is not None else (profile.train_minutes or 15.0)
    if profile.train_minutes and not profile.train_steps and minutes:  # the cosine on the clock
        model = uh.training.profile_model(profile, None)
        limit = uh.training.TimeBudget(minutes)
    else:  # a cosine over the steps or epochs, the minutes only a limit
        model = uh.training.profile_model(profile, batches * epochs)
        limit = uh.training.TimeLimit(minutes)
    report = EpochReport(n_train)
    started = time.perf_counter()
    model.fit(train, validation_data=val, epochs=epochs, verbose=0,
              callbacks=[report, limit])
    total = time.perf_counter() - started
    best = max(report.rows, key=lambda r: r["val_pet_iou"])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"train_images": n_train, "epochs_run": len(report.rows),
                      "train_minutes": round(total / 60, 2),
                      "best_val_pet_iou": best["val_pet_iou"], "best_epoch": best["epoch"],
                      "final_val_pet_iou": report.rows[-1]["val_pet_iou"],
                      "median_images_per_s": sorted(r["images_per_s"] for r in report.rows)[
                          len(report.rows) // 2],
                      "peak_rss_mb": round(peak_mb)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
