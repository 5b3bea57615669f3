"""Oxford-IIIT Pet for segmentation: one loader, three sources, ready ``tf.data`` pipelines.

``load_pets(split)`` returns ``(image, mask)`` pairs: the image float32 in
[0, 1] at ``image_size`` x ``image_size`` x 3, the mask uint8 at the same size
with one channel. Sources:

``"tfds"``       tensorflow-datasets' ``oxford_iiit_pet`` 4.x (downloads once);
``"directory"``  the official archives unpacked in a folder;
``"generated"``  synthetic pets made here: offline, deterministic, quick to learn;
``"auto"``       tfds if it is there or can be downloaded, else a configured
                 directory, else generated data, with a warning on each fallback.

The ``tf.data`` part (``data.pipeline``) loads when first used, so the
sources and the generated pets can be imported without TensorFlow.
"""

from __future__ import annotations

import importlib

from pathlib import Path

import numpy as np

from .common import (
    CLASS_NAMES,
    DATA_ENV_VAR,
    DIR_ENV_VAR,
    MASK_MODES,
    SAMPLE_TEST_PERCENT,
    SPLITS,
    PetDataUnavailable,
    PetDataWarning,
    check_mask_mode,
    check_split,
    default_data_root,
    default_pets_dir,
    is_sample_test,
    is_validation,
    num_classes,
    trimap_to_mask,
    warn,
)
from .directory import ScanReport, directory_examples, scan_directory
from .generated import generated_examples, make_pet
from .tfds_source import network_available, tfds_examples, tfds_prepared

SOURCES = ("auto", "tfds", "directory", "generated")


def _offline_source(reason: str, pets_dir=None) -> str:
    """The fallback after tfds: unpacked archives if there are any, else generated pets."""
    folder = Path(pets_dir) if pets_dir else default_pets_dir()
    if folder is not None and (folder / "images").is_dir():
        warn(f"{reason}; using the unpacked archives in {folder} instead.")
        return "directory"
    warn(f"{reason}; no unpacked archives either (set {DIR_ENV_VAR} or use "
         "data/oxford-iiit-pet). Using generated synthetic pets instead, so the notebook "
         "still runs: its numbers are not real-photo results.")
    return "generated"


def _tfds_dir(data_dir) -> Path:
    return Path(data_dir) if data_dir else default_data_root() / "tfds"


def resolve_source(source: str = "auto", *, data_dir=None, pets_dir=None,
                   download: bool = True) -> str:
    """Decide which source ``load_pets`` reads; for ``"auto"``, say why when it falls back.

    ``"auto"`` chooses tfds when the dataset is prepared in ``data_dir`` or its
    download server answers; otherwise the unpacked archives, otherwise
    generated pets. (If tfds is chosen but then fails, ``load_pets`` still
    falls back, with a warning.)
    """
    if source not in SOURCES:
        raise ValueError(f"Unknown source {source!r}: use one of {', '.join(map(repr, SOURCES))}.")
    if source != "auto":
        return source
    tfds_dir = _tfds_dir(data_dir)
    if tfds_prepared(tfds_dir):
        return "tfds"
    if download and network_available():
        return "tfds"
    reason = (f"Oxford-IIIT Pet is not prepared in {tfds_dir} and its download server cannot "
              "be reached (no network?)" if download
              else f"Oxford-IIIT Pet is not prepared in {tfds_dir} and download=False")
    return _offline_source(reason, pets_dir)


def _from_generator(examples, count: int):
    """Wrap a generator function of ``(name, image, trimap)`` with a known length."""
    import tensorflow as tf

    signature = (tf.TensorSpec((None, None, 3), tf.uint8), tf.TensorSpec((None, None, 1), tf.uint8))
    dataset = tf.data.Dataset.from_generator(lambda: ((i, t) for _, i, t in examples()),
                                             output_signature=signature)
    return dataset.apply(tf.data.experimental.assert_cardinality(count))


def raw_pairs(split: str, *, source: str = "auto", data_dir=None, pets_dir=None,
              download: bool = True, limit: int | None = None, verbose: bool = True):
    """``(image uint8, trimap uint8)`` pairs at their original sizes, before any resizing."""
    check_split(split)
    chosen = resolve_source(source, data_dir=data_dir, pets_dir=pets_dir, download=download)
    if chosen == "tfds":
        try:
            dataset = tfds_examples(split, _tfds_dir(data_dir), download=download)
        except PetDataUnavailable as error:
            if source != "auto":
                raise
            chosen = _offline_source(str(error).split(". To get the data")[0], pets_dir)
        else:
            if limit:
                dataset = dataset.take(limit)
            where = str(_tfds_dir(data_dir))
    if chosen == "directory":
        folder = Path(pets_dir) if pets_dir else default_pets_dir()
        if folder is None:
            raise PetDataUnavailable(
                f"source='directory' needs a folder: pass pets_dir=... or set {DIR_ENV_VAR} "
                "to the folder that holds images/ and annotations/.")
        report = scan_directory(folder, split)
        if limit:
            report.pairs = report.pairs[:limit]
        count = len(report.pairs)
        dataset = _from_generator(lambda: directory_examples(report), count)
        where = f"{folder} ({report.summary()})"
    elif chosen == "generated":
        from .generated import SPLIT_SIZES

        count = min(limit or SPLIT_SIZES[split], SPLIT_SIZES[split])
        dataset = _from_generator(lambda: generated_examples(split, count), count)
        where = f"{count} synthetic examples"
    if verbose:
        print(f"load_pets({split!r}): source {chosen!r}, {where}")
    return dataset


