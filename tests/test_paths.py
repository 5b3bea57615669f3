"""Where outputs go: locally, and in Colab with and without Google Drive."""

import sys
import types

import pytest

from unet_helpers import paths


@pytest.fixture
def colab(monkeypatch, tmp_path):
    """A stand-in google.colab whose drive.mount links "My Drive" to a temporary folder."""
    my_drive = tmp_path / "my-drive"
    my_drive.mkdir()

    def mount(mountpoint, **kwargs):
        (tmp_path / "drive").mkdir(exist_ok=True)
        (tmp_path / "drive" / "MyDrive").symlink_to(my_drive)

    colab = types.ModuleType("google.colab")
    colab.__path__ = []
    colab.drive = types.SimpleNamespace(mount=mount)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setattr(paths, "in_colab", lambda: True)
    monkeypatch.setattr(paths, "_DRIVE_OUTPUTS", None)
    monkeypatch.setenv(paths.DRIVE_ENV_VAR, str(tmp_path / "drive"))
    monkeypatch.delenv(paths.OUTPUT_ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    return my_drive


def test_outside_colab_nothing_changes(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(paths, "in_colab", lambda: False)
    monkeypatch.chdir(tmp_path)
    assert paths.colab_outputs(False) is None and capsys.readouterr().out == ""
    assert paths.colab_outputs(True) is None
    assert "SAVE_TO_DRIVE is for Colab" in capsys.readouterr().out


def test_colab_with_and_without_drive(colab, tmp_path, capsys):
    folder = paths.colab_outputs(True)
    assert folder == (colab / "unet-tutorials" / "outputs").resolve()
    assert paths.output_dir("training").resolve() == folder / "training"
    assert "Google Drive" in capsys.readouterr().out
    # the learner sets SAVE_TO_DRIVE = False again and reruns the cell
    assert paths.colab_outputs(False) == (tmp_path / "outputs").resolve()
    assert "vanish with it" in capsys.readouterr().out


def test_a_folder_the_user_chose_wins(colab, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(paths.OUTPUT_ENV_VAR, str(tmp_path / "mine"))
    assert paths.colab_outputs(True) == tmp_path / "mine"
    assert "set by UNET_OUTPUT_DIR" in capsys.readouterr().out
