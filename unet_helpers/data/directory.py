"""The official archives unpacked in a folder: what people who download by hand have.

Expected layout (``images.tar.gz`` and ``annotations.tar.gz`` unpacked side by side)::

    <root>/images/<Name>_<n>.jpg
    <root>/annotations/trimaps/<Name>_<n>.png
    <root>/annotations/trainval.txt     "<name> <class> <species> <breed>" per line
    <root>/annotations/test.txt

Real files are odd: some ``.jpg`` files are PNG (with alpha) or GIF, some
photos are grayscale, a trimap can be missing or of another size, a file can
be truncated or empty, and a list can name a file that is not there.
:func:`scan_directory` opens every file once, converts what can be
converted, and reports what it had to skip and why.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image

from .common import PetDataUnavailable, is_sample_test, is_validation, warn
from .images import pil_to_rgb

LIST_FILES = {"train": "trainval.txt", "validation": "trainval.txt", "test": "test.txt"}


@dataclasses.dataclass
class ScanReport:
    """What :func:`scan_directory` found: usable pairs, conversions, and skips."""

    root: Path
    split: str
    pairs: list = dataclasses.field(default_factory=list)  # (name, image path, trimap path)
    converted: list = dataclasses.field(default_factory=list)  # (file, what was done)
    skipped: list = dataclasses.field(default_factory=list)  # (file, why)

    def summary(self) -> str:
        return (f"{self.split}: {len(self.pairs)} image/trimap pairs from {self.root.name}/, "
                f"{len(self.converted)} converted, {len(self.skipped)} skipped")


def _read_list(listing: Path) -> list[str]:
    names = []
    for line in listing.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            names.append(line.split()[0])
    return names


def _list_names(root: Path, split: str) -> list[str]:
    """The names in ``split``. Without the official test list, test is 20 % of trainval."""
    official_test = (root / "annotations" / "test.txt").is_file()
    listing = root / "annotations" / LIST_FILES[split]
    if split == "test" and not official_test:
        listing = root / "annotations" / LIST_FILES["train"]
    if not listing.is_file():
        raise PetDataUnavailable(
            f"{listing} is missing, so the {split!r} split cannot be read. Unpack "
            "annotations.tar.gz completely (it holds trainval.txt and test.txt).")
    names = _read_list(listing)
    if split == "validation":
        return [n for n in names if is_validation(n)]
    if split == "test" and not official_test:
        return [n for n in names if is_sample_test(n)]
    if split == "train":
        return [n for n in names if not is_validation(n)
                and (official_test or not is_sample_test(n))]
    return names


def read_image(path) -> tuple[np.ndarray, str | None]:
    """Decode any photo to RGB ``uint8`` (H, W, 3); say what was converted, if anything."""
    with Image.open(path) as image:
        image.load()
        note = None
        kind = f"{image.format or 'unknown'} {image.mode}"
        if image.format not in ("JPEG", "MPO") or image.mode != "RGB":
            note = f"{kind} converted to RGB"
        return pil_to_rgb(image), note


def read_trimap(path) -> np.ndarray:
    """Decode a trimap PNG to ``uint8`` (H, W, 1) with values 1, 2, 3."""
    with Image.open(path) as image:
        image.load()
        trimap = np.asarray(image.convert("L") if image.mode not in ("L", "P") else image,
                            dtype=np.uint8)
    values = set(np.unique(trimap).tolist())
    if not values <= {1, 2, 3}:
        raise ValueError(f"values {sorted(values)} are not trimap labels 1, 2, 3")
    return trimap[..., None]


def scan_directory(root, split: str) -> ScanReport:
    """Check every listed image and trimap of ``split`` once; warn about the skipped ones."""
    root = Path(root).expanduser()
    if not (root / "images").is_dir():
        raise PetDataUnavailable(
            f"{root} does not look like the unpacked Oxford-IIIT Pet archives: there is no "
            f"images/ folder. Unpack images.tar.gz and annotations.tar.gz into {root}, or "
            "point UNET_PETS_DIR at the folder that holds images/ and annotations/.")
    report = ScanReport(root=root, split=split)
    for name in _list_names(root, split):
        image_path = root / "images" / f"{name}.jpg"
        trimap_path = root / "annotations" / "trimaps" / f"{name}.png"
        if not image_path.is_file():
            report.skipped.append((f"images/{name}.jpg", "listed but not there"))
            continue
        if not trimap_path.is_file():
            report.skipped.append((f"images/{name}.jpg", "its trimap is missing"))
            continue
        try:
            image, note = read_image(image_path)
        except Exception as error:  # truncated, empty, not an image at all
            report.skipped.append((f"images/{name}.jpg", f"unreadable image ({error})"))
            continue
        try:
            trimap = read_trimap(trimap_path)
        except Exception as error:
            report.skipped.append((f"annotations/trimaps/{name}.png", f"unreadable trimap ({error})"))
            continue
        if note:
            report.converted.append((f"images/{name}.jpg", note))
        if trimap.shape[:2] != image.shape[:2]:
            report.converted.append(
                (f"annotations/trimaps/{name}.png",
                 f"trimap {trimap.shape[1]}x{trimap.shape[0]} resized (nearest) to the photo's "
                 f"{image.shape[1]}x{image.shape[0]}"))
        report.pairs.append((name, str(image_path), str(trimap_path)))
    if report.skipped:
        lines = "\n".join(f"  - {file}: {why}" for file, why in report.skipped)
        warn(f"Skipped {len(report.skipped)} of {len(report.skipped) + len(report.pairs)} "
             f"listed examples of the {split!r} split in {root}:\n{lines}")
    if not report.pairs:
        raise PetDataUnavailable(
            f"No usable image/trimap pairs for the {split!r} split in {root}. Check that "
            "images/ and annotations/trimaps/ hold the files that the split list names.")
    return report


def directory_examples(report: ScanReport):
    """Yield ``(name, image, trimap)`` for every usable pair, trimap at the photo's size."""
    for name, image_path, trimap_path in report.pairs:
        image, _ = read_image(image_path)
        trimap = read_trimap(trimap_path)
        if trimap.shape[:2] != image.shape[:2]:
            resized = Image.fromarray(trimap[..., 0]).resize(
                (image.shape[1], image.shape[0]), Image.NEAREST)
            trimap = np.asarray(resized, dtype=np.uint8)[..., None]
        yield name, image, trimap