def held_out_split(source: str = "auto", *, pets_dir=None, data_dir=None,
                   verbose: bool = True) -> str:
    """The split to judge a finished model on: always ``"test"``.

    tfds and generated data have the official (or a generated) test split. A
    folder of unpacked archives uses ``annotations/test.txt`` when it has one;
    a folder without it (a course's sample of trainval) sets 20 % of its
    photos aside by file name as its test split, so that the photos that judge
    a model played no part in training it or in choosing anything.
    """
    chosen = resolve_source(source, data_dir=data_dir, pets_dir=pets_dir)
    if chosen != "directory":
        return "test"
    folder = Path(pets_dir) if pets_dir else default_pets_dir()
    if verbose and not (folder is not None and (folder / "annotations" / "test.txt").is_file()):
        print(f"{folder} has no official test list (annotations/test.txt): its test split is "
              f"the {SAMPLE_TEST_PERCENT} % of its photos set aside by file name, which no "
              "training and no choice has seen.")
    return "test"


def load_pets(split: str, *, source: str = "auto", data_dir=None, pets_dir=None,
              image_size: int = 128, mask_mode: str = "binary", batch_size: int | None = None,
              augment: bool = False, shuffle: bool | None = None, seed: int = 0,
              limit: int | None = None, download: bool = True, cache: bool = True,
              drop_remainder: bool = False, verbose: bool = True):
    """A ready ``tf.data`` pipeline of ``(image, mask)`` for one split of Oxford-IIIT Pet.

    Args:
        split: ``"train"``, ``"validation"`` (20 % of the official trainval list,
            chosen by a stable hash of each file name) or ``"test"``.
        source: ``"auto"``, ``"tfds"``, ``"directory"`` or ``"generated"``.
        data_dir: where tfds keeps the dataset (default ``data/tfds``).
        pets_dir: the unpacked archives for ``"directory"`` (default
            ``$UNET_PETS_DIR``, else ``data/oxford-iiit-pet``).
        image_size: side of the square images and masks; a multiple of
            ``2**depth`` of the model that will read them.
        mask_mode: ``"binary"`` (pet and border = 1, background = 0) or
            ``"trimap"`` (0 = pet, 1 = background, 2 = border).
        batch_size: batch the pipeline; ``None`` gives single examples.
        augment: random flips, zoom-and-crop, brightness and contrast (train only).
        shuffle: shuffle each epoch (default: only for ``"train"``).
        seed: makes shuffling and augmentation reproducible.
        limit: use only the first ``limit`` examples (quick experiments).
        download: allow tfds to download.
        cache: keep the resized uint8 examples in memory after the first pass.
        drop_remainder: drop the last, smaller batch, so every batch has the same
            shape (training then never meets a new shape; shuffling changes which
            examples are dropped in each epoch).
        verbose: print one line saying which source was used.
    """
    from .pipeline import build_pipeline

    check_split(split)
    check_mask_mode(mask_mode)
    if not isinstance(image_size, (int, np.integer)) or image_size < 1:
        raise ValueError(f"image_size must be a positive integer, got {image_size!r}.")
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}.")
    pairs = raw_pairs(split, source=source, data_dir=data_dir, pets_dir=pets_dir,
                      download=download, limit=limit, verbose=verbose)
    return build_pipeline(pairs, image_size=int(image_size), mask_mode=mask_mode,
                          batch_size=batch_size, augment=augment,
                          shuffle=(split == "train") if shuffle is None else shuffle,
                          seed=seed, cache=cache, drop_remainder=drop_remainder)


__all__ = [
    "CLASS_NAMES", "held_out_split", "DATA_ENV_VAR", "augment_pair", "resize_pair",
    "resize_photo", "trimap_to_labels", "DIR_ENV_VAR", "MASK_MODES", "SOURCES", "SPLITS",
    "PetDataUnavailable", "PetDataWarning", "ScanReport", "default_data_root",
    "default_pets_dir", "generated_examples", "is_sample_test", "is_validation", "load_pets", "make_pet",
    "network_available", "num_classes", "raw_pairs", "resolve_source", "scan_directory",
    "trimap_to_mask",
]

_PIPELINE = ("augment_pair", "resize_pair", "resize_photo", "trimap_to_labels")


def __getattr__(name: str):
    """The pipeline's functions (``uh.data.resize_pair``...), imported on first use."""
    if name in _PIPELINE:
        return getattr(importlib.import_module(f"{__name__}.pipeline"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
