"""The model, losses and metrics on a real accelerator, with any Keras backend.

Notebook 04 on a Colab GPU turns on mixed precision and XLA. This script runs
the same model, loss and metrics under the same settings where a GPU is
available but TensorFlow may not be (for example a machine with only JAX):
the package's bottom layers (``profiles``, ``blocks``, ``model``, ``losses``,
``metrics``, ``data.generated``) use Keras alone, and the package loads its
modules only when asked, so importing these brings in no ``tf.data``.

For each precision policy (float32, mixed_float16, mixed_bfloat16) it checks:

- weights stay float32, layers compute in the policy's type, the head is float32;
- the training loss is finite and falls on generated pets;
- ``model.evaluate``'s pet IoU / mean IoU / pet Dice / pixel accuracy agree
  with numpy on the model's own predictions (binary head and a 3-class trimap head);

and it measures training images/s after compilation, the compile time and,
with JAX, the device's peak memory. Results go to a JSON file.

    KERAS_BACKEND=jax python benchmarks/gpu_check.py --out gpu_check.json
    python benchmarks/gpu_check.py --smoke   # tiny sizes, any CPU, any backend

Generated images only: the speed does not depend on what the photos show, and
these checks need no download.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import sys
import time
import types
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
KERAS_ONLY = ("profiles", "blocks", "model", "losses", "metrics", "data.generated")


def keras_only_layers() -> types.SimpleNamespace:
    """The Keras-only modules of unet_helpers (the package loads nothing else for them)."""
    sys.path.insert(0, str(ROOT))  # run from a checkout, installed or not
    modules = {name.split(".")[-1]: importlib.import_module(f"unet_helpers.{name}")
               for name in KERAS_ONLY}
    return types.SimpleNamespace(**modules)


def generated_batch(uh, count: int, size: int, seed: int):
    """``count`` generated pets at ``size`` px: float images, binary and trimap labels."""
    from PIL import Image

    images, binary, trimap = [], [], []
    for index in range(count):
        image, tri = uh.generated.make_pet(seed + index)
        image = Image.fromarray(image).resize((size, size), Image.BILINEAR)
        tri = Image.fromarray(tri[..., 0]).resize((size, size), Image.NEAREST)
        images.append(np.asarray(image, np.float32) / 255.0)
        tri = np.asarray(tri)
        binary.append((tri != 2).astype(np.uint8))
        trimap.append(tri.astype(np.uint8) - 1)
    return np.stack(images), np.stack(binary)[..., None], np.stack(trimap)[..., None]


def numpy_scores(uh, truth, scores, from_logits, classes):
    """Pet IoU, mean IoU, pet Dice, pixel accuracy from predictions, in numpy."""
    if scores.shape[-1] == 1:
        labels = (scores[..., 0] > uh.metrics.score_cut(0.5, from_logits)).astype(np.int64)
    else:
        labels = scores.argmax(-1)
    matrix = uh.metrics.confusion_matrix(truth[..., 0], labels, classes)
    iou = uh.metrics.iou_per_class(matrix)
    dice = uh.metrics.dice_per_class(matrix)
    pet = 1 if classes == 2 else 0
    return {"pet_iou": float(iou[pet]), "mean_iou": float(np.nanmean(iou)),
            "pet_dice": float(dice[pet]),
            "pixel_accuracy": float(np.trace(matrix) / matrix.sum())}


def device_peak_bytes() -> int | None:
    import keras

    if keras.backend.backend() != "jax":
        return None
    import jax

    stats = jax.devices()[0].memory_stats() or {}
    return stats.get("peak_bytes_in_use")


def run_policy(uh, policy, args, data) -> dict:
    import keras

    images, binary, trimap = data
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        model = uh.model.build_unet((args.size, args.size, 3), base_filters=args.filters,
                                    depth=args.depth)
        logits = uh.model.head_gives_logits(model)
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=uh.losses.make_loss("crossentropy+dice", from_logits=logits),
                      metrics=uh.metrics.segmentation_metrics("binary", from_logits=logits),
                      jit_compile=not args.eager, run_eagerly=args.eager)
        weights = sorted({v.dtype for v in model.weights})
        head = model.layers[-1]
        compute = sorted({layer.compute_dtype for layer in model.layers
                          if isinstance(layer, keras.layers.Conv2D) and layer is not head})
        train_x, train_y = images[:args.train], binary[:args.train]
        test_x, test_y = images[args.train:], binary[args.train:]

        start = time.perf_counter()
        first = model.fit(train_x, train_y, batch_size=args.batch, epochs=1, verbose=0,
                          shuffle=False)
        compile_s = time.perf_counter() - start
        start = time.perf_counter()
        history = model.fit(train_x, train_y, batch_size=args.batch, epochs=args.epochs,
                            verbose=0, shuffle=True)
        seconds = time.perf_counter() - start
        losses = [first.history["loss"][0]] + history.history["loss"]

        measured = model.evaluate(test_x, test_y, batch_size=args.batch, verbose=0,
                                  return_dict=True)
        scores = model.predict(test_x, batch_size=args.batch, verbose=0)
        expected = numpy_scores(uh, test_y, scores.astype(np.float32), logits, 2)
        gaps = {k: abs(float(measured[k]) - expected[k]) for k in expected}

        # a three-class head (softmax over background / pet / border), same policy
        tri_model = uh.model.build_unet((args.size, args.size, 3), num_classes=3,
                                        base_filters=args.filters, depth=args.depth)
        tri_logits = uh.model.head_gives_logits(tri_model)
        tri_model.compile(optimizer=keras.optimizers.Adam(1e-3),
                          loss=uh.losses.make_loss("crossentropy+dice", from_logits=tri_logits),
                          metrics=uh.metrics.segmentation_metrics(
                              "trimap", from_logits=tri_logits, channels=3),
                          jit_compile=not args.eager, run_eagerly=args.eager)
        tri_model.fit(train_x, trimap[:args.train], batch_size=args.batch, epochs=1, verbose=0)
        tri_measured = tri_model.evaluate(test_x, trimap[args.train:], batch_size=args.batch,
                                          verbose=0, return_dict=True)
        tri_scores = tri_model.predict(test_x, batch_size=args.batch, verbose=0)
        tri_expected = numpy_scores(uh, trimap[args.train:], tri_scores.astype(np.float32),
                                    tri_logits, 3)
        tri_gaps = {k: abs(float(tri_measured[k]) - tri_expected[k]) for k in tri_expected}

        result = {
            "policy": policy,
            "weight_dtypes": weights,
            "conv_compute_dtypes": compute,
            "head_compute_dtype": head.compute_dtype,
            "output_dtype": str(model.outputs[0].dtype),
            "head_gives_logits": logits,
            "parameters": model.count_params(),
            "compile_and_first_epoch_s": round(compile_s, 2),
            "train_images_per_s": round(args.epochs * len(train_x) / seconds, 1),
            "losses": [round(float(v), 4) for v in losses],
            "evaluate": {k: round(float(measured[k]), 5) for k in expected},
            "numpy": {k: round(v, 5) for k, v in expected.items()},
            "largest_gap": max(gaps.values()),
            "trimap_largest_gap": max(tri_gaps.values()),
            "device_peak_bytes": device_peak_bytes(),
        }
        problems = []
        if weights != ["float32"]:
            problems.append(f"weights are {weights}, expected float32 only")
        wanted = {"float32": "float32", "mixed_float16": "float16",
                  "mixed_bfloat16": "bfloat16"}[policy]
        if compute != [wanted]:
            problems.append(f"conv layers compute in {compute}, expected {wanted}")
        if head.compute_dtype != "float32" or result["output_dtype"] != "float32":
            problems.append(f"the head outputs {result['output_dtype']}, expected float32")
        if not all(math.isfinite(v) for v in losses):
            problems.append(f"a loss is not finite: {losses}")
        if not losses[-1] < losses[0]:
            problems.append(f"the loss did not fall: {losses[0]:.4f} -> {losses[-1]:.4f}")
        if result["largest_gap"] > args.tolerance or result["trimap_largest_gap"] > args.tolerance:
            problems.append(f"evaluate and numpy disagree: {gaps} / {tri_gaps}")
        result["problems"] = problems
        return result
    finally:
        keras.mixed_precision.set_global_policy("float32")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes for a CPU dry run")
    parser.add_argument("--out", type=Path, help="write the results here (JSON)")
    parser.add_argument("--policies", nargs="+",
                        default=["float32", "mixed_float16", "mixed_bfloat16"])
    parser.add_argument("--epochs", type=int, help="timed epochs after the first")
    parser.add_argument("--tolerance", type=float, default=1e-3)
    parser.add_argument("--eager", action="store_true",
                        help="no compiled steps, no XLA (the tests' quick run of this script)")
    args = parser.parse_args(argv)

    # JAX without x64 says so whenever Keras asks for int64 counts; int32 is enough here
    warnings.filterwarnings("ignore", message="Explicitly requested dtype int64")
    uh = keras_only_layers()
    gpu = uh.profiles.PROFILES["gpu"]
    if args.smoke:
        args.size, args.filters, args.depth, args.batch = 32, 4, 2, 4
        args.train, args.test, args.epochs = 16, 4, args.epochs or 2
    else:  # the gpu profile's network and batch
        args.size, args.filters, args.depth, args.batch = (gpu.image_size, gpu.base_filters,
                                                           gpu.depth, gpu.batch_size)
        args.train, args.test, args.epochs = 256, 32, args.epochs or 5
    data = generated_batch(uh, args.train + args.test, args.size, seed=2015)

    import keras

    report = {
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "python": platform.python_version(),
        "devices": [],
        "settings": {k: getattr(args, k) for k in
                     ("size", "filters", "depth", "batch", "train", "test", "epochs", "eager")},
        "data": "generated pets (unet_helpers.data.generated), not photos",
        "package_modules_loaded": sorted(m for m in sys.modules if m.startswith("unet_helpers")),
        "runs": [],
    }
    if report["backend"] == "jax":
        import jax

        report["jax"] = jax.__version__
        report["devices"] = [str(d.device_kind) for d in jax.devices()]
    print(f"Keras {report['keras']} on {report['backend']}, devices {report['devices']}",
          flush=True)
    for policy in args.policies:
        result = run_policy(uh, policy, args, data)
        report["runs"].append(result)
        print(f"{policy:15s} {result['train_images_per_s']:8.1f} img/s  "
              f"compile+epoch {result['compile_and_first_epoch_s']:6.1f} s  "
              f"loss {result['losses'][0]:.3f}->{result['losses'][-1]:.3f}  "
              f"pet IoU {result['evaluate']['pet_iou']:.4f} (gap {result['largest_gap']:.1e}, "
              f"trimap {result['trimap_largest_gap']:.1e})  "
              f"peak {result['device_peak_bytes']}  "
              f"{'OK' if not result['problems'] else result['problems']}", flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 1 if any(run["problems"] for run in report["runs"]) else 0


if __name__ == "__main__":
    os.environ.setdefault("KERAS_BACKEND", "jax")
    sys.exit(main())
