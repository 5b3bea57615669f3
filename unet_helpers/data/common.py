"""What every data source shares: the trimap convention, warnings, errors, paths."""

from __future__ import annotations

import os
import warnings
import zlib
from pathlib import Path

import numpy as np

from ..quiet import PlainWarning

# The dataset's README: 1 = pet, 2 = background, 3 = border / not classified.
TRIMAP_PET, TRIMAP_BACKGROUND, TRIMAP_BORDER = 1, 2, 3
MASK_MODES = ("binary", "trimap")
SPLITS = ("train", "validation", "test")
CLASS_NAMES = {"binary": ("background", "pet"), "trimap": ("pet", "background", "border")}
VALIDATION_PERCENT = 20  # share of the official trainval list kept for validation
# A folder without the official test list (a course's sample) sets this share of its
# trainval aside as its test split: never trained on, never used to choose anything.
SAMPLE_TEST_PERCENT = 20

DIR_ENV_VAR = "UNET_PETS_DIR"  # a folder with the official archives unpacked
DATA_ENV_VAR = "UNET_DATA_DIR"  # where downloads and caches go (default: data/)


class PetDataWarning(PlainWarning):
    """Something about the pet data was skipped, converted or replaced: filter on this."""


class PetDataUnavailable(RuntimeError):
    """A data source cannot deliver: the message says what failed and what to do."""


def warn(message: str) -> None:
    warnings.warn(message, PetDataWarning, stacklevel=3)


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}: use one of {', '.join(map(repr, SPLITS))}.")


def check_mask_mode(mask_mode: str) -> None:
    if mask_mode not in MASK_MODES:
        raise ValueError(
            f"Unknown mask_mode {mask_mode!r}: use 'binary' (pet and border = 1, background = 0) "
            "or 'trimap' (0 = pet, 1 = background, 2 = border)."
        )


def num_classes(mask_mode: str) -> int:
    """Classes in a mask: 2 for binary (background, pet), 3 for the trimap."""
    check_mask_mode(mask_mode)
    return len(CLASS_NAMES[mask_mode])


def is_validation(name: str) -> bool:
    """Deterministic hold-out: a stable hash of the file name, not a random draw.

    The same image always lands in the same split, on every machine, however
    many other images are present.
    """
    return zlib.crc32(name.encode()) % 100 < VALIDATION_PERCENT


def is_sample_test(name: str) -> bool:
    """The test split of a folder that has no official test list: the next 20 % by hash.

    Disjoint from :func:`is_validation` (the hash's next range), so validation
    is the same photos whether or not a folder has a test list.
    """
    position = zlib.crc32(name.encode()) % 100
    return VALIDATION_PERCENT <= position < VALIDATION_PERCENT + SAMPLE_TEST_PERCENT


def trimap_to_mask(trimap: np.ndarray, mask_mode: str) -> np.ndarray:
    """Turn trimap values 1/2/3 into the labels a model learns (numpy version)."""
    check_mask_mode(mask_mode)
    if mask_mode == "trimap":
        return (trimap - 1).astype(np.uint8)
    return (trimap != TRIMAP_BACKGROUND).astype(np.uint8)


def default_data_root() -> Path:
    """``$UNET_DATA_DIR``, else ``data/`` of the repository (or of the current folder)."""
    if os.environ.get(DATA_ENV_VAR):
        return Path(os.environ[DATA_ENV_VAR])
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "unet_helpers").is_dir() and (folder / "data").is_dir():
            return folder / "data"
    return Path("data")


def default_pets_dir() -> Path | None:
    """The folder of unpacked official archives, if one is configured or present."""
    if os.environ.get(DIR_ENV_VAR):
        return Path(os.environ[DIR_ENV_VAR])
    candidate = default_data_root() / "oxford-iiit-pet"
    return candidate if (candidate / "images").is_dir() else None
