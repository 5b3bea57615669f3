"""The benchmark script keeps working (its figures come from real runs, not from here)."""

import json
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import train_pets  # noqa: E402


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
