"""The package's layers import one way, as docs/architecture.md says (import-linter)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
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
    ("training.py", "from .trained import best_or_quick_model",
     "unet_helpers.training -> unet_helpers.trained"),
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


def test_the_package_door_is_small_and_loads_modules_when_asked():
    """The top level holds about a dozen names; `import unet_helpers` loads neither Keras nor
    TensorFlow, and the Keras-only layers load without tf.data."""
    code = """if True:
        import sys
        import unet_helpers as uh
        assert "keras" not in sys.modules and "tensorflow" not in sys.modules
        import unet_helpers.model, unet_helpers.losses, unet_helpers.metrics
        import unet_helpers.data.generated
        loaded = sorted(m for m in sys.modules if m.startswith("unet_helpers."))
        assert not any(m.endswith(("pipeline", "training", "evaluation", "viz")) for m in loaded)
        print(len(uh.__all__))
        print(uh.build_unet.__module__, uh.load_pets.__module__, uh.viz.__name__)
        try:
            uh.conv_block
        except AttributeError as error:
            print(error)
    """
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    count, modules, message = done.stdout.splitlines()[:3]
    import unet_helpers as uh

    assert int(count) == len(uh.__all__)

    front = [name for name in uh.__all__ if name != "__version__"
             and not (ROOT / "unet_helpers" / name).exists()
             and not (ROOT / "unet_helpers" / f"{name}.py").exists()]
    assert 8 <= len(front) <= 14, f"the top level holds what a learner types: {front}"
    assert modules == "unet_helpers.model unet_helpers.data unet_helpers.viz"
    assert "everything else is in a module" in message and "uh.evaluation" in message


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
               if (p.suffix == ".py" or p.is_dir() and (p / "__init__.py").exists())
               and not p.name.startswith("__")}
    assert sorted(package) == sorted(module for _, module in rows)
