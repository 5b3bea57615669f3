"""What pip installs (in Colab, from the repository) holds every module of the package."""

import os
import subprocess
import sys
import tarfile
import zipfile

import nbtools
import pytest
from conftest import ROOT

import unet_helpers as uh

MODULES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "unet_helpers").rglob("*.py"))
DATA = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "unet_helpers").rglob("*.json"))


@pytest.mark.as_user
def test_wheel_and_sdist_hold_every_module(built_package):
    wheel, sdist = built_package
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    assert [m for m in MODULES if m not in in_wheel] == []
    assert DATA and [d for d in DATA if d not in in_wheel] == [], "the measured results ship"
    top = sdist.name[: -len(".tar.gz")]
    in_sdist = {name.removeprefix(f"{top}/") for name in tarfile.open(sdist).getnames()}
    assert [m for m in MODULES if m not in in_sdist] == []
    assert [d for d in DATA if d not in in_sdist] == [], "the sdist builds a wheel with them"
    assert "unet_helpers/data/__init__.py" in in_wheel  # the subpackage the old wheel lacked


@pytest.mark.as_user
def test_wheel_declares_what_the_package_needs(built_package):
    wheel, _ = built_package
    archive = zipfile.ZipFile(wheel)
    metadata = archive.read(next(n for n in archive.namelist()
                                 if n.endswith(".dist-info/METADATA"))).decode()
    needs = {line.split(":", 1)[1].strip().replace(" ", "")
             for line in metadata.splitlines() if line.startswith("Requires-Dist:")}
    for requirement in ("keras>=3.13", "tensorflow>=2.16", "tensorflow-datasets>=4.9.4",
                        "numpy>=1.26", "matplotlib>=3.8", "pillow>=10"):
        assert requirement in needs, f"{requirement} missing from {sorted(needs)}"
    assert f"Version: {uh.__version__}" in metadata


@pytest.mark.as_user
def test_every_module_imports_from_the_installed_wheel(built_package, tmp_path):
    wheel, _ = built_package
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
           "--disable-pip-version-check", "--target", str(target), str(wheel)]
    installed = subprocess.run(pip, capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-2000:]
    check = """if True:
        import importlib, pathlib, pkgutil, sys
        import unet_helpers
        assert pathlib.Path(unet_helpers.__file__).is_relative_to(sys.argv[1]), unet_helpers
        names = [m.name for m in pkgutil.walk_packages(unet_helpers.__path__, "unet_helpers.")]
        for name in names:
            importlib.import_module(name)
        import unet_helpers.measured as measured  # its data files, read from the wheel
        assert measured.experiments() and measured.real_sample()["photos"] > 0
        print(len(names) + 1)
    """
    env = {**os.environ, "PYTHONPATH": str(target), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", check, str(target)], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.split()[-1]) == len(MODULES)


def test_colab_installs_the_release_of_this_version():
    assert nbtools.RELEASE == f"v{uh.__version__}"
    assert nbtools.PACKAGE_SOURCE.endswith(f"@v{uh.__version__}")
    assert nbtools.PACKAGE_SOURCE in nbtools.SETUP_TEMPLATE
