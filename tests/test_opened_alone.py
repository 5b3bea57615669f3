"""Each notebook opened alone, as in Colab: a new runtime, an empty folder, a GPU run's settings.

What a Colab user has, rebuilt here: a fresh Python environment that has
TensorFlow and the notebook tools but not ``unet_helpers`` (this test's own
packages, linked in, without the package), an empty working folder holding
nothing but the one notebook (its workbook, which the *Open in Colab* badge
opens: exercises left to do), a ``google.colab`` module whose ``drive.mount``
maps "My Drive" to a temporary folder, and ``UNET_GPU_SETTINGS=1`` for mixed
precision and XLA. The notebook's own setup cell installs the package, from
the wheel built from this checkout (``UNET_HELPERS_SOURCE``) and offline.
"""

import json
import re
import shutil
import sysconfig
import time
import venv
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

pytestmark = pytest.mark.as_user  # the full tier: a fresh runtime per notebook

KERNEL = "colab-standin"
SITE = sysconfig.get_paths()["purelib"]  # the test environment's packages
STANDIN_DRIVE = '''\
"""Stand-in for google.colab.drive: "My Drive" is a temporary folder of the test."""
import os
import pathlib


def mount(mountpoint, force_remount=False, timeout_ms=120000, readonly=False):
    mount_dir = pathlib.Path(mountpoint)
    mount_dir.mkdir(parents=True, exist_ok=True)
    if not (mount_dir / "MyDrive").exists():
        (mount_dir / "MyDrive").symlink_to(os.environ["STANDIN_MY_DRIVE"])
    print(f"Mounted at {mountpoint}")
'''


def is_the_package(name: str) -> bool:
    return name.startswith(("unet_helpers", "__editable__", "__editable___unet_helpers"))


def new_runtime(root):
    """A fresh Python environment with the test's packages but without unet_helpers."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    site = next(root.glob("lib/python*/site-packages"))
    for entry in sorted(Path(SITE).iterdir()):
        if not is_the_package(entry.name) and not (site / entry.name).exists():
            (site / entry.name).symlink_to(entry)
    return root / "bin" / "python"


@pytest.fixture
def colab(tmp_path, monkeypatch, built_package):
    """Returns ``run(notebook, save_to_drive=False, before_training=None, **more)``.

    ``before_training``, ``after_training`` and ``after_profile`` are code
    cells put in before or after the training cell, and after the cell that
    chooses the profile.
    """
    standin = tmp_path / "standin" / "google" / "colab"
    standin.mkdir(parents=True)  # google/ stays a namespace package, beside protobuf's
    (standin / "__init__.py").write_text('"""Stand-in for the google.colab package."""\n')
    (standin / "drive.py").write_text(STANDIN_DRIVE)
    (standin / "files.py").write_text("def upload():  # stand-in: the learner picks no file\n"
                                      "    return {}\n")
    my_drive = tmp_path / "my-drive"
    my_drive.mkdir()
    wheel, _ = built_package
    # TF_CPP_MIN_LOG_LEVEL too: a learner's runtime does not set it, so neither do we
    for name in ("UNET_OUTPUT_DIR", "PYTHONPATH", "UNET_PETS_DIR", "UNET_DATA_DIR",
                 "TF_CPP_MIN_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("UNET_PROFILE", "smoke")
    monkeypatch.setenv("UNET_GPU_SETTINGS", "1")
    monkeypatch.setenv("UNET_HELPERS_SOURCE", str(wheel))
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # offline: pip may only use what is there
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("UNET_DRIVE_MOUNT", str(tmp_path / "content" / "drive"))
    monkeypatch.setenv("STANDIN_MY_DRIVE", str(my_drive))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    runs = iter(range(100))

    def run(name, save_to_drive=False, before_training=None, after_training=None,
            after_profile=None):
        index = next(runs)
        python = new_runtime(tmp_path / f"runtime{index}")
        site = next((python.parent.parent).glob("lib/python*/site-packages"))
        (site / "standin.pth").write_text(str(tmp_path / "standin") + "\n")
        spec = tmp_path / "jupyter" / "kernels" / KERNEL
        spec.mkdir(parents=True, exist_ok=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Colab stand-in", "language": "python"}))
        folder = tmp_path / f"content{index}"  # what Colab's /content is: empty
        folder.mkdir()
        path = next((ROOT / "workbooks").glob(f"{name}_*.ipynb"))  # what the badge opens
        shutil.copy(path, folder / path.name)
        nb = nbformat.read(folder / path.name, as_version=4)
        for cell in nb.cells:  # forget the outputs stored for nbval, to see what runs now
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        if save_to_drive:  # what the learner edits in the first code cell
            setup = next(c for c in nb.cells if "# nb:setup" in c.source)
            setup.source = setup.source.replace("SAVE_TO_DRIVE = False", "SAVE_TO_DRIVE = True")
        if before_training:
            at = next(i for i, c in enumerate(nb.cells) if "model.fit(train" in c.source)
            nb.cells.insert(at, nbformat.v4.new_code_cell(before_training))
        if after_training:
            at = next(i for i, c in enumerate(nb.cells) if "model.fit(train" in c.source)
            nb.cells.insert(at + 1, nbformat.v4.new_code_cell(after_training))
        if after_profile:
            at = next(i for i, c in enumerate(nb.cells) if "= uh.get_profile()" in c.source)
            nb.cells.insert(at + 1, nbformat.v4.new_code_cell(after_profile))
        client = NotebookClient(nb, timeout=600, kernel_name=KERNEL,
                                resources={"metadata": {"path": str(folder)}})
        started = time.perf_counter()
        try:
            client.execute()
        finally:
            nbformat.write(nb, folder / path.name)
            record(path.name, nb, time.perf_counter() - started, save_to_drive)
        return nb, folder

    run.my_drive = my_drive
    return run


def record(name, nb, seconds, save_to_drive):
    """Cells run and seconds per notebook, for the record: a line in runs/opened-alone.jsonl."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    ok = sum(1 for c in code if c.execution_count and not any(
        o.output_type == "error" for o in c.get("outputs", [])))
    (ROOT / "runs").mkdir(exist_ok=True)
    with open(ROOT / "runs" / "opened-alone.jsonl", "a") as log:  # one short line: atomic
        log.write(json.dumps({"notebook": name, "cells_passed": ok, "code_cells": len(code),
                              "seconds": round(seconds, 1), "drive": save_to_drive}) + "\n")


