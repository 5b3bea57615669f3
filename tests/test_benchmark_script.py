"""The benchmark script keeps working (its figures come from real runs, not from here)."""

import json
import sys

import pytest
from conftest import NOT_THE_SAMPLE, NOT_THE_SAMPLE_WHY, ROOT, SAMPLE_DIR

sys.path.insert(0, str(ROOT / "benchmarks"))
import train_pets  # noqa: E402

# the cpu profile's 15-minute run with its budget in steps, before the budget in minutes
BEFORE = "cpu-directory-oxford-iiit-pet-sample-2026-11-26-step-cosine"


@pytest.mark.as_user
def test_benchmark_runs_and_reports(capsys):
    assert train_pets.main(["--profile", "smoke", "--source", "generated",
                            "--minutes", "0", "--train-steps", "2"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()
             if line.startswith("{")]
    settings, epoch, summary = lines[0], lines[1], lines[-1]
    assert settings["settings"]["name"] == "smoke" and settings["settings"]["train_steps"] == 2
    assert epoch["epoch"] == 1 and epoch["images_per_s"] > 0
    assert 0.0 <= summary["best_val_pet_iou"] <= 1.0 and summary["peak_rss_mb"] > 0
    assert summary["epochs_run"] == 1, "--minutes 0 stops after the first epoch"


@pytest.mark.as_user
def test_results_script_writes_json_csv_markdown_and_readme_table(tmp_path, capsys):
    import csv

    import generate
    import results

    assert results.main(["--profile", "smoke", "--source", "generated", "--out",
                         str(tmp_path)]) == 0
    row = json.loads((tmp_path / "smoke-generated.json").read_text())
    assert row["held_out"] == "test (60)" and row["epochs"] == 2 and row["image_size"] == 64
    low, high = (float(v) for v in row["iou_pet_ci95"].split(" to "))
    assert 0 <= low <= row["iou_pet"] <= high <= 1, "the interval brackets the split's IoU"
    assert 0 <= row["iou_pet"] <= 1 and row["mean_iou"] == pytest.approx(
        (row["iou_pet"] + row["iou_background"]) / 2, abs=1e-3)
    with (tmp_path / "smoke-generated.csv").open() as handle:
        assert next(csv.DictReader(handle))["iou_pet"] == str(row["iou_pet"])
    text = "intro\n<!-- results:begin -->\nold\n<!-- results:end -->\noutro\n"
    table = generate.fill_block(text, "results", generate.results_block(tmp_path))
    assert "old" not in table and table.startswith("intro") and table.endswith("outro\n")
    assert "| smoke | generated | test (60) | 64 | 8 | cosine over 8 steps | 2 | 8 |" in table
    assert row["steps"] == 8 and row["budget"] == "cosine over 8 steps"
    assert row["wall_minutes"] >= row["train_minutes"] > 0, "wall time beside training time"
    assert "benchmarks/results.py --profile smoke" in table


@pytest.mark.as_user
def test_cpu_speed_script_measures_each_option_against_float32(tmp_path, capsys):
    import cpu_speed

    with pytest.raises(SystemExit):  # before any measuring: nowhere to write the results
        cpu_speed.main(["--steps", "2"])
    assert "--out is needed" in capsys.readouterr().err

    out = tmp_path / "speed.json"
    assert cpu_speed.main(["--steps", "2", "--warmup", "1", "--rounds", "1",
                           "--options", "xla", "one-batch", "--pets-dir",
                           str(tmp_path / "no-photos"), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    rows = {row["option"]: row for row in result["options"]}
    assert list(rows) == ["float32", "xla", "one-batch"], "float32 first: the reference"
    assert rows["float32"]["median_ratio"] == 1.0
    for row in rows.values():
        assert row["median_images_per_s"] > 0 and not row["failed"], row
    assert "cores" in result["machine"] and isinstance(result["cpu_flags"], list)


@pytest.mark.as_user
def test_results_script_trains_the_pretrained_unet_from_a_weights_file(tmp_path, capsys,
                                                                        monkeypatch):
    import results

    import unet_helpers as uh

    monkeypatch.delenv(uh.pretrained.WEIGHTS_ENV_VAR, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(uh.pretrained, "reachable", lambda *a, **k: False)  # offline
    assert results.main(["--profile", "smoke", "--source", "generated", "--pretrained",
                         "--out", str(tmp_path)]) == 2
    said = capsys.readouterr()
    assert "cannot be reached" in said.err and "--weights" in said.err
    assert "Traceback" not in said.err and not list(tmp_path.glob("*.json"))

    weights = tmp_path / "encoder.weights.h5"
    model = uh.build_pretrained_unet((64, 64, 3), weights=None, decoder_filters=(8,) * 5)
    model.get_layer("encoder").save_weights(weights)
    assert results.main(["--profile", "smoke", "--source", "generated", "--pretrained",
                         "--weights", str(weights), "--minutes", "0.05",
                         "--out", str(tmp_path)]) == 0
    row = json.loads((tmp_path / "smoke-generated-pretrained.json").read_text())
    assert row["budget"].startswith("pretrained MobileNetV2 (encoder.weights.h5):")
    assert "0.025 min frozen + 0.025 min fine-tuned" in row["budget"]
    assert row["steps"] > 2 and 0 <= row["iou_pet"] <= 1


@pytest.mark.as_user
def test_results_script_needs_a_folder_for_directory(capsys, monkeypatch):
    import results

    # without it, a UNET_PETS_DIR in the environment supplies the folder, and the call trains
    # the cpu profile for 15 minutes and overwrites benchmarks/results/ (it did, 2026-12-05)
    monkeypatch.delenv("UNET_PETS_DIR", raising=False)

    with pytest.raises(SystemExit):
        results.main(["--source", "directory"])
    assert "needs --pets-dir" in capsys.readouterr().err


@pytest.mark.as_user
def test_gpu_check_runs_the_keras_only_layers_under_each_policy(tmp_path):
    """benchmarks/gpu_check.py at smoke sizes, on this CPU with the TensorFlow backend.

    Eager, to stay quick: the metrics under XLA are tested in test_gpu_settings.py.
    """
    import os
    import subprocess

    out = tmp_path / "gpu_check.json"
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--smoke",
                           "--policies", "float32", "mixed_float16", "--epochs", "1", "--eager",
                           "--out", str(out)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["backend"] == "tensorflow"
    # only the Keras-only layers were loaded (the data package's sources need no
    # TensorFlow): no tf.data pipeline, no training helpers, without any stub
    assert report["package_modules_loaded"] == sorted([
        "unet_helpers", "unet_helpers.blocks", "unet_helpers.data", "unet_helpers.data.common",
        "unet_helpers.data.directory", "unet_helpers.data.generated", "unet_helpers.data.images",
        "unet_helpers.data.tfds_source", "unet_helpers.losses", "unet_helpers.metrics",
        "unet_helpers.model", "unet_helpers.network", "unet_helpers.profiles",
        "unet_helpers.quiet"])
    float32, mixed = report["runs"]
    assert float32["conv_compute_dtypes"] == ["float32"]
    assert mixed["conv_compute_dtypes"] == ["float16"] and mixed["weight_dtypes"] == ["float32"]
    assert mixed["head_compute_dtype"] == "float32" and mixed["output_dtype"] == "float32"
    for run in report["runs"]:
        assert run["problems"] == [] and run["largest_gap"] < 1e-3
        assert run["train_images_per_s"] > 0


def test_the_gpu_figures_quoted_match_the_results_files():
    """Notebook 05 and the README quote benchmarks/results/gpu/: the numbers must be those."""
    runs = {}
    for path in (ROOT / "benchmarks" / "results" / "gpu").glob("gpu_check_*.json"):
        report = json.loads(path.read_text())
        assert report["devices"] == ["NVIDIA H200"] and report["settings"]["size"] == 256
        for run in report["runs"]:
            assert run["problems"] == []
            runs[run["policy"]] = run
    assert sorted(runs) == ["float32", "mixed_bfloat16", "mixed_float16"]
    float32, mixed = runs["float32"]["train_images_per_s"], runs["mixed_float16"]["train_images_per_s"]
    notebook = (ROOT / "notebooks" / "05_training_faster.ipynb").read_text()
    readme = (ROOT / "README.md").read_text()
    for text in (notebook, readme):
        assert f"{float32:.1f}" in text and f"{mixed:.1f}" in text
        assert f"{mixed / float32:.1f}" in text  # the speed-up, 1.6
    assert f"{runs['mixed_bfloat16']['train_images_per_s']:.1f}" in readme
    assert f"{runs['float32']['parameters']:,}" in readme



@pytest.mark.skipif(NOT_THE_SAMPLE, reason=NOT_THE_SAMPLE_WHY)
def test_real_sample_figures_in_the_package_are_measured_ones():
    """unet_helpers/measured/real_sample.json (shown by notebooks 03 and 04) matches the photos."""
    import data_stats

    assert data_stats.main(["--pets-dir", str(SAMPLE_DIR), "--check"]) == 0


@pytest.mark.skipif(NOT_THE_SAMPLE, reason=NOT_THE_SAMPLE_WHY)
def test_readme_states_the_samples_three_way_split():
    from unet_helpers.data import scan_directory

    sizes = [len(scan_directory(SAMPLE_DIR, split).pairs)
             for split in ("train", "validation", "test")]
    readme = (ROOT / "README.md").read_text()
    assert "{} train, {} validation, {} test".format(*sizes) in readme


def test_the_resize_policy_figures_quoted_match_the_results_file():
    """Notebook 07 quotes benchmarks/results/resize/baseline.json: the numbers must be those."""
    result = json.loads((ROOT / "benchmarks" / "results" / "resize" / "baseline.json")
                        .read_text())
    chosen = result["chosen_on_validation"]
    assert chosen == "squash", "uh.predict_mask squashes: the measurement must have chosen it"
    validation = result["validation"]
    assert validation[chosen]["iou_pet"] == max(v["iou_pet"] for v in validation.values())
    notebook = (ROOT / "notebooks" / "07_inference_and_export.ipynb").read_text()
    low, high = validation["keep-aspect"]["chosen_minus_this_ci95"]
    assert 0 < low < high, "the quoted difference excludes 0"
    readme = (ROOT / "README.md").read_text()
    for figure in (f"{validation['squash']['photos']} validation photos",
                   f"{validation['squash']['iou_pet']:.3f}",
                   f"{validation['keep-aspect']['iou_pet']:.3f}",
                   f"{validation['own-size']['iou_pet']:.3f}", f"{low:.3f} to {high:.3f}"):
        assert figure in notebook, figure
        assert figure in readme.replace("\n  ", " "), figure
    test = result["test"]
    assert (f"{test['at_the_square']['iou_pet']:.3f} at the\n  {result['image_size']}-px square, "
            f"{test['at_own_resolution']['iou_pet']:.3f} at each photo's own") in readme


@pytest.mark.as_user
def test_experiments_and_resize_policy_scripts_run_and_resume(tmp_path, capsys):
    """benchmarks/experiments.py and resize_policy.py at smoke sizes: the code paths work."""
    import experiments
    import resize_policy

    out, models = tmp_path / "results", tmp_path / "models"
    common = ["--profile", "smoke", "--source", "generated", "--steps", "2",
              "--steps-per-epoch", "1", "--out", str(out)]
    assert experiments.main(common + ["--variants", "border-ignored", "baseline",
                                      "test-time-flip", "--save-models", str(models)]) == 0
    row = json.loads((out / "border-ignored.json").read_text())
    assert row["settings"]["border"] == "ignore" and row["settings"]["loss"] == "crossentropy"
    assert row["epochs"] == 2 and len(row["validation_curve"]) == 2
    assert row["kept_epoch"] in (1, 2) and row["steps"] == 2 and row["images_per_s"] > 0
    for scoring in ("border_as_pet", "border_left_out"):
        low, high = row["test"][scoring]["ci95"]
        assert 0 <= low <= row["test"][scoring]["iou_pet"] <= high <= 1
    assert row["test"]["photos"] == 60 and len(row["test"]["border_as_pet"]["overlaps"]) == 60
    assert row["forward_gflops"] > 0 and row["budget"] == "2 steps"
    baseline = json.loads((out / "baseline.json").read_text())
    flipped = json.loads((out / "test-time-flip.json").read_text())
    assert flipped["evaluation_only"] and flipped["steps"] == baseline["steps"]
    assert flipped["validation_curve"] == baseline["validation_curve"], "the same training"
    assert not (models / "test-time-flip.keras").exists()
    summary = experiments.summary_table(experiments.load_results(out))
    assert summary.count("\n") == 1 + 3 and "| border-ignored |" in summary
    assert (out / "iou.png").stat().st_size > 0 and (out / "cost.png").stat().st_size > 0
    capsys.readouterr()
    assert experiments.main(common + ["--variants", "border-ignored"]) == 0
    assert "done before" in capsys.readouterr().out, "a finished variant is not trained again"
    with pytest.raises(SystemExit):
        experiments.main(common + ["--variants", "no-such-variant"])
    assert "unknown variant" in capsys.readouterr().err

    assert resize_policy.main([str(models / "border-ignored.keras"), "--source", "generated",
                               "--limit", "6", "--out", str(tmp_path / "resize")]) == 0
    policy = json.loads((tmp_path / "resize" / "border-ignored.json").read_text())
    assert set(policy["validation"]) == {"squash", "keep-aspect", "own-size"}
    assert policy["chosen_on_validation"] in policy["validation"]
    assert policy["test"]["at_own_resolution"]["photos"] == 6


def test_the_border_figures_quoted_match_the_results_files():
    """Notebook 03 quotes benchmarks/results/border/: the numbers must be those."""
    folder = ROOT / "benchmarks" / "results" / "border"
    kept = json.loads((folder / "loss-crossentropy.json").read_text())
    ignored = json.loads((folder / "border-ignored.json").read_text())
    assert ignored["settings"]["border"] == "ignore" and kept["settings"]["border"] == "pet"
    assert kept["settings"]["loss"] == ignored["settings"]["loss"] == "crossentropy"
    assert kept["steps"] == ignored["steps"] and kept["data"] == ignored["data"]
    readme = (ROOT / "README.md").read_text()
    assert f"({kept['steps']} steps, one run each)" in readme
    for row in (kept, ignored):
        pair = (f"{row['test']['border_as_pet']['iou_pet']:.3f} / "
                f"{row['test']['border_left_out']['iou_pet']:.3f}")
        assert pair in readme, pair
    # what notebook 03 and the README conclude, paired photo by photo on the shipped 3-minute
    # runs (one change: the border's weight), as notebook 08 compares
    import nbformat

    import unet_helpers as uh

    cells = nbformat.read(ROOT / "notebooks" / "03_pet_data.ipynb", as_version=4).cells
    notebook = "\n".join(cell.source for cell in cells)
    assert 'reference="loss-crossentropy"' in notebook and "border-ignored" in notebook
    verdicts = {}
    for scoring in ("border_as_pet", "border_left_out"):
        rows = uh.variants.compare(uh.variants.measured(), reference="loss-crossentropy",
                                   scoring=scoring)
        verdicts[scoring] = next(r for r in rows if r["variant"] == "border-ignored")
    worse = verdicts["border_as_pet"]
    assert worse["verdict"] == "worse" and "is worse, and the paired interval excludes 0" in notebook
    low, high = worse["ci95"]
    text = " ".join(readme.split())
    assert (f"border scores {-worse['difference']:.3f} lower when the border counts as pet "
            f"(paired 95 % interval −{-low:.3f} to −{-high:.3f})") in text
    assert verdicts["border_left_out"]["verdict"] == "no measured difference"
    assert "no measured difference on the other pixels" in text and \
        "paired interval contains 0: no measured difference" in notebook


def test_the_schedule_figures_quoted_match_the_results_files():
    """docs/history.md (the tuning runs, once notebook 04's section 10) and the README quote
    the profile's before/after runs."""
    folder = ROOT / "benchmarks" / "results"
    before = json.loads((folder / "history" / f"{BEFORE}.json").read_text())
    after = json.loads((folder / "cpu-directory-oxford-iiit-pet-sample.json").read_text())
    assert before["budget"].startswith("cosine over 2002 steps, cut")
    assert after["budget"] == "cosine over 15 min of training"
    assert before["held_out"] == after["held_out"] == "test (48)"
    assert before["steps"] < 2002, "the clock cut the step cosine"
    notebook = (ROOT / "docs" / "history.md").read_text().replace("\n", " ")
    # the profile now is quoted in the README, the former step budget in docs/history.md
    readme = "\n".join((ROOT / name).read_text() for name in ("README.md", "docs/history.md")
                       ).replace("\n", " ")
    for row in (before, after):
        quoted = f"{row['iou_pet']:.3f} (95 % interval {row['iou_pet_ci95']})"
        assert quoted in notebook and quoted in readme, quoted
        assert f"{row['steps']} steps" in notebook and f"{row['images_per_s']} images/s" in notebook
    # the paired comparison of the schedules that section 4 there quotes from notebook 08's results
    import unet_helpers as uh

    rows = uh.variants.compare(uh.variants.measured())
    constant = next(row for row in rows if row["variant"] == "constant-rate")
    low, high = constant["ci95"]
    assert constant["verdict"] == "worse" and high < 0
    assert (f"scored {-constant['difference']:.3f} lower than the cosine over the minutes "
            f"(paired 95 % interval −{-low:.3f} to −{-high:.3f})") in notebook.replace("\n", " ")


def test_the_backend_figures_quoted_match_the_results_files():
    """The README quotes benchmarks/results/backends/: the same run under two Keras backends."""
    folder = ROOT / "benchmarks" / "results" / "backends"
    runs = {name: json.loads((folder / f"{name}.json").read_text())
            for name in ("tensorflow", "jax")}
    for name, run in runs.items():
        assert run["keras_backend"] == name and run["variant"] == "baseline"
        assert run["budget"] == "2 min" and run["steps"] > 0
    readme = (ROOT / "README.md").read_text().replace("\n", " ")
    tf_speed, jax_speed = runs["tensorflow"]["images_per_s"], runs["jax"]["images_per_s"]
    assert f"TensorFlow {tf_speed} images/s ({runs['tensorflow']['steps']} steps)" in readme
    assert f"JAX {jax_speed} images/s ({runs['jax']['steps']} steps)" in readme
    assert f"{jax_speed / tf_speed:.1f} times faster" in readme
