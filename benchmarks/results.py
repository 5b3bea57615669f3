#!/usr/bin/env python3
"""Results anyone can reproduce: train a profile, evaluate on held-out photos, write a table.

Not a test. For one profile and data source it trains the profile's whole
budget (cosine schedule, no checkpoint picking): its steps or epochs, or its
minutes on the clock (``--minutes`` sets a clock budget for any profile: the
cosine then follows the clock, ``uh.training.TimeBudget``, which counts the
whole ``fit`` but its first compile), then scores the final model
on the test split, and writes ``<name>.json``, ``<name>.csv`` and
``<name>.md`` into ``--out`` (default ``benchmarks/results``). The README's
results table shows every JSON file in ``benchmarks/results/`` (superseded
ones move to ``benchmarks/results/history/``): ``python3 tasks.py generate``
rebuilds it.

Which photos are "held out": the test split, always. That is the official one
when the source has it (tfds, a full download, generated data); a folder
without ``test.txt`` (such as the 300-photo sample) sets 20 % of its photos
aside by file name (``uh.data.held_out_split``), so the scored photos played
no part in training or in any choice. The pet IoU comes with a 95 % bootstrap
interval over the scored photos.

Examples (this machine, the real sample; in Colab, the same with --profile gpu):

    .venv/bin/python benchmarks/results.py --profile cpu --source directory \\
        --pets-dir ../shared/data/oxford-iiit-pet-sample --minutes 15
    .venv/bin/python benchmarks/results.py --profile smoke --source generated
    python benchmarks/results.py --profile gpu --source tfds --pretrained   # Colab, notebook 09

``--pretrained`` trains notebook 09's U-Net on an ImageNet MobileNetV2 encoder
instead (half the budget frozen, half fine-tuned at a tenth of the rate); its
weights come from Keras's cache or a download, or from ``--weights PATH``.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import re
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import unet_helpers as uh  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from generate import RESULT_COLUMNS as COLUMNS  # noqa: E402  the README table's columns
from generate import markdown_table as _table  # noqa: E402


def machine() -> str:
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
        return f"{len(gpus)} x {name}"
    return f"CPU, {os.cpu_count()} cores ({platform.machine()})"


def run(args) -> dict:
    profile = uh.get_profile(args.profile)
    keras.utils.set_random_seed(args.seed)
    strategy = uh.training.distribution_strategy()
    common = dict(source=args.source, pets_dir=args.pets_dir, image_size=profile.image_size,
                  mask_mode="binary", batch_size=profile.batch_size, verbose=False)
    train = uh.load_pets("train", augment=profile.augment, seed=args.seed,
                         drop_remainder=True, **common)
    split = uh.data.held_out_split(args.source, pets_dir=args.pets_dir)
    held_out = uh.load_pets(split, **common)
    batches = uh.training.count_batches(train)  # fills the cache, so epochs are timed fairly
    images = batches * profile.batch_size
    epochs = profile.epochs_for(batches)
    steps = profile.steps_per_epoch or batches
    minutes = args.minutes or profile.train_minutes
    if minutes:  # the clock is the budget; the epochs only a cap
        epochs = max(epochs, 100_000) if args.minutes else epochs
        budget = f"cosine over {minutes:g} min on the clock"
    else:
        budget = f"cosine over {steps * epochs} steps"
    if args.pretrained:
        model, seconds, watches, epochs_run, steps_run, budget = pretrained_run(
            args, profile, train, strategy, minutes, epochs, steps)
    else:
        with uh.training.use_gpu_speedups(strategy=strategy) as speedups, strategy.scope():
            model = uh.training.profile_model(profile, None if minutes else steps * epochs,
                                              jit_compile=speedups["jit_compile"])
        # the clock (or, for a budget in steps, a stopwatch) times the batches and the rest
        watches = [uh.training.TimeBudget(minutes) if minutes else uh.training.Stopwatch()]
        started = time.perf_counter()
        history = model.fit(train.repeat(), epochs=epochs, steps_per_epoch=steps,
                            callbacks=watches, verbose=2 if args.verbose else 0)
        seconds = time.perf_counter() - started
        epochs_run = len(history.history["loss"])
        steps_run = int(model.optimizer.iterations)
    timed_steps = sum(watch.steps for watch in watches)  # the first batch of a fit compiles
    batch_seconds = sum(watch.batch_seconds for watch in watches)

    # batch by batch: the full test split at 256 px would not fit in memory as whole arrays
    evaluation = uh.evaluation.evaluate_dataset(model, held_out,
                                                class_names=uh.CLASS_NAMES["binary"], keep=0)
    report = evaluation.report
    low, high = evaluation.interval(level=0.95)
    data = args.source if args.source != "directory" else f"directory: {Path(args.pets_dir).name}"
    return {
        "profile": profile.name, "data": data, "held_out": f"{split} ({evaluation.count})",
        "train_images": images, "image_size": profile.image_size,
        "base_filters": profile.base_filters, "budget": budget, "epochs": epochs_run,
        "steps": steps_run, "wall_minutes": round(seconds / 60, 2),
        "train_minutes": round(batch_seconds / 60, 2),
        "images_per_s": round(timed_steps * profile.batch_size / max(batch_seconds, 1e-9), 1),
        "iou_background": round(report["iou"]["background"], 4),
        "iou_pet": round(report["iou"]["pet"], 4),
        "iou_pet_ci95": f"{low:.3f} to {high:.3f}", "mean_iou": round(report["mean_iou"], 4),
        "dice_pet": round(report["dice"]["pet"], 4),
        "pixel_accuracy": round(report["pixel_accuracy"], 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "machine": machine(), "tensorflow": tf.__version__,
        "date": datetime.date.today().isoformat(),
        "command": "benchmarks/results.py " + " ".join(args.argv),
    }


def pretrained_run(args, profile, train, strategy, minutes, epochs, steps):
    """Notebook 09's recipe: half the budget on a frozen encoder, half fine-tuning at rate / 10.

    The two halves are in minutes (each with its cosine on the clock) or, for a
    profile whose budget is epochs, in epochs (each with its cosine over its steps).
    """
    weights = args.weights or "imagenet"
    size = profile.image_size
    with uh.training.use_gpu_speedups(strategy=strategy) as speedups, strategy.scope():
        model = uh.build_pretrained_unet((size, size, 3), weights=weights,
                                         decoder_filters=profile.decoder_filters)
    half_epochs = max(1, epochs // 2)
    seconds, watches, epochs_run, steps_run = 0.0, [], 0, 0
    for phase, rate in (("frozen", profile.learning_rate),
                        ("fine-tuned", profile.learning_rate / 10)):
        if phase == "fine-tuned":
            uh.pretrained.unfreeze_encoder(model)
        with strategy.scope():
            uh.compile_model(model, learning_rate=rate,
                             decay_steps=None if minutes else steps * half_epochs,
                             jit_compile=speedups["jit_compile"])
        watch = uh.training.TimeBudget(minutes / 2) if minutes else uh.training.Stopwatch()
        watches.append(watch)
        started = time.perf_counter()
        history = model.fit(train.repeat(), epochs=half_epochs if not minutes else epochs,
                            steps_per_epoch=steps, callbacks=[watch],
                            verbose=2 if args.verbose else 0)
        seconds += time.perf_counter() - started
        epochs_run += len(history.history["loss"])
        steps_run += int(model.optimizer.iterations)
    source = "ImageNet" if weights == "imagenet" else Path(weights).name
    halves = (f"{minutes / 2:g} min frozen + {minutes / 2:g} min fine-tuned" if minutes
              else f"{half_epochs} epochs frozen + {half_epochs} fine-tuned")
    return (model, seconds, watches, epochs_run, steps_run,
            f"pretrained MobileNetV2 ({source}): {halves}")


def markdown_table(rows: list[dict]) -> str:
    return _table(rows, COLUMNS)


def write(result: dict, out: Path, name: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.json", out / f"{name}.csv", out / f"{name}.md"]
    paths[0].write_text(json.dumps(result, indent=2) + "\n")
    with paths[1].open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(result))
        writer.writeheader()
        writer.writerow(result)
    paths[2].write_text(markdown_table([result]) + "\n")
    return paths


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu", choices=sorted(uh.profiles.PROFILES))
    parser.add_argument("--source", default="auto", choices=uh.data.SOURCES)
    parser.add_argument("--pets-dir", default=os.environ.get(uh.data.DIR_ENV_VAR),
                        help="the unpacked official archives (source directory; "
                             "default $UNET_PETS_DIR)")
    parser.add_argument("--minutes", type=float,
                        help="train for this long, the learning rate's cosine over that time "
                             "(default: the profile's budget)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--name", help="file name of the results (default: profile-data)")
    parser.add_argument("--verbose", action="store_true", help="one line per epoch")
    parser.add_argument("--pretrained", action="store_true",
                        help="train notebook 09's U-Net on an ImageNet MobileNetV2 encoder "
                             "(half the budget frozen, half fine-tuned) instead of the profile's")
    parser.add_argument("--weights", help="with --pretrained: the encoder's weights file "
                                          "(default: ImageNet, from Keras's cache or downloaded)")
    args = parser.parse_args(argv)
    args.argv = argv
    if args.source == "directory" and not args.pets_dir:
        parser.error("--source directory needs --pets-dir (the folder with images/ and "
                     "annotations/)")
    try:
        result = run(args)
    except uh.pretrained.WeightsUnavailable as error:
        print(f"{error} (Here: --weights PATH.)", file=sys.stderr)
        return 2
    model = "-pretrained" if args.pretrained else ""
    name = args.name or re.sub(r"[^a-z0-9]+", "-", f"{result['profile']}-{result['data']}{model}"
                               .lower()).strip("-")
    for path in write(result, args.out, name):
        print(f"wrote {path}")
    print(markdown_table([result]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
