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

Budget, one of two:

- ``--minutes M`` (default 3): the same training time for every variant.
  The learning rate's cosine follows the clock (``uh.training.TimeBudget``):
  whatever a variant's speed, it ends its schedule at ``M`` minutes. The
  clock counts the whole ``fit``, validation passes included; only the first
  batch (compilation) does not count. A small network thus takes more steps
  than a large one: what a learner with a fixed amount of time would see. The
  committed results use ``--minutes 3``, measured before the clock counted
  validation (their budget reads "3 min"; newer ones "M min on the clock"):
  those 3 minutes were of training batches alone. Do not run anything else on the
  machine meanwhile: a busy machine gives the variant fewer steps. Even a
  quiet shared machine varies: on this 2-core one, networks of the same shape
  ran at 0.49 steps/s in one run and 0.69 in another, so each variant's
  ``steps`` (in its result file) are part of what was measured.
- ``--steps N``: the same number of batches for every variant (the same work
  whatever else the machine does). Notebook 08's live cell uses this.

``test-time-flip`` changes only the evaluation: it scores the model that
``baseline`` trained in the same folder (``--save-models``) when there is one.
``--out`` defaults to ``runs/experiments`` (ignored by git). The results the
package ships are written with ``--out unet_helpers/measured/experiments``
(read by ``uh.variants.measured()``: notebook 08 reads them, also in Colab),
and ``python3 tasks.py generate`` then turns them into the README's table.
After the variants, ``iou.png`` and ``cost.png`` are drawn from every result
file in ``--out`` (into ``benchmarks/results/experiments/`` for the package's own).

    .venv/bin/python benchmarks/experiments.py --list
    .venv/bin/python benchmarks/experiments.py --minutes 3 --steps-per-epoch 20 \\
        --out unet_helpers/measured/experiments --force  # every variant, ~65 minutes;
                                                         # then python3 tasks.py generate
    .venv/bin/python benchmarks/experiments.py --variants loss-crossentropy border-ignored \\
        --steps 400 --pets-dir ../shared/data/oxford-iiit-pet-sample --out DIR
    .venv/bin/python benchmarks/experiments.py --profile smoke --source generated \\
        --steps 4 --out /tmp/experiments      # seconds: proves the code path
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import unet_helpers as uh  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))  # generate.py: the README table's columns
PACKAGE_DATA = ROOT / "unet_helpers" / "measured" / "experiments"  # what notebook 08 reads
DEFAULT_OUT = ROOT / "runs" / "experiments"  # never the package's data by accident
FIGURES = ROOT / "benchmarks" / "results" / "experiments"
# the photos: $UNET_PETS_DIR, else the development sample beside the checkout
SAMPLE = Path(os.environ.get(uh.data.DIR_ENV_VAR) or ROOT.parent / "shared" / "data"
              / "oxford-iiit-pet-sample")
VARIANTS, BY_NAME = uh.variants.VARIANTS, uh.variants.BY_NAME


def run_one(variant, args, models: Path | None):
    """Train and score one variant (or, for test-time-flip, re-score baseline's model)."""
    profile = uh.get_profile(args.profile)
    reused = models / "baseline.keras" if models else None
    if variant.test_time_flip and reused is not None and reused.is_file() and \
            (args.out / "baseline.json").is_file():
        model = keras.models.load_model(reused)  # the same training; only evaluation differs
        size = model.input_shape[1]
        test = uh.load_pets("test", source=args.source, pets_dir=args.pets_dir, image_size=size,
                            batch_size=profile.batch_size, mask_mode="trimap", verbose=False)
        result = json.loads((args.out / "baseline.json").read_text())
        result.update(variant=variant.name, what=variant.what, settings=variant.settings(),
                      test=uh.variants.score(model, test, True),
                      evaluation_only="the model that baseline trained")
        return result, model
    result, model = uh.variants.run_variant(
        variant, profile, source=args.source, pets_dir=args.pets_dir, seed=args.seed,
        minutes=None if args.steps else args.minutes, steps=args.steps,
        steps_per_epoch=args.steps_per_epoch,
        log=lambda line: print(line, flush=True))
    return result, model


def load_results(folder: Path) -> list[dict]:
    """Every variant's result file in ``folder``, in the order of the variant list."""
    order = {name: number for number, name in enumerate(BY_NAME)}
    results = [json.loads(path.read_text()) for path in folder.glob("*.json")]
    return sorted((r for r in results if r.get("variant") in order),
                  key=lambda r: order[r["variant"]])


