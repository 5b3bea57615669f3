"""Shared fixtures: quiet TensorFlow, fresh Keras state, paths to the repository."""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
# The real photo sample (300 photos in the official layout): $UNET_PETS_DIR, else the
# development sample beside the checkout. Tests that need it skip when it is absent.
SAMPLE_DIR = Path(os.environ.get("UNET_PETS_DIR") or ROOT.parent / "shared" / "data"
                  / "oxford-iiit-pet-sample")
# tests of figures measured on the development sample need that sample, not any full copy
NOT_THE_SAMPLE = not (SAMPLE_DIR / "images").is_dir() or sum(
    1 for _ in (SAMPLE_DIR / "images").glob("*.jpg")) != 300
NOT_THE_SAMPLE_WHY = (f"{SAMPLE_DIR} is absent or not the 300-photo development sample these "
                      "figures were measured on: set UNET_PETS_DIR to that sample to run this")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    """Under pytest-xdist, keep what belongs together in one process, in order.

    nbval runs a notebook cell by cell in one kernel, and notebooks 06 and 07
    read what notebook 04 saved: 04, 06 and 07 form one group, in order; every
    other notebook is a group of its own. A test module is a group too, so its
    module-scoped fixtures (a trained model) are made once.
    """
    def group(item):
        if item.path.suffix != ".ipynb":
            return item.path.stem
        number = item.path.name[:2]
        return "notebooks-04-06-07" if number in ("04", "06", "07") else f"notebook-{number}"

    for item in items:
        item.add_marker(pytest.mark.xdist_group(group(item)))
    # the longest groups first, so that the two processes finish at about the same time
    first = {"test_opened_alone": 0, "notebooks-04-06-07": 1, "notebook-05": 2,
             "test_training": 3, "notebook-08": 4, "notebook-09": 4, "test_gpu_settings": 5}
    items.sort(key=lambda item: (first.get(group(item), 9), item.path.name))


@pytest.fixture(autouse=True)
def _fresh_keras():
    # Keras's default also runs Python's garbage collector: about 0.2 s a call in a process
    # that has built models, which over the ~550 tests was a third of the fast tier. Python
    # collects on its own; Keras's state is what a test must not inherit.
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.fixture(scope="session")
def built_package(tmp_path_factory):
    """The package's wheel and sdist, built from a copy of the sources as pip would build them.

    Built with setuptools' own PEP 517 hooks, offline and outside the checkout
    (so no build/ folder appears in it). Returns ``(wheel, sdist)`` paths.
    """
    import shutil
    import subprocess

    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "unet_helpers", source / "unet_helpers",
                    ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    built = []
    for hook in ("build_wheel", "build_sdist"):  # one process each: setuptools keeps state
        code = f"import setuptools.build_meta as b, sys; print(b.{hook}(sys.argv[1]))"
        done = subprocess.run([sys.executable, "-c", code, str(out)], cwd=source,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        built.append(done.stdout.splitlines()[-1].strip())
    wheel_name, sdist_name = built
    return out / wheel_name, out / sdist_name
