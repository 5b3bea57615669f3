#!/usr/bin/env python3
"""How many images a second the ``cpu`` profile trains on this CPU, under each speed option.

Not a test. For each option it starts a fresh Python (precision policies and
XLA are process-wide), builds and compiles the profile's U-Net, trains a few
steps that are not timed (the first traces and compiles the step), then
times ``--steps`` training steps with ``uh.training.Stopwatch`` (inside the
batches: the speed of training itself). The options run in turn, round after
round (A B C ... A B C ...), so that a machine whose speed drifts slows them
all alike; each option's figure is the median over the rounds, and its ratio
to ``float32`` is taken round by round.

Options (one change each from the profile as it is, float32 without XLA):

- ``mixed_bfloat16``: layers compute in bfloat16, weights stay float32 (oneDNN
  uses the CPU's bfloat16 instructions where it has them: AVX-512 BF16, AMX);
- ``xla``: ``jit_compile=True``; ``mixed_bfloat16+xla``: both;
- ``batch8`` / ``batch32``: half and twice the profile's batch (images/s, not steps/s);
- ``one-batch``: the same batch again and again from memory instead of the
  ``tf.data`` pipeline (cache, augmentation, shuffle, prefetch): when it is
  no faster, the pipeline is not what limits training.

The photos are the sample's (``--pets-dir``, default ``$UNET_PETS_DIR``) when
present, else generated images: speed does not depend on what they show.
Results go to ``--out`` as JSON, with the CPU's features.

    .venv/bin/python benchmarks/cpu_speed.py --out benchmarks/results/cpu_speed.json
    .venv/bin/python benchmarks/cpu_speed.py --steps 3 --warmup 1 --rounds 1 \\
        --options float32 xla --out /tmp/speed.json     # seconds: proves the code path
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPTIONS = {  # name: (precision policy, jit_compile, batch-size factor, pipeline)
    "float32": ("float32", False, 1, "tf.data"),
    "mixed_bfloat16": ("mixed_bfloat16", False, 1, "tf.data"),
    "xla": ("float32", True, 1, "tf.data"),
    "mixed_bfloat16+xla": ("mixed_bfloat16", True, 1, "tf.data"),
    "batch8": ("float32", False, 0.5, "tf.data"),
    "batch32": ("float32", False, 2, "tf.data"),
    "one-batch": ("float32", False, 1, "memory"),
}
FEATURES = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "avx512_fp16")


def cpu_features() -> dict:
    """The processor's model name and which of :data:`FEATURES` its flags list (Linux)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {"model": platform.processor() or platform.machine(), "flags": None}
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines()
                  if line.startswith("model name")), platform.machine())
    flags = set(next((line.split(":", 1)[1].split() for line in text.splitlines()
                      if line.startswith("flags")), []))
    return {"model": model, "flags": [name for name in FEATURES if name in flags]}


def child(option: str, steps: int, warmup: int, pets_dir) -> dict:
    """One option, measured in this process."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(ROOT))
    import keras
    import tensorflow as tf

    import unet_helpers as uh

    policy, jit, factor, pipeline = OPTIONS[option]
    profile = uh.get_profile("cpu")
    batch = int(profile.batch_size * factor)
    source = "directory" if pets_dir and Path(pets_dir).is_dir() else "generated"
    train = uh.load_pets("train", source=source, pets_dir=pets_dir,
                         image_size=profile.image_size, batch_size=batch,
                         augment=profile.augment, drop_remainder=True, verbose=False)
    uh.training.count_batches(train)  # decode every photo once, into the cache
    if pipeline == "memory":
        train = tf.data.Dataset.from_tensors(next(iter(train)))
    keras.utils.set_random_seed(0)
    keras.mixed_precision.set_global_policy(policy)
    try:
        model = uh.training.profile_model(profile, None, jit_compile=jit)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    model.fit(train.repeat(), epochs=1, steps_per_epoch=warmup, verbose=0)  # compiles
    watch = uh.training.Stopwatch()
    model.fit(train.repeat(), epochs=1, steps_per_epoch=steps + 1, verbose=0,
              callbacks=[watch])  # its first batch is not timed
    return {"option": option, "policy": policy, "jit_compile": jit, "batch_size": batch,
            "pipeline": pipeline, "source": source, "steps": watch.steps,
            "images_per_s": round(watch.steps * batch / watch.batch_seconds, 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--options", nargs="+", default=list(OPTIONS), choices=list(OPTIONS))
    parser.add_argument("--steps", type=int, default=30, help="timed steps per option and round")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (compile)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pets-dir", default=os.environ.get("UNET_PETS_DIR"))
    parser.add_argument("--out", type=Path, help="the JSON file to write (needed)")
    parser.add_argument("--child", choices=list(OPTIONS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.steps, args.warmup, args.pets_dir)))
        return 0
    if not args.out:
        parser.error("--out is needed: the JSON file for the results, e.g. "
                     "--out benchmarks/results/cpu_speed.json")
    if "float32" not in args.options:
        args.options.insert(0, "float32")  # the reference of every ratio
    runs: dict[str, list[dict]] = {name: [] for name in args.options}
    for number in range(1, args.rounds + 1):
        for name in args.options:
            command = [sys.executable, __file__, "--child", name, "--steps", str(args.steps),
                       "--warmup", str(args.warmup)]
            if args.pets_dir:
                command += ["--pets-dir", args.pets_dir]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                said = (done.stderr.strip().splitlines() or ["(nothing)"])[-1]
                print(f"round {number}, {name}: failed: {said}", flush=True)
                runs[name].append({"option": name, "failed": said})
                continue
            runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"round {number}, {name}: {runs[name][-1]['images_per_s']} images/s",
                  flush=True)
    summary = []
    for name, rows in runs.items():
        speeds = [row.get("images_per_s") for row in rows]
        base = [row.get("images_per_s") for row in runs["float32"]]
        ratios = [a / b for a, b in zip(speeds, base) if a and b]
        summary.append({
            "option": name, "images_per_s": [s for s in speeds if s],
            "median_images_per_s": round(statistics.median([s for s in speeds if s]), 1)
            if any(speeds) else None,
            "ratio_to_float32": [round(r, 3) for r in ratios],
            "median_ratio": round(statistics.median(ratios), 3) if ratios else None,
            "failed": [row["failed"] for row in rows if "failed" in row]})
    result = {"machine": f"{cpu_features()['model']}, {os.cpu_count()} cores",
              "cpu_flags": cpu_features()["flags"], "date": datetime.date.today().isoformat(),
              "steps": args.steps, "rounds": args.rounds, "options": summary,
              "command": "benchmarks/cpu_speed.py " + " ".join(argv or sys.argv[1:])}
    import tensorflow as tf  # only to record its version

    result["tensorflow"] = tf.__version__
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for row in summary:
        print(f"{row['option']:<20} {row['median_images_per_s']} images/s, "
              f"x{row['median_ratio']} of float32 (rounds: {row['ratio_to_float32']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
