"""Figures measured by the benchmark scripts, shipped with the package as JSON files.

Notebooks quote measured figures (notebook 07 the experiments, 03 and 04 the
real photos' class shares). They live here, inside the package, so that a
notebook opened alone in Colab has them too. Each figure is written once, by
the script that measured it, into this folder:

* ``experiments/<variant>.json``: ``benchmarks/experiments.py`` (one file per variant);
* ``real_sample.json``: ``benchmarks/data_stats.py``.

The README and the notebooks' prose quote these files, and tests check the
quotes against them. This module only reads; it imports nothing of the package.
"""

from __future__ import annotations

import json
from importlib import resources

EXPERIMENTS = "experiments"
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


def real_sample() -> dict:
    """Pixel shares of the real photo sample's trimaps (``benchmarks/data_stats.py``)."""
    return read(REAL_SAMPLE)
