"""The package's layers import one way, as docs/architecture.md says (import-linter)."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT

LINT = [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"]


def lint(folder):
    return subprocess.run(LINT, cwd=folder, capture_output=True, text=True,
                          env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"})


def test_the_import_contracts_hold():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("module, planted, named", [
    ("data/common.py", "from .. import viz", "unet_helpers.data.common -> unet_helpers.viz"),
    ("metrics.py", "from . import evaluation", "unet_helpers.metrics -> unet_helpers.evaluation"),
    ("training.py", "from .lessons import best_or_quick_model",
     "unet_helpers.training -> unet_helpers.lessons"),
    ("losses.py", "import tensorflow as tf", "unet_helpers.losses -> tensorflow"),
])
def test_an_upward_import_or_a_circle_fails_and_is_named(tmp_path, module, planted, named):
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(ROOT / "unet_helpers", tmp_path / "unet_helpers",
                    ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path / "unet_helpers" / module
    path.write_text(path.read_text() + f"\n{planted}  # planted by the test\n")
    done = lint(tmp_path)
    assert done.returncode != 0
    assert "BROKEN" in done.stdout and named in done.stdout, done.stdout[-3000:]


def test_the_architecture_doc_matches_the_contracts_and_the_package():
    doc = (ROOT / "docs" / "architecture.md").read_text()
    table = doc.split("<!-- layers:begin -->")[1].split("<!-- layers:end -->")[0]
    rows = re.findall(r"^\| (\w+) \| `(\w+)` \|", table, re.M)
    documented = {}
    for layer, module in rows:
        documented.setdefault(layer, []).append(module)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    contract = [sorted(name.strip() for name in line.split("|")) for line in layers]
    assert [sorted(modules) for modules in documented.values()] == contract
    package = {p.stem for p in (ROOT / "unet_helpers").glob("*")
               if (p.suffix == ".py" or p.is_dir()) and not p.name.startswith("__")}
    assert sorted(package) == sorted(module for _, module in rows)
