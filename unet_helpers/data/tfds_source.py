"""Oxford-IIIT Pet through tensorflow-datasets (``oxford_iiit_pet``, version 4.x).

The download is about 800 MB from the dataset's home at the University of
Oxford. Before asking tfds to download, we check in a few seconds that the
host can be reached: offline, tfds itself would retry for minutes and then
stop with a bare ``ConnectionError``.
"""

from __future__ import annotations

from pathlib import Path

from ..network import reachable
from .common import PetDataUnavailable, is_validation

DATASET = "oxford_iiit_pet:4.*.*"
DOWNLOAD_HOST = "thor.robots.ox.ac.uk"  # where tfds 4.9 downloads the two archives from
MANUAL_HELP = (
    "To get the data another way: download images.tar.gz and annotations.tar.gz from "
    "https://www.robots.ox.ac.uk/~vgg/data/pets/ on a machine with a network, unpack both "
    "into data/oxford-iiit-pet/ (or any folder named by UNET_PETS_DIR) and use "
    "source='directory'. To go on without real photos, use source='generated'."
)


def network_available(host: str = DOWNLOAD_HOST, port: int = 443, timeout: float = 3.0) -> bool:
    """True when a TCP connection to ``host`` opens within ``timeout`` seconds."""
    return reachable(host, port, timeout)


def _import_tfds():
    try:
        import tensorflow_datasets as tfds
    except ImportError as error:
        raise PetDataUnavailable(
            f"tensorflow-datasets cannot be imported ({error}). Install it with "
            "`pip install tensorflow-datasets importlib_resources` (4.9.10 needs the second "
            f"but does not install it). {MANUAL_HELP}") from error
    return tfds


def tfds_prepared(data_dir) -> bool:
    """True when the dataset is already downloaded and prepared under ``data_dir``."""
    try:
        tfds = _import_tfds()
    except PetDataUnavailable:
        return False
    return tfds.builder(DATASET, data_dir=str(data_dir)).is_prepared()


def tfds_examples(split: str, data_dir, download: bool = True):
    """A ``tf.data.Dataset`` of ``(image, trimap)`` pairs from tfds.

    ``train`` and ``validation`` are carved from tfds's ``train`` split (the
    official trainval list) by the same file-name rule as the directory source.
    Raises :class:`PetDataUnavailable` with advice when the data cannot be had.
    """
    import tensorflow as tf

    tfds = _import_tfds()
    data_dir = Path(data_dir)
    builder = tfds.builder(DATASET, data_dir=str(data_dir))
    if not builder.is_prepared():
        if not download:
            raise PetDataUnavailable(
                f"Oxford-IIIT Pet is not prepared under {data_dir} and download=False. "
                + MANUAL_HELP)
        if not network_available():
            raise PetDataUnavailable(
                f"Oxford-IIIT Pet is not under {data_dir}, and {DOWNLOAD_HOST} cannot be "
                "reached, so tensorflow-datasets cannot download it (no network?). "
                + MANUAL_HELP)
        try:
            builder.download_and_prepare()
        except Exception as error:  # network drops, disk full, server changes
            raise PetDataUnavailable(
                f"tensorflow-datasets could not download Oxford-IIIT Pet into {data_dir}: "
                f"{type(error).__name__}: {error}. " + MANUAL_HELP) from error
    dataset = builder.as_dataset(split="test" if split == "test" else "train",
                                 shuffle_files=False)
    if split != "test":
        want_validation = split == "validation"

        def keep(example):
            def check(file_name):
                name = file_name.decode().rsplit(".", 1)[0]
                return is_validation(name) == want_validation
            return tf.numpy_function(check, [example["file_name"]], tf.bool, stateful=False)

        dataset = dataset.filter(keep)
    return dataset.map(lambda ex: (ex["image"], ex["segmentation_mask"]))
