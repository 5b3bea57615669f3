#!/usr/bin/env python3
"""Class balance of the real photos, for the notebooks that run on generated ones.

The `smoke` profile trains on generated pets, whose shapes and shares differ
from real photos. Notebooks 03 and 04 print the real figures beside the
generated ones; this script measures them on a folder of the official
archives (trimaps only, at their own resolution) and writes them into the
package's data, ``unet_helpers/measured/real_sample.json`` (``uh.measured.real_sample()``),
so that a notebook opened alone has them too.

    .venv/bin/python benchmarks/data_stats.py --pets-dir ../shared/data/oxford-iiit-pet-sample
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "unet_helpers" / "measured" / "real_sample.json"


def trimap_paths(folder: Path) -> list[Path]:
    names = set()
    for listing in ("trainval.txt", "test.txt"):
        path = folder / "annotations" / listing
        if path.is_file():
            names |= {line.split()[0] for line in path.read_text().splitlines()
                      if line.strip() and not line.startswith("#")}
    if not names:
        raise SystemExit(f"{folder}/annotations has no trainval.txt or test.txt.")
    return sorted(folder / "annotations" / "trimaps" / f"{name}.png" for name in names)


def measure(folder: Path) -> dict:
    counts = np.zeros(4, np.int64)
    per_image = []
    breeds = set()
    for path in trimap_paths(folder):
        trimap = np.asarray(Image.open(path))
        here = np.bincount(trimap.ravel(), minlength=4)[:4]
        counts += here
        per_image.append((here[1] + here[3]) / here[1:].sum())
        breeds.add(path.stem.rsplit("_", 1)[0])
    total = counts[1:].sum()
    return {
        "photos": len(per_image),
        "breeds": len(breeds),
        "pet": round(float(counts[1] / total), 4),
        "background": round(float(counts[2] / total), 4),
        "border": round(float(counts[3] / total), 4),
        "pet_or_border": round(float((counts[1] + counts[3]) / total), 4),
        "image_pet_or_border_median": round(float(np.median(per_image)), 4),
        "image_pet_or_border_range": [round(float(min(per_image)), 4),
                                      round(float(max(per_image)), 4)],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pets-dir", type=Path, required=True)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the package's real_sample.json differs from a "
                             "new measurement")
    args = parser.parse_args(argv)
    stats = {**measure(args.pets_dir), "folder": args.pets_dir.name}
    text = json.dumps(stats, indent=2) + "\n"
    if args.check:
        same = TARGET.is_file() and TARGET.read_text() == text
        print(f"{TARGET.name} is up to date" if same
              else f"{TARGET.name} differs: run without --check")
        return 0 if same else 1
    TARGET.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
