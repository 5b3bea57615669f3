"""uh.variants and uh.measured: paired comparisons, and results as measured."""

import json
import sys

import keras
import numpy as np
import pytest
from conftest import ROOT

import unet_helpers as uh
from unet_helpers import variants

sys.path.insert(0, str(ROOT / "benchmarks"))


def _result(name, overlaps):
    overlaps = np.asarray(overlaps)
    iou = overlaps[:, 0].sum() / overlaps[:, 1].sum()
    scored = {"iou_pet": round(float(iou), 4), "ci95": [0, 1], "overlaps": overlaps.tolist()}
    return {"variant": name, "test": {"border_as_pet": scored, "border_left_out": scored}}


def test_verdicts_read_the_interval_of_a_difference():
    assert variants.verdict(0.01, 0.05) == "better"
    assert variants.verdict(-0.05, -0.01) == "worse"
    assert variants.verdict(-0.01, 0.05) == "no measured difference"


def test_compare_pairs_each_variant_with_the_reference_photo_by_photo():
    rng = np.random.default_rng(0)
    unions = rng.integers(500, 5000, size=60)
    base = np.stack([(unions * 0.6).astype(int), unions], -1)
    better = np.stack([(unions * 0.7).astype(int), unions], -1)  # every photo gains
    noisy = np.stack([(unions * rng.uniform(0.4, 0.8, 60)).astype(int), unions], -1)
    rows = variants.compare([_result("baseline", base), _result("better", better),
                                _result("noisy", noisy)])
    by_name = {row["variant"]: row for row in rows}
    assert set(by_name) == {"better", "noisy"}, "the reference is not compared with itself"
    assert by_name["better"]["verdict"] == "better"
    assert by_name["better"]["difference"] == pytest.approx(0.1, abs=2e-3)
    assert by_name["noisy"]["verdict"] == "no measured difference"
    assert by_name["noisy"]["ci95"][0] < 0 < by_name["noisy"]["ci95"][1]
    with pytest.raises(ValueError, match="No result for the reference 'nothing'"):
        variants.compare([_result("baseline", base)], reference="nothing")


def test_every_variant_changes_one_setting_of_what_it_is_compared_with():
    for variant in variants.VARIANTS[1:]:
        base = variants.BY_NAME[variant.against].settings()
        changed = {k for k, v in variant.settings().items() if v != base[k]}
        assert len(changed) == 1, (variant.name, variant.against, changed)
    assert variants.BY_NAME["border-ignored"].against == "loss-crossentropy"


def test_compare_scores_each_variant_against_its_one_change_and_adjusts_for_the_family():
    rng = np.random.default_rng(1)
    unions = rng.integers(500, 5000, size=60)

    def at(share):
        return np.stack([(unions * share).astype(int), unions], -1)

    results = [_result("baseline", at(0.6)), _result("loss-crossentropy", at(0.5)),
               _result("border-ignored", at(0.55))]
    rows = {row["variant"]: row for row in variants.compare(results, family=True)}
    assert rows["border-ignored"]["against"] == "loss-crossentropy"
    assert rows["border-ignored"]["difference"] == pytest.approx(0.05, abs=2e-3), \
        "the difference from cross-entropy alone, not from the baseline (-0.05)"
    assert rows["loss-crossentropy"]["against"] == "baseline"
    for row in rows.values():
        low, high = row["ci95"]
        family_low, family_high = row["ci_family"]
        assert family_low <= low <= high <= family_high, "the family's intervals are wider"
    everyone = variants.compare(results, reference="baseline")
    assert {row["against"] for row in everyone} == {"baseline"}
    with pytest.raises(ValueError, match="compared with 'loss-crossentropy'.*reference="):
        variants.compare([results[0], results[2]])


def test_run_variant_wants_one_budget():
    profile = uh.get_profile("smoke")
    with pytest.raises(ValueError, match="steps=... or as minutes="):
        variants.run_variant(variants.VARIANTS[0], profile, source="generated")
    with pytest.raises(ValueError, match="one of the two"):
        variants.run_variant(variants.VARIANTS[0], profile, source="generated", steps=2,
                                minutes=1)


