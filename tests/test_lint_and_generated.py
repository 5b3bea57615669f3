"""The fast tier's housekeeping: one linter over all the code, and no stale generated text."""

import subprocess
import sys
from pathlib import Path

import generate
from conftest import ROOT


def test_ruff_finds_nothing_in_the_code_and_the_notebooks():
    """pyproject.toml's [tool.ruff]: package, tools, benchmarks, tests, notebooks' code cells."""
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run([str(ruff), "check", "--no-cache", "--output-format", "concise", "."],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]
    listed = subprocess.run([str(ruff), "check", "--show-files", "."], cwd=ROOT,
                            capture_output=True, text=True).stdout
    for part in ("unet_helpers/model.py", "tools/generate.py", "benchmarks/results.py",
                 "tests/conftest.py", "notebooks/04_training.ipynb", "tasks.py"):
        assert part in listed, f"ruff does not look at {part}"


def test_every_generated_file_and_block_is_current(capsys):
    """`python3 tasks.py generate --check`: workbooks, shared cells, README and docs blocks."""
    assert generate.generate(check=True) == 0, capsys.readouterr().out[-3000:]


def test_a_stale_block_is_found_and_named(capsys, monkeypatch, tmp_path):
    readme = tmp_path / "README.md"
    text = generate.README.read_text()
    readme.write_text(generate.fill_block(text, "experiments", "an old table"))
    monkeypatch.setattr(generate, "README", readme)
    teaching = tmp_path / "teaching.md"  # nothing of the checkout is written by this test
    teaching.write_text(generate.TEACHING.read_text())
    monkeypatch.setattr(generate, "TEACHING", teaching)
    monkeypatch.setattr(generate.nbtools, "sync", lambda check: 0)
    assert generate.generate(check=True) == 1
    printed = capsys.readouterr().out
    assert "-an old table" in printed and "tasks.py generate" in printed
    assert "an old table" in readme.read_text(), "--check changes nothing"
    assert generate.generate(check=False) == 0
    assert generate.fill_block(readme.read_text(), "experiments", "x") != readme.read_text()
    assert readme.read_text() == text, "generate puts the shipped table back"


def test_a_missing_block_gets_a_clear_message():
    import pytest

    with pytest.raises(SystemExit, match="no <!-- results:begin --> .* block to fill"):
        generate.fill_block("no markers here", "results", "body", "README.md")
