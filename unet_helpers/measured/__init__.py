"""Figures measured by the benchmark scripts, shipped with the package as JSON files.

Notebooks quote measured figures (notebook 08 the experiments, 03 and 04 the
real photos' class shares). They live here, inside the package, so that a
notebook opened alone in Colab has them too. Each figure is written once, by
the script that measured it, into this folder:

* ``experiments/<variant>.json``: ``benchmarks/experiments.py`` (one file per variant);
* ``three_classes/seed-<S>/<variant>.json``: ``benchmarks/experiments.py`` again, the
  baseline and the 3-class head side by side at seeds 0, 1 and 2 (notebooks 05 and 06);
* ``real_sample.json``: ``benchmarks/data_stats.py``.

The README and the notebooks' prose quote these files, and tests check the
quotes against them. This module only reads; it imports nothing of the package.
"""

from __future__ import annotations

import json
from importlib import resources

EXPERIMENTS = "experiments"
THREE_CLASSES = "three_classes"
REAL_SAMPLE = "real_sample.json"


def _folder():
    return resources.files(__name__)


def read(*parts: str) -> dict:
    """One JSON file of this folder, e.g. ``read("experiments", "baseline.json")``."""
    return json.loads(_folder().joinpath(*parts).read_text(encoding="utf-8"))


def experiments() -> list[dict]:
    """Every result file of ``benchmarks/experiments.py``, sorted by variant name.

    ``uh.variants.measured()`` gives them in the order of the variant list.
    """
    folder = _folder().joinpath(EXPERIMENTS)
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".json"))
    return [read(EXPERIMENTS, name) for name in names]


def experiment_commands() -> list[str]:
    """The commands that made the shipped experiment results (one, usually)."""
    return sorted({result["command"] for result in experiments()})


def three_classes() -> dict[int, list[dict]]:
    """The baseline and the 3-class head trained side by side, by seed: ``{seed: [results]}``.

    Each seed's results come from one run of ``benchmarks/experiments.py``, so the
    two variants of a seed had the same photos, budget and machine.
    """
    folder = _folder().joinpath(THREE_CLASSES)
    runs = {}
    for entry in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if entry.name.startswith("seed-"):
            names = sorted(f.name for f in entry.iterdir() if f.name.endswith(".json"))
            runs[int(entry.name[len("seed-"):])] = [read(THREE_CLASSES, entry.name, name)
                                                    for name in names]
    return dict(sorted(runs.items()))


def real_sample() -> dict:
    """Pixel shares of the real photo sample's trimaps (``benchmarks/data_stats.py``)."""
    return read(REAL_SAMPLE)
