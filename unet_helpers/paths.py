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
