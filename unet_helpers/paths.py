"""Where the notebooks write what they make (figures, checkpoints, exports)."""

from __future__ import annotations

import os
from pathlib import Path

OUTPUT_ENV_VAR = "UNET_OUTPUT_DIR"


def output_dir(*parts: str) -> Path:
    """A folder for generated files, created if needed.

    ``$UNET_OUTPUT_DIR`` when set (the headless runner sets it), else
    ``outputs/`` under the current folder. Both are ignored by git.
    """
    root = Path(os.environ.get(OUTPUT_ENV_VAR) or "outputs")
    folder = root.joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


DRIVE_ENV_VAR = "UNET_DRIVE_MOUNT"
DRIVE_FOLDER = "unet-tutorials"  # under "My Drive"
_DRIVE_OUTPUTS = None  # the outputs folder on Drive, once colab_outputs has chosen it


def in_colab() -> bool:
    """True inside Google Colab (its ``google.colab`` module can be imported)."""
    import importlib.util

    try:
        return importlib.util.find_spec("google.colab") is not None
    except ModuleNotFoundError:  # no "google" package at all
        return False


def colab_outputs(save_to_drive: bool) -> Path | None:
    """In Colab, choose where the notebooks' outputs go and say so; elsewhere do nothing.

    A Colab runtime is new and empty for every notebook and is wiped when it
    disconnects. With ``save_to_drive`` Google Drive is mounted and outputs
    (checkpoints, logs, ``best.keras``, the backup that lets training resume)
    go to ``My Drive/unet-tutorials/outputs``, where notebook 06 finds notebook
    04's model in another runtime. The dataset stays on the runtime's own disk:
    reading thousands of small files from Drive is many times slower. A
    ``UNET_OUTPUT_DIR`` set by the user wins over both. Returns the outputs
    folder in Colab, None elsewhere.
    """
    global _DRIVE_OUTPUTS
    chosen = os.environ.get(OUTPUT_ENV_VAR)
    if not in_colab():
        if save_to_drive:
            print(f"SAVE_TO_DRIVE is for Colab; here outputs go to {output_dir().resolve()}.")
        return None
    if chosen and chosen != _DRIVE_OUTPUTS:  # the user's own choice
        print(f"Colab: outputs go to {chosen} (set by {OUTPUT_ENV_VAR}).")
        return Path(chosen)
    if not save_to_drive:
        os.environ.pop(OUTPUT_ENV_VAR, None)  # Drive was on in an earlier run of the cell
        folder = output_dir().resolve()
        print(f"Colab: outputs go to {folder} on this runtime and vanish with it. To keep "
              "them (and let notebooks 06-07 use notebook 04's model), set SAVE_TO_DRIVE = "
              "True in the first code cell and run it again.")
        return folder
    from google.colab import drive

    mount = Path(os.environ.get(DRIVE_ENV_VAR) or "/content/drive")
    drive.mount(str(mount))
    _DRIVE_OUTPUTS = str(mount / "MyDrive" / DRIVE_FOLDER / "outputs")
    os.environ[OUTPUT_ENV_VAR] = _DRIVE_OUTPUTS
    folder = output_dir().resolve()
    print(f"Colab: outputs go to Google Drive, {folder} (kept across runtimes). The dataset "
          "stays on this runtime's disk, where reading it is much faster.")
    return folder
