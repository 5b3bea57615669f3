#!/usr/bin/env python3
"""Peak host memory of evaluating N images, batch by batch: does it stay flat as N grows?

Not a test. For each N it starts a fresh Python process that imports
TensorFlow, builds a U-Net and measures its resident memory (the baseline),
then evaluates N generated images with ``uh.evaluation.evaluate_dataset`` and
reports the peak resident memory above that baseline. The goal (notebook 06
on Colab): the 3,669 test photos at 256 px (the ``gpu`` profile's size) stay
under 3 GB above the baseline, and the peak grows with N by no more than the
per-image IoU list (4 bytes an image).

The model is a narrow U-Net (``--base-filters 8``, depth 4): the width of the
model changes the memory TensorFlow needs to run one batch, which is part of
the baseline, not the memory the evaluation accumulates, which depends only
on N, the image size and the batch size. The baseline is taken after
importing TensorFlow, building the model and predicting one batch of zeros
(TensorFlow sets up its kernels and buffers then, whatever N is). The images are generated pets
(``uh.load_pets(source="generated")``, its 60 test images repeated to reach N):
only those 60 are cached, the rest is made on the fly, so the input pipeline
does not grow with N either. (Notebook 06 reads its split with
``cache=False`` for the same reason: ``load_pets``' cache would keep the photos
as uint8, N x H x W x 4 bytes, about 0.96 GB for 3,669 photos at 256 px.)

``--compare-old N`` also measures the old way for one N: ``predict_dataset``
(every photo, mask and score kept in float32) and the whole-array functions.

    .venv/bin/python benchmarks/eval_memory.py --sizes 200 1000 3669
    .venv/bin/python benchmarks/eval_memory.py --sizes 100 300 --compare-old 100
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MB = 3000  # for the full test split (3,669 images) at 256 px
TEST_SPLIT = 3669


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    status = Path("/proc/self/status")
    if status.exists():
        fields = dict(line.split(":", 1) for line in status.read_text().splitlines()
                      if ":" in line)
        return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS
    return peak, peak


def reset_peak() -> bool:
    """Start the peak afresh from the current memory (Linux: clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def child(args) -> dict:
    """One measurement, in this (fresh) process."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    import unet_helpers as uh

    size, batch = args.image_size, args.batch_size
    model = uh.build_unet((size, size, 3), base_filters=args.base_filters, depth=args.depth)
    base = uh.load_pets("test", source="generated", image_size=size, verbose=False)
    data = base.repeat().take(args.child).batch(batch).prefetch(tf.data.AUTOTUNE)
    after_build, _ = rss_mb()
    model.predict_on_batch(np.zeros((batch, size, size, 3), np.float32))  # TF's own set-up
    baseline, _ = rss_mb()
    reset = reset_peak()
    started = time.perf_counter()
    if args.method == "evaluate_dataset":
        result = uh.evaluation.evaluate_dataset(model, data, keep=4)
        count, kept = result.count, result.nbytes
    else:  # the old way: every photo, mask and score of the split in memory
        predictions = uh.evaluation.predict_dataset(model, data)
        labels = predictions.labels()
        uh.evaluation.evaluate_masks(predictions.truths, labels, 2)
        uh.evaluation.threshold_sweep(predictions.truths, predictions.scores)
        uh.evaluation.per_image_iou(predictions.truths, labels)
        count = len(labels)
        kept = predictions.images.nbytes + predictions.truths.nbytes + predictions.scores.nbytes
    seconds = time.perf_counter() - started
    _, peak = rss_mb()
    return {"n": count, "method": args.method, "after_build_mb": round(after_build, 1),
            "baseline_mb": round(baseline, 1),
            "peak_mb": round(peak, 1), "above_baseline_mb": round(peak - baseline, 1),
            "kept_mb": round(kept / 2**20, 2), "seconds": round(seconds, 1),
            "peak_reset": reset, "params": model.count_params()}


def measure(n: int, method: str, args) -> dict:
    command = [sys.executable, __file__, "--child", str(n), "--method", method,
               "--image-size", str(args.image_size), "--batch-size", str(args.batch_size),
               "--base-filters", str(args.base_filters), "--depth", str(args.depth)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"N={n} ({method}) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
    lines = ["| N | method | baseline MB | peak MB | above baseline MB | kept MB | s |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['n']} | {r['method']} | {r['baseline_mb']} | {r['peak_mb']} | "
                     f"{r['above_baseline_mb']} | {r['kept_mb']} | {r['seconds']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, TEST_SPLIT],
                        help="numbers of images N, one fresh process each")
    parser.add_argument("--image-size", type=int, default=256, help="the gpu profile's 256")
    parser.add_argument("--batch-size", type=int, default=16, help="notebook 06 uses 16")
    parser.add_argument("--base-filters", type=int, default=8)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--compare-old", type=int, metavar="N",
                        help="also measure predict_dataset (everything kept) for this N")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks" / "results" / "memory" / "eval_memory.json",
                        help="a sub-folder: tasks.py generate reads every JSON file in "
                             "benchmarks/results as a row of its table")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--method", default="evaluate_dataset", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args)))
        return 0

    print(f"Evaluating generated images at {args.image_size} px, batch {args.batch_size}, "
          f"U-Net base_filters={args.base_filters}, depth={args.depth} (a narrow model: its "
          "width moves the baseline, not what the evaluation keeps). One process per N.")
    rows = []
    runs = [(n, "evaluate_dataset") for n in args.sizes]
    if args.compare_old:
        runs.append((args.compare_old, "predict_dataset"))
    for n, method in runs:
        rows.append(measure(n, method, args))
        print(f"  N={n} {method}: {rows[-1]['above_baseline_mb']} MB above the baseline",
              flush=True)
    print(table(rows))

    streamed = sorted((r for r in rows if r["method"] == "evaluate_dataset"),
                      key=lambda r: r["n"])
    summary = {}
    if len(streamed) > 1:
        first, last = streamed[0], streamed[-1]
        growth = last["above_baseline_mb"] - first["above_baseline_mb"]
        iou_list = (last["n"] - first["n"]) * 4 / 2**20
        summary["growth"] = {"from_n": first["n"], "to_n": last["n"], "peak_growth_mb": growth,
                             "image_iou_growth_mb": round(iou_list, 3)}
        print(f"From N={first['n']} to N={last['n']} the peak above the baseline changes by "
              f"{growth:+.1f} MB; the per-image IoU list grows by {iou_list:.3f} MB "
              "(differences of a few MB are allocator noise).")
    for r in streamed:
        if r["n"] >= TEST_SPLIT:
            verdict = "under" if r["above_baseline_mb"] < LIMIT_MB else "OVER"
            print(f"N={r['n']}: {r['above_baseline_mb']} MB above the baseline, {verdict} the "
                  f"{LIMIT_MB} MB goal.")
    cache_mb = max(r["n"] for r in rows) * args.image_size ** 2 * 4 / 2**20
    print(f"Notebook 06 reads its split with cache=False: load_pets's cache (uint8 photo and "
          f"mask) would hold {cache_mb:.0f} MB more for N={max(r['n'] for r in rows)} at "
          f"{args.image_size} px.")

    from importlib.metadata import version  # TensorFlow's, for the record

    record = {
        "image_size": args.image_size, "batch_size": args.batch_size,
        "model": {"base_filters": args.base_filters, "depth": args.depth,
                  "params": rows[0]["params"]},
        "rows": rows, **summary, "limit_mb_at_3669": LIMIT_MB,
        "split_cache_mb_not_measured": round(cache_mb),
        "note": ("peak resident memory (VmHWM, reset after the baseline where Linux allows) "
                 "minus the resident memory after importing TensorFlow, building the model and "
                 "predicting one batch; one fresh process per N; narrow model on purpose"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load average "
                   f"{os.getloadavg()[0]:.1f} at the end (shared machines slow the timings, "
                   "not the memory)",
        "tensorflow": version("tensorflow"), "date": datetime.date.today().isoformat(),
        "command": "benchmarks/eval_memory.py " + " ".join(argv),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
