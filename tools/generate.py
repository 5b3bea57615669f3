#!/usr/bin/env python3
"""The one generator: every generated file and every generated block of text.

    python3 tasks.py generate            # rewrite what is stale
    python3 tasks.py generate --check    # exit 1, showing the difference, if anything is stale

What it writes, and from what:

* the notebooks' shared cells, ``notebooks/00_contents.ipynb`` and ``workbooks/``:
  ``tools/nbtools.py`` (from the lessons in ``notebooks/``);
* blocks between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` markers:

  ====================  ==========================  ======================================
  file                  block                       made from
  ====================  ==========================  ======================================
  README.md             ``contents``                each notebook's title and purpose
  README.md             ``results``                 ``benchmarks/results/*.json``
  README.md             ``experiments``             ``unet_helpers/measured/experiments/``
  docs/teaching.md      ``timings``                 ``benchmarks/results/timings/*.json``
  docs/teaching.md      ``proof``                   ``tests/exercise_cases.py``
  ====================  ==========================  ======================================

The benchmark scripts write only their result files; this script turns them
into text, so a figure is written by one script and quoted by one generator.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
sys.path[:0] = [str(TOOLS), str(ROOT)]

import nbtools  # noqa: E402

README = ROOT / "README.md"
TEACHING = ROOT / "docs" / "teaching.md"
RESULTS = ROOT / "benchmarks" / "results"
TIMINGS = RESULTS / "timings"

# README results table: (key in a results.py JSON file, column title)
RESULT_COLUMNS = [
    ("profile", "profile"), ("data", "data"), ("held_out", "scored on"),
    ("image_size", "size"), ("base_filters", "width"), ("budget", "budget"),
    ("epochs", "epochs"), ("steps", "steps"), ("wall_minutes", "wall min"),
    ("train_minutes", "train min"), ("images_per_s", "img/s"), ("iou_background", "IoU bg"),
    ("iou_pet", "IoU pet"),
    ("iou_pet_ci95", "IoU pet 95 % interval"),
    ("mean_iou", "mean IoU"), ("dice_pet", "Dice pet"), ("pixel_accuracy", "pixel acc."),
    ("machine", "machine")]

# README experiments table: (key of a summary row, column title)
EXPERIMENT_COLUMNS = [
    ("variant", "variant"), ("what", "what changes"), ("parameters", "parameters"),
    ("forward_gflops", "GFLOPs/image"), ("images_per_s", "img/s"), ("steps", "steps"),
    ("epochs", "epochs"), ("iou_pet", "test pet IoU"), ("ci95", "95 % interval"),
    ("iou_pet_border_left_out", "border left out")]

# docs/teaching.md timings: what takes the time in each notebook
TIME_GOES_TO = {
    "01": "nothing: small models",
    "02": "building the 31-million-parameter network",
    "03": "decoding photos, the throughput measurement",
    "04": "training: the profile's budget",
    "06": "predicting the held-out photos",
    "07": "the three exports and their timings",
    "08": "two tiny variants trained live",
}


def markdown_table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    lines = ["| " + " | ".join(title for _, title in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(f"{row.get(key, '')}" for key, _ in columns) + " |"
              for row in rows]
    return "\n".join(lines)


def made_by(rows: list[dict]) -> str:
    """One line per distinct command behind ``rows``: command, machine, TensorFlow, date."""
    lines = dict.fromkeys(f"- `{row['command']}` ({row['machine']}, TensorFlow "
                          f"{row['tensorflow']}, {row['date']})" for row in rows)
    return "\n".join(lines)


def fill_block(text: str, name: str, body: str, where: str = "the file") -> str:
    """``text`` with the lines between the ``<!-- name:begin/end -->`` markers replaced."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{where} has no {begin} ... {end} block to fill.")
    return pattern.sub(lambda _: f"{begin}\n{body}\n{end}", text)


# --- the blocks -----------------------------------------------------------------------------