def summary_table(results: list[dict]) -> str:
    """The markdown table of ``results`` (what tasks.py generate puts in the README)."""
    from generate import EXPERIMENT_COLUMNS, experiment_rows, markdown_table

    return markdown_table(experiment_rows(results), EXPERIMENT_COLUMNS)


def draw_figures(results: list[dict], folder: Path) -> list[Path]:
    """iou.png (every variant with its interval) and cost.png (cost against accuracy)."""
    if not results:
        return []
    from generate import experiment_rows

    rows = experiment_rows(results)
    folder.mkdir(parents=True, exist_ok=True)
    names = [row["variant"] for row in rows]
    ious = [row["iou_pet"] for row in rows]
    bounds = np.array([row["test"]["border_as_pet"]["ci95"] for row in rows])
    reference = ious[names.index("baseline")] if "baseline" in names else None
    figure = uh.viz.interval_chart(names, ious, bounds[:, 0], bounds[:, 1], reference=reference,
                                   xlabel="test pet IoU with 95 % bootstrap interval")
    figure.savefig(folder / "iou.png", dpi=120)
    costs = [[row.get("forward_gflops") or np.nan for row in rows],
             [row.get("images_per_s") or np.nan for row in rows]]
    figure = uh.viz.cost_chart(costs, ious, names, ylabel="test pet IoU",
                               xlabels=("GFLOPs per image (forward)", "training images / s"))
    figure.savefig(folder / "cost.png", dpi=120)
    import matplotlib.pyplot as plt

    plt.close("all")
    return [folder / "iou.png", folder / "cost.png"]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu", choices=sorted(uh.profiles.PROFILES))
    parser.add_argument("--source", default="directory", choices=uh.data.SOURCES)
    parser.add_argument("--pets-dir", default=str(SAMPLE))
    parser.add_argument("--variants", nargs="+", default=[v.name for v in VARIANTS],
                        metavar="NAME")
    parser.add_argument("--steps", type=int, help="batches to train, the same for every variant")
    parser.add_argument("--steps-per-epoch", type=int, default=25,
                        help="batches between two validation passes")
    parser.add_argument("--minutes", type=float, default=3.0,
                        help="minutes of training per variant, the learning rate's cosine "
                             "over them (default 3; ignored with --steps)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--force", action="store_true", help="train variants already done")
    parser.add_argument("--save-models", type=Path, metavar="FOLDER",
                        default=ROOT / "runs" / "experiments",
                        help="save each trained model there as <variant>.keras "
                             "(default runs/experiments; 'none' saves nothing)")
    parser.add_argument("--figures", type=Path, metavar="FOLDER",
                        help="where iou.png and cost.png go (default: --out, or "
                             "benchmarks/results/experiments for the package's results; "
                             "'none' draws nothing)")
    parser.add_argument("--list", action="store_true", help="list the variants and stop")
    args = parser.parse_args(argv)
    args.argv = argv
    models = None if str(args.save_models) == "none" else args.save_models
    if args.list:
        for variant in BY_NAME.values():
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
        result, model = run_one(BY_NAME[name], args, models)
        result.update(
            data=args.source if args.source != "directory" else Path(args.pets_dir).name,
            tensorflow=tf.__version__, keras_backend=keras.backend.backend(),
            date=datetime.date.today().isoformat(),
            machine=(f"CPU, {os.cpu_count()} cores" if not tf.config.list_physical_devices("GPU")
                     else "GPU"),
            command="benchmarks/experiments.py " + " ".join(args.argv))
        path.write_text(json.dumps(result, indent=2) + "\n")
        if models is not None and "evaluation_only" not in result:
            models.mkdir(parents=True, exist_ok=True)
            model.save(models / f"{name}.keras")
        keras.backend.clear_session()
        test = result["test"]["border_as_pet"]
        print(f"  {name}: test pet IoU {test['iou_pet']:.3f} "
              f"[{test['ci95'][0]:.3f}-{test['ci95'][1]:.3f}] -> {path}", flush=True)
    results = load_results(args.out)
    print(summary_table(results))
    shipped = args.out.resolve() == PACKAGE_DATA
    figures = args.figures or (FIGURES if shipped else args.out)
    for path in draw_figures(results, figures) if str(figures) != "none" else []:
        print(f"wrote {path}")
    if shipped:
        print("The package's results changed: run `python3 tasks.py generate` for the README.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