def text_of(nb) -> str:
    return "\n".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                     for output in cell.get("outputs", []))


def stderr_of(nb) -> list[str]:
    """The pink blocks: what the cells wrote to standard error (Python or C++), block by block."""
    return [output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
            for output in cell.get("outputs", [])
            if output.get("output_type") == "stream" and output.get("name") == "stderr"
            and output.get("text", "").strip()]


# Warnings a notebook shows on purpose, and explains where they appear.
EXPLAINED = {
    # 04, section 9: Keras does not rebuild the loss-scaling optimizer of a mixed-precision model
    "04": r"Skipping variable loading for optimizer",
    # 07: predict_folder's one warning for the odd files planted in the folder
    "07": r"SkippedFileWarning: Skipped 1 file\(s\)",
}


def ran_every_cell(nb, name="") -> int:
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "a cell did not run"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    explained = EXPLAINED.get(name)
    pink = [text for text in stderr_of(nb) if not (explained and re.search(explained, text))]
    assert pink == [], "a learner would see these pink lines"
    for text in stderr_of(nb):  # the package's warnings show their message, not where from
        if re.search(r"SkippedFileWarning|PetDataWarning", text):
            assert not re.search(r"\.py:\d+: |warnings\.warn\(", text), text
    checks = [line for line in text_of(nb).splitlines()  # the notebooks' printed checks
              if line.endswith((": True", ": False")) and ("agree" in line or "within" in line)]
    assert not [line for line in checks if line.endswith("False")], checks
    return len(code)


DISCONNECT = '''\
class Disconnect(keras.callbacks.Callback):  # test only: the runtime goes away
    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt("Colab disconnected")

callbacks.append(Disconnect())  # after BackupAndRestore, which has saved the epoch'''


def test_notebooks_01_to_03_05_and_08_install_themselves_and_run(colab):
    for name in ("01", "02", "03", "05", "08"):
        nb, folder = colab(name)
        ran_every_cell(nb, name)
        assert "Colab: outputs go to" in text_of(nb) and "vanish with it" in text_of(nb)
        runtime = folder.parent / folder.name.replace("content", "runtime")
        installed = next(runtime.glob("lib/python*/site-packages/unet_helpers"))
        assert not installed.is_symlink() and (installed / "data" / "images.py").exists(), \
            "the setup cell installed the whole package into the new runtime"


def test_notebook_09_offline_on_drive_keeps_kerass_cache_there(colab):
    """The pretrained encoder's notebook alone, offline, with Drive chosen: it says where the
    weights file goes (Keras's cache on Drive), goes on with random weights and says so."""
    nb, folder = colab("09", save_to_drive=True)
    ran_every_cell(nb, "09")
    said = text_of(nb)
    drive_cache = "unet-tutorials/keras/models"
    assert "cannot be reached" in said and drive_cache in said, said
    assert "Going on with a RANDOM encoder" in said and "RANDOM weights (offline)" in said
    assert "the encoder loaded from the file equals the saved one: True" in said
    assert "mixed_precision': True" in said and "jit_compile': True" in said, "GPU settings"
    saved = colab.my_drive / "unet-tutorials" / "outputs" / "pretrained" / "encoder.weights.h5"
    assert saved.is_file(), "the weights file the notebook saved went to Drive"
    assert not (folder / "outputs").exists(), "nothing written to the runtime's disk"