def test_run_variant_with_minutes_follows_the_clock():
    """A budget in minutes on the clock (validation included), the cosine following it."""
    smoke = uh.get_profile("smoke")  # at a quarter of its pixels and half its width
    profile = type(smoke)(**{**smoke.as_dict(), "image_size": 32, "base_filters": 4})
    lines = []
    result, model = variants.run_variant(variants.BY_NAME["depth-3"], profile,
                                            source="generated", minutes=0.05,
                                            steps_per_epoch=3, log=lines.append)
    assert result["budget"] == "0.05 min on the clock" and result["planned_steps"] is None
    assert result["wall_minutes"] >= result["train_minutes"] > 0
    assert result["steps"] == int(model.optimizer.iterations) > 3, "more than one epoch"
    assert result["epochs"] == len(result["validation_curve"]) == len(lines)
    assert result["epochs"] == -(-result["steps"] // 3), "the last epoch cut short"
    assert "epoch 1, step 3, validation pet IoU" in lines[0]
    rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    assert rate < 0.05 * profile.learning_rate, "the cosine reached its end with the clock"
    assert result["images_per_s"] > 0


def test_the_shipped_results_are_the_measured_files():
    """The package's results are the files benchmarks/experiments.py writes, in one place."""
    import experiments as script

    assert script.PACKAGE_DATA == ROOT / "unet_helpers" / "measured" / "experiments"
    assert script.load_results(script.PACKAGE_DATA) == uh.variants.measured()
    assert script.DEFAULT_OUT != script.PACKAGE_DATA, "a rerun never overwrites them by default"
    names = [r["variant"] for r in uh.variants.measured()]
    assert names == [v.name for v in variants.VARIANTS], "every variant, in order"
    assert uh.measured.experiment_commands() == sorted({r["command"] for r in uh.variants.measured()})
    for result in uh.variants.measured():
        for scoring in ("border_as_pet", "border_left_out"):
            score = result["test"][scoring]
            low, high = score["ci95"]
            assert 0 <= low <= score["iou_pet"] <= high <= 1
            assert len(score["overlaps"]) == result["test"]["photos"]
    budgets = {r["budget"] for r in uh.variants.measured()}
    assert len(budgets) == 1, "one budget for every variant"
    rows = json.loads(json.dumps(uh.variants.compare(uh.variants.measured())))
    assert len(rows) == len(names) - 1


def test_interval_and_cost_charts_draw_every_point():
    figure = uh.viz.interval_chart(["a", "b", "c"], [0.5, 0.6, 0.7], [0.4, 0.5, 0.6],
                                   [0.6, 0.7, 0.8], reference=0.6, xlabel="IoU")
    axis = figure.axes[0]
    assert [t.get_text() for t in axis.get_yticklabels()] == ["a", "b", "c"]
    assert axis.get_xlabel() == "IoU"
    figure = uh.viz.cost_chart([[1, 2, 4], [10, 20, 40]], [0.5, 0.6, 0.7], ["a", "b", "c"],
                               xlabels=("GFLOPs", "img/s"), ylabel="IoU")
    assert len(figure.axes) == 2
    assert all(len(axis.texts) == 3 for axis in figure.axes), "every point is named"
    assert [axis.get_xscale() for axis in figure.axes] == ["log", "log"]


def test_every_figure_quoted_in_notebook_08_comes_from_the_results():
    """Numbers like 0.655 or +0.021 in 08's prose must be values of the shipped results."""
    import re

    import nbformat

    results = uh.variants.measured()
    known = set()
    for scoring in ("border_as_pet", "border_left_out"):
        for result in results:
            score = result["test"][scoring]
            known |= {f"{score['iou_pet']:.3f}", *(f"{v:.3f}" for v in score["ci95"])}
            low, high = score["ci95"]
            known.add(f"{(high - low) / 2:.3f}")  # an interval's half width, "about ±0.04"
        for row in uh.variants.compare(results, scoring=scoring, family=True):
            known |= {f"{abs(row['difference']):.3f}",
                      *(f"{abs(v):.3f}" for v in (*row["ci95"], *row["ci_family"]))}
    known |= {"0.05", "0.95"}  # the intervals' level and the error rate it leaves (section 3)
    for result in results:
        known.add(f"{result['forward_gflops']:.2f}")
        known.add(f"{result['images_per_s']:.1f}")
    nb = nbformat.read(ROOT / "notebooks" / "08_experiments.ipynb", as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    quoted = re.findall(r"(?<![\d.])[+−-]?(\d+\.\d{2,3})(?![\d])", prose)
    assert quoted, "the conclusions quote measured figures"
    unknown = [q for q in quoted if q not in known]
    assert not unknown, f"figures in notebook 08 that the results do not hold: {unknown}"
    assert results[0]["budget"] in prose, "the budget is stated"
    assert f"{results[0]['test']['photos']} test photos" in prose


def test_the_readme_shows_the_measured_table():
    """The README's experiments block is the shipped results, as tools/generate.py writes it."""
    import generate

    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- experiments:begin -->")[1].split("<!-- experiments:end -->")[0]
    table = generate.experiments_block()
    assert table.strip() == block.strip() and "benchmarks/experiments.py --minutes" in block
    assert table.count("\n|") == 1 + len(variants.VARIANTS), "a row for every variant"


def _quoted(notebook: str, after: str, before: str) -> list[str]:
    """The figures (0.655, +0.021, ...) in a notebook's prose (or the README) between headings."""
    import re

    import nbformat

    if notebook == "README.md":
        prose = (ROOT / notebook).read_text()
    else:
        nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
        prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    prose = prose[prose.index(after):prose.index(before, prose.index(after))]
    return re.findall(r"(?<![\d.])[+−-]?(\d+\.\d{2,3})(?![\d])", prose)


def test_the_three_class_runs_pair_the_two_heads_seed_by_seed():
    runs = uh.measured.three_classes()
    assert sorted(runs) == [0, 1, 2], "three seeds"
    for seed, results in runs.items():
        assert sorted(r["variant"] for r in results) == ["baseline", "three-classes"]
        assert {r["seed"] for r in results} == {seed}
        assert len({r["steps"] for r in results}) == 1, "the same budget for both heads"
        assert len({r["test"]["photos"] for r in results}) == 1
        assert all("--steps 120" in r["command"] and f"--seed {seed}" in r["command"]
                   and "/tmp" not in r["command"] for r in results)
        three = next(r for r in results if r["variant"] == "three-classes")
        assert three["settings"]["classes"] == 3
        [row] = uh.variants.compare(results)
        assert row["against"] == "baseline" and row["variant"] == "three-classes"


def test_every_figure_quoted_about_three_classes_and_seeds_comes_from_the_runs():
    runs = uh.measured.three_classes()
    known = set()
    for results in runs.values():
        for result in results:
            score = result["test"]["border_as_pet"]
            known |= {f"{score['iou_pet']:.3f}", *(f"{v:.3f}" for v in score["ci95"])}
        for row in uh.variants.compare(results):
            known |= {f"{abs(row['difference']):.3f}", *(f"{abs(v):.3f}" for v in row["ci95"])}
    differences = [uh.variants.compare(results)[0]["difference"] for results in runs.values()]
    known.add(f"{abs(np.mean(differences)):.3f}")
    base = [next(r for r in results if r["variant"] == "baseline")["test"]["border_as_pet"]
            for results in runs.values()]
    ious = [score["iou_pet"] for score in base]
    known.add(f"{max(ious) - min(ious):.3f}")
    known.add(f"{np.mean([s['ci95'][1] - s['ci95'][0] for s in base]):.3f}")
    for notebook, after, before in (
            ("05_training_faster.ipynb", "## 8. Three classes", "## Summary"),
            ("06_evaluation.ipynb", "### What the interval leaves out", "### At each photo"),
            ("README.md", "### Three classes against two", "### Keras backends")):
        quoted = _quoted(notebook, after, before)
        assert quoted, f"{notebook}: the section quotes its measured figures"
        unknown = [q for q in quoted if q not in known]
        assert not unknown, f"figures in {notebook} that the runs do not hold: {unknown}"
