#!/usr/bin/env python3
"""How should a photo reach a model trained on squares? Measure the choices on validation photos.

Not a test. Training squashes every photo to the model's square (aspect ratio
not kept). For prediction there are three candidates, each scored here
against the trimap at the photo's own resolution (``uh.evaluation.evaluate_photos``):

- ``squash``: the same squash as training, then the scores resized back
  (``uh.predict_mask``'s ``scale_to="auto"``);
- ``keep-aspect``: longer side to the training size, the other side in
  proportion, mirror padding to a multiple of ``2**depth``, then back;
- ``own-size``: the photo as it is, mirror padded (``scale_to=None``).

The choice is made on the **validation** photos (with a paired bootstrap
interval for the difference between the chosen policy and each other one);
the test photos are then
scored once with the chosen policy, both at the model's square (as
``evaluate_dataset`` does) and at their own resolution. Writes
``benchmarks/results/resize/<model stem>.json``.

    .venv/bin/python benchmarks/experiments.py --variants baseline --steps 400 \\
        --save-models runs/experiments
    .venv/bin/python benchmarks/resize_policy.py runs/experiments/baseline.keras
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
# the photos: $UNET_PETS_DIR, else the development sample beside the checkout
SAMPLE = Path(os.environ.get("UNET_PETS_DIR") or ROOT.parent / "shared" / "data"
              / "oxford-iiit-pet-sample")


def keep_aspect(model, photo: np.ndarray) -> np.ndarray:
    """Longer side to the training size, mirror padding, predict, back to the photo's size."""
    side = max(uh.inference.model_image_size(model))
    height, width = photo.shape[:2]
    factor = side / max(height, width)
    smaller = uh.data.resize_photo(photo, (max(1, round(height * factor)),
                                           max(1, round(width * factor)))).numpy()
    (scores,) = uh.inference.predict_scores(model, [smaller], scale_to=None)
    scores = tf.image.resize(scores, (height, width), method="bilinear").numpy()
    return (scores[..., 0] > 0.5).astype(np.uint8)


POLICIES = {
    "squash": lambda model, photo: uh.predict_mask(model, photo),
    "keep-aspect": keep_aspect,
    "own-size": lambda model, photo: uh.predict_mask(model, photo, scale_to=None),
}


def scored(evaluation) -> dict:
    low, high = evaluation.interval()
    return {"iou_pet": round(evaluation.report["iou"]["pet"], 4),
            "ci95": [round(low, 4), round(high, 4)], "photos": evaluation.count}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path, help="a trained .keras model (binary head)")
    parser.add_argument("--source", default="directory", choices=uh.data.SOURCES)
    parser.add_argument("--pets-dir", default=str(SAMPLE))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "resize")
    parser.add_argument("--limit", type=int, help="score only this many photos per split")
    args = parser.parse_args(argv)
    if not args.model.is_file():
        parser.error(f"no model file at {args.model}: train one first (see the examples above)")
    model = keras.models.load_model(args.model)
    data = dict(source=args.source, pets_dir=args.pets_dir, verbose=False, limit=args.limit)
    validation, overlaps = {}, {}
    for name, policy in POLICIES.items():
        pairs = uh.raw_pairs("validation", **data)
        evaluation = uh.evaluation.evaluate_photos(
            lambda photo, policy=policy: policy(model, photo), pairs)
        validation[name], overlaps[name] = scored(evaluation), evaluation.image_overlap
        print(f"validation, {name:<12} pet IoU {validation[name]['iou_pet']:.3f}", flush=True)
    chosen = max(validation, key=lambda name: validation[name]["iou_pet"])
    for name in POLICIES:  # the chosen policy minus each other one, on the same photos
        if name != chosen:
            low, high = uh.evaluation.bootstrap_difference(overlaps[chosen], overlaps[name])
            validation[name]["chosen_minus_this_ci95"] = [round(low, 4), round(high, 4)]
    size = uh.inference.model_image_size(model)[0]
    square = uh.evaluation.evaluate_dataset(
        model, uh.load_pets("test", image_size=size, batch_size=16, **data), keep=0,
        class_names=uh.CLASS_NAMES["binary"])
    own = uh.evaluation.evaluate_photos(lambda photo: POLICIES[chosen](model, photo),
                                        uh.raw_pairs("test", **data))
    low, high = square.interval()
    result = {
        "model": args.model.name, "image_size": size, "validation": validation,
        "chosen_on_validation": chosen,
        "test": {"at_the_square": {"iou_pet": round(square.report["iou"]["pet"], 4),
                                   "ci95": [round(low, 4), round(high, 4)],
                                   "photos": square.count},
                 "at_own_resolution": scored(own)},
        "data": Path(args.pets_dir).name if args.source == "directory" else args.source,
        "tensorflow": tf.__version__, "date": datetime.date.today().isoformat(),
        "command": "benchmarks/resize_policy.py " + " ".join(argv),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{args.model.stem}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["test"], indent=2))
    print(f"chosen on validation: {chosen}; wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