def test_training_on_drive_resumes_and_later_notebooks_load_its_model(colab):
    with pytest.raises(CellExecutionError, match="Colab disconnected"):
        colab("04", save_to_drive=True, before_training=DISCONNECT)
    run_dir = colab.my_drive / "unet-tutorials" / "outputs" / "training" / "smoke"
    assert (run_dir / "backup").is_dir(), "BackupAndRestore wrote to Drive"
    assert len((run_dir / "log.csv").read_text().splitlines()) == 2  # header + epoch 1

    nb, folder = colab("04", save_to_drive=True)  # a new runtime, run from the top again
    ran_every_cell(nb, "04")
    fit = next(c for c in nb.cells if "model.fit(train" in c.source)
    said = "".join(o.get("text", "") for o in fit.outputs)
    assert "Epoch 2/2" in said and "Epoch 1/2" not in said, "resumed after epoch 1"
    epochs = [line.split(",")[0] for line in (run_dir / "log.csv").read_text().splitlines()]
    assert epochs[1:] == ["0", "1"]
    assert not (run_dir / "backup").exists(), "a finished run removes its backup"
    assert "mixed_precision': True" in text_of(nb) and "jit_compile': True" in text_of(nb)
    assert not (folder / "outputs").exists(), "nothing written to the runtime's disk"

    for name in ("06", "07"):
        nb, _ = colab(name, save_to_drive=True)
        ran_every_cell(nb, name)
        assert "Loaded the best model of notebook 04" in text_of(nb), name


CLOCK_PROFILE = '''\
import dataclasses  # test only: smoke sizes with a budget in minutes, as the cpu profile has
profile = dataclasses.replace(profile, train_minutes=0.25, epochs=500, steps_per_epoch=1)'''
AFTER_CLOCK = '''\
import json  # test only: what the clock says after training
spent = json.loads((RUN_DIR / "clock.json").read_text())
print(f"clock: {spent['seconds_spent']:.1f} of {spent['budget_seconds']:.0f} s | "
      f"epochs: {len(history.history['loss'])} | "
      f"rates: {history.history['learning_rate'][0]:.6e} {history.history['learning_rate'][-1]:.6e}")
print("previews:", len(list((RUN_DIR / "previews").glob("*.png"))))'''


def test_notebook_04_with_a_time_budget_on_gpu_settings(colab):
    """The cpu profile's kind of budget (minutes; the cosine on the clock) at smoke sizes, with
    XLA and mixed precision: the clock ends the run, the rate ends at its floor, four previews."""
    import re

    nb, _ = colab("04", after_profile=CLOCK_PROFILE, after_training=AFTER_CLOCK)
    ran_every_cell(nb, "04")
    said = text_of(nb)
    assert "0.25 minutes on the clock (at most 500 epochs)" in said
    assert "jit_compile': True" in said and "mixed_precision': True" in said
    found = re.search(r"clock: ([\d.]+) of 15 s \| epochs: (\d+) \| rates: (\S+) (\S+)", said)
    assert found, said
    spent, epochs, first, last = (float(v) for v in found.groups())
    # the wall clock, validation and previews included, ends within about one epoch (a batch,
    # a validation pass and maybe a preview: 1 to 2.5 s at these sizes) of the 15 s budget
    assert 12.5 <= spent < 16.5 and 1 < epochs < 500, "the clock ended the run, not the epochs"
    peak = 3e-3  # the smoke profile's learning rate
    # after epoch 1 (a batch and the first validation, which compiles its own step and counts
    # on the wall clock) the rate is down the cosine but not near its end; the last, at its floor
    assert 0.2 * peak < first <= peak and last == pytest.approx(0.01 * peak, rel=0.01)
    previews = int(re.search(r"previews: (\d+)", said).group(1))
    assert 3 <= previews <= 4, "one per quarter of the budget (two may end in one epoch)"


def test_a_failed_install_stops_with_one_clear_message(colab, monkeypatch, tmp_path):
    monkeypatch.setenv("UNET_HELPERS_SOURCE", str(tmp_path / "nowhere" / "unet_helpers.whl"))
    with pytest.raises(CellExecutionError) as failure:
        colab("01")
    assert failure.value.ename == "RuntimeError"
    assert failure.value.evalue == "unet_helpers is not installed (see above)"
    nb = nbformat.read(next(tmp_path.glob("content*/01_*.ipynb")), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    setup = next(c for c in code if "# nb:setup" in c.source)
    said = text_of(nb)
    assert "Installing unet_helpers from" in said and "The install failed. pip said:" in said
    assert "nowhere/unet_helpers.whl" in said  # pip's own words, its last lines
    assert "Check that this runtime reaches the internet" in said
    assert [c.execution_count for c in code if c is not setup] == [None] * (len(code) - 1), \
        "Run all stops at the setup cell: no NameError in the cells after it"