def results_block(folder: Path = RESULTS) -> str:
    """The current results of ``benchmarks/results.py`` (superseded ones are in history/)."""
    rows = [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
    return f"{markdown_table(rows, RESULT_COLUMNS)}\n\nMade by:\n\n{made_by(rows)}"


def experiment_rows(results: list[dict]) -> list[dict]:
    return [{**r, "iou_pet": r["test"]["border_as_pet"]["iou_pet"],
             "ci95": "{:.3f} to {:.3f}".format(*r["test"]["border_as_pet"]["ci95"]),
             "iou_pet_border_left_out": r["test"]["border_left_out"]["iou_pet"]}
            for r in results]


def experiments_block(results: list[dict] | None = None) -> str:
    if results is None:
        import unet_helpers as uh  # through its door: TensorFlow starts quietly

        results = uh.variants.measured()
    commands = sorted(results, key=lambda r: r["command"])
    return (f"{markdown_table(experiment_rows(results), EXPERIMENT_COLUMNS)}\n\n"
            f"Made by:\n\n{made_by(commands)}")


def timings_block(folder: Path = TIMINGS) -> str:
    """Seconds per notebook from the ``timings.json`` of ``tasks.py run``, one column a profile."""
    runs = {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}
    profiles = [name for name in ("smoke", "cpu", "gpu") if name in runs]
    columns = [f"`{name}` ({runs[name]['data']})" for name in profiles]
    lines = ["| notebook | " + " | ".join(columns) + " | what takes the time |",
             "|---|" + "---|" * len(profiles) + "---|"]
    for path in nbtools.notebook_paths():
        number = path.name[:2]
        cells = []
        for name in profiles:
            seconds = runs[name]["seconds"].get(path.name)
            cells.append("not measured" if seconds is None else
                         f"{seconds:.0f} s" + (f" ({seconds / 60:.0f} min)" if seconds >= 120
                                               else ""))
        title = nbtools.title_of(nbtools.nbformat.read(path, as_version=4))
        lines.append(f"| {title} | " + " | ".join(cells) + f" | {TIME_GOES_TO.get(number, '')} |")
    made = [f"- `{runs[name]['command']}` ({runs[name]['machine']}, TensorFlow "
            f"{runs[name]['tensorflow']}, {runs[name]['date']})"
            + (f"; {runs[name]['note']}" if runs[name].get("note") else "")
            for name in profiles]
    return "\n".join(lines) + "\n\nMade by:\n\n" + "\n".join(made)


def proof_block() -> str:
    """How many planted mistakes and right answers written differently each check is fed."""
    sys.path.insert(0, str(ROOT / "tests"))
    import exercise_cases
    import exercises

    found = exercises.all_exercises()
    mistakes = {gid: len(exercise_cases.MISTAKES.get(gid, [])) for gid in found}
    equivalents = sum(len(v) for v in exercise_cases.EQUIVALENTS.values())
    lines = [f"`tests/test_exercises.py` runs, for each of the {len(found)} exercises, the model "
             "answer (its check must pass), the stub (it must fail), every right answer written "
             f"another way ({equivalents} in all, in `tests/exercise_cases.py`: they must pass) "
             f"and every planted mistake ({sum(mistakes.values())} in all: each must be caught "
             "with the message listed beside it). The tests fail on any one that is not.",
             "", "| exercise | planted mistakes |", "|---|---|"]
    lines += [f"| `{gid}` | {count} |" for gid, count in mistakes.items()]
    return "\n".join(lines)


def blocks() -> dict[Path, list[tuple[str, callable]]]:
    return {README: [("contents", nbtools.contents_table), ("results", results_block),
                     ("experiments", experiments_block)],
            TEACHING: [("timings", timings_block), ("proof", proof_block)]}


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def generate(check: bool) -> int:
    import unet_helpers as uh

    uh.quiet.import_tensorflow_once()  # the experiments table loads TensorFlow: quietly
    stale = nbtools.sync(check)
    for path, fills in blocks().items():
        before = path.read_text()
        after = before
        for name, make in fills:
            after = fill_block(after, name, make(), _shown(path))
        if after == before:
            continue
        stale = 1
        if check:
            diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="",
                                        fromfile=_shown(path), tofile="generated",
                                        n=1)
            print("\n".join(list(diff)[:40]))
        else:
            path.write_text(after)
            print(f"updated {_shown(path)}")
    if check and stale:
        print("\nRun `python3 tasks.py generate` to bring these up to date.")
    return stale if check else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 and show the difference if anything is stale")
    return generate(parser.parse_args(argv).check)


if __name__ == "__main__":
    sys.exit(main())
