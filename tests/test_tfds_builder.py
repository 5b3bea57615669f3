"""The tfds source end to end: tensorflow-datasets' own ``oxford_iiit_pet`` builder, offline.

We make 12 tiny photos in the official archive layout, let tfds 4.9.10's own
builder extract them and write the dataset (``download_and_prepare``), then
read it back through ``load_pets(source="tfds")`` and ``source="auto"``.

How the download step stays offline: ``DownloadConfig(manual_dir=...)``, the
route tfds provides for archives fetched by hand. A file in ``manual_dir``
named as in the builder's ``checksums.tsv`` (``images.tar.gz``,
``annotations.tar.gz``) is used instead of downloading. tfds then checks its
size and sha256 against ``checksums.tsv``, and ours are not the 800 MB
originals, so the test registers our archives' checksums for the builder's
two URLs. With the real archives, ``manual_dir`` alone would be enough. That
is the only patch of tfds: extraction, ``_generate_examples`` and the
checksum check are tfds's own.

Patching the network fetch instead (the downloader) would not be enough:
every download result goes through the same checksum check, so the checksums
would have to be patched too. And ``tfds.download.add_checksums_dir`` cannot
stand in for the patch, because the builder's own checksums take precedence.

The network is never used: sockets and DNS raise an error and are logged
(each test asserts the log is empty), GCS is off, and tfds's prepared-data
download from GCS is off too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import socket
import tarfile
import warnings

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image, ImageDraw
from tensorflow_datasets.core.utils import gcs_utils

import unet_helpers as uh
from unet_helpers.data.common import is_validation

WIDE, TALL = (40, 30), (30, 40)  # (width, height) of the tiny photos
PET_RED = 250  # red channel of every pet; the background's red channel names the photo

# name: (CLASS-ID 1..37, SPECIES 1 cat / 2 dog, BREED-ID within the species), as in list.txt
BREEDS = {
    "Abyssinian": (1, 1, 1), "american_bulldog": (2, 2, 1), "beagle": (5, 2, 4),
    "Bengal": (6, 1, 2), "Bombay": (8, 1, 4), "boxer": (9, 2, 5), "Persian": (24, 1, 8),
    "pug": (26, 2, 18), "samoyed": (30, 2, 20), "Siamese": (33, 1, 11),
    "yorkshire_terrier": (37, 2, 25),
}
# Chosen so that the package's CRC32 rule sends Abyssinian_5 and boxer_3 to validation.
# Abyssinian_5 is on the builder's list of corrupt originals: we store it as an RGBA PNG
# named .jpg, and tfds re-encodes it. samoyed_1 has no head-box XML (some real ones lack it).
TRAINVAL = ["Abyssinian_1", "Abyssinian_5", "Bengal_1", "Bombay_1",
            "beagle_1", "boxer_3", "pug_2", "samoyed_1"]
TEST = ["Persian_1", "Siamese_1", "american_bulldog_1", "yorkshire_terrier_1"]
ALL = TRAINVAL + TEST
CORRUPT_AS_PNG = "Abyssinian_5"
NO_XML = "samoyed_1"
HEAD_BOX = (10, 5, 30, 20)  # xmin, ymin, xmax, ymax in pixels, in every XML


def background_red(index: int) -> int:
    return 10 + 20 * index  # 10..230: far apart, and far from PET_RED


def breed(name: str) -> str:
    return name.rsplit("_", 1)[0]


def list_line(name: str) -> str:
    return f"{name} {' '.join(map(str, BREEDS[breed(name)]))}\n"


def photo_and_trimap(index: int, size):
    """A flat background that encodes ``index``, an elliptic pet, and its trimap 1/2/3."""
    width, height = size
    photo = Image.new("RGB", size, (background_red(index), 120, 60))
    box = (width * 0.2, height * 0.2, width * 0.8 - 1, height * 0.8 - 1)
    ImageDraw.Draw(photo).ellipse(box, fill=(PET_RED, 250, 250))
    outline = Image.new("L", size, 0)
    ImageDraw.Draw(outline).ellipse(box, fill=1)
    pet = np.asarray(outline, bool)
    # border (3): the two-pixel band on either side of the outline, as in the real trimaps
    grown, shrunk = pet.copy(), pet.copy()
    for axis in (0, 1):
        for shift in (-2, -1, 1, 2):
            grown |= np.roll(pet, shift, axis)
            shrunk &= np.roll(pet, shift, axis)
    trimap = np.full(pet.shape, 2, np.uint8)
    trimap[grown] = 3
    trimap[shrunk] = 1
    return photo, trimap


def head_xml(size) -> str:
    width, height = size
    xmin, ymin, xmax, ymax = HEAD_BOX
    return (f"<annotation><size><width>{width}</width><height>{height}</height><depth>3</depth>"
            f"</size><object><name>head</name><bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin>"
            f"<xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object></annotation>")


def write_archives(root, folder):
    """images.tar.gz and annotations.tar.gz in the layout of the originals."""
    images = root / "images"
    trimaps = root / "annotations" / "trimaps"
    xmls = root / "annotations" / "xmls"
    for path in (images, trimaps, xmls):
        path.mkdir(parents=True)
    for index, name in enumerate(ALL):
        size = WIDE if name in TRAINVAL else TALL
        photo, trimap = photo_and_trimap(index, size)
        if name == CORRUPT_AS_PNG:
            photo.convert("RGBA").save(images / f"{name}.jpg", format="PNG")
        else:
            photo.save(images / f"{name}.jpg", format="JPEG", quality=95)
        Image.fromarray(trimap, mode="L").save(trimaps / f"{name}.png")
        if name in TRAINVAL and name != NO_XML:
            (xmls / f"{name}.xml").write_text(head_xml(size))
    # macOS leftovers like those in the real annotations archive; tfds must skip them
    (trimaps / f"._{ALL[0]}.png").write_bytes(b"\x00\x05\x16\x07 not a png")
    header = ("#Image CLASS-ID SPECIES BREED ID\n#ID: 1:37 Class ids\n#SPECIES: 1:Cat 2:Dog\n"
              "#BREED ID: 1-25:Cat 1:12:Dog\n"
              "#All images with 1st letter as captial are cat images\n"
              "#images with small first letter are dog images\n")
    annotations = root / "annotations"
    (annotations / "list.txt").write_text(header + "".join(map(list_line, sorted(ALL))))
    (annotations / "trainval.txt").write_text("".join(map(list_line, TRAINVAL)))
    (annotations / "test.txt").write_text("".join(map(list_line, TEST)))
    (annotations / "README").write_text("Generated for tests: not the Oxford-IIIT Pet data.\n")
    folder.mkdir()
    # The originals are named .tar.gz but are plain tar (see the builder): one of each here.
    with tarfile.open(folder / "images.tar.gz", "w") as archive:
        archive.add(images, arcname="images")
    with tarfile.open(folder / "annotations.tar.gz", "w:gz") as archive:
        archive.add(root / "annotations", arcname="annotations")


def checksums_of_our_archives(builder_cls, folder):
    """The builder's registered URLs, with the size and sha256 of our archives instead."""
    registered = builder_cls.url_infos  # read from the builder's checksums.tsv
    assert {info.filename for info in registered.values()} == {
        "images.tar.gz", "annotations.tar.gz"}, "the builder downloads other files now"
    ours = {}
    for url, info in registered.items():
        data = (folder / info.filename).read_bytes()
        ours[url] = dataclasses.replace(info, size=len(data),
                                        checksum=hashlib.sha256(data).hexdigest())
    return ours


@pytest.fixture(scope="module")
def network_log():
    """Every attempt at a socket or a DNS lookup fails at once and is logged."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access is blocked in test_tfds_builder")

    with pytest.MonkeyPatch.context() as patch:
        for name in ("connect", "connect_ex"):
            patch.setattr(socket.socket, name, refuse)
        for name in ("create_connection", "getaddrinfo"):
            patch.setattr(socket, name, refuse)
        patch.setattr(gcs_utils, "_is_gcs_disabled", True)  # already so in 4.9.10; stay so
        yield attempts


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, network_log):
    """tfds's own builder prepares oxford_iiit_pet 4.x from our archives."""
    root = tmp_path_factory.mktemp("pets")
    write_archives(root / "unpacked", root / "manual")
    data_dir = root / "tfds"
    builder = tfds.builder("oxford_iiit_pet:4.*.*", data_dir=str(data_dir))
    assert not builder.is_prepared()
    config = tfds.download.DownloadConfig(
        manual_dir=str(root / "manual"),
        force_checksums_validation=True,  # any URL without registered checksums is an error
        try_download_gcs=False,  # do not look for a prepared copy on gs://tfds-data
    )
    with pytest.MonkeyPatch.context() as patch:
        # Only the expected checksums change: our archives are not the originals.
        patch.setattr(type(builder), "url_infos",
                      checksums_of_our_archives(type(builder), root / "manual"))
        builder.download_and_prepare(download_dir=str(root / "downloads"),
                                     download_config=config)
    assert "url_infos" not in vars(type(builder)), "the checksum patch must not outlive this"
    return builder, data_dir, root


@pytest.fixture(autouse=True)
def _no_network(network_log):
    yield
    tried, network_log[:] = list(network_log), []  # blame only the test that tried
    assert tried == [], f"the test tried the network: {tried}"


def expected_split(split: str) -> set[str]:
    if split == "test":
        return set(TEST)
    return {name for name in TRAINVAL if is_validation(name) == (split == "validation")}


def test_chosen_names_fill_every_split():
    sizes = {split: len(expected_split(split)) for split in ("train", "validation", "test")}
    assert sizes == {"train": 6, "validation": 2, "test": 4}


def test_builder_prepared_the_official_splits(prepared):
    builder, data_dir, root = prepared
    assert builder.is_prepared()
    assert str(builder.version).startswith("4.")
    assert {name: split.num_examples for name, split in builder.info.splits.items()} == {
        "train": len(TRAINVAL), "test": len(TEST)}
    # tfds took the archives from manual_dir (no copy in downloads/<dataset>) and extracted
    # them itself, skipping the macOS "._" file
    assert not (root / "downloads" / "oxford_iiit_pet").exists()
    trimaps = sorted((root / "downloads" / "extracted").glob("*/annotations/trimaps/*"))
    assert sorted(path.name for path in trimaps) == sorted(f"{name}.png" for name in ALL)
    labels = builder.info.features["label"]
    for split, names in (("train", TRAINVAL), ("test", TEST)):
        examples = list(tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)))
        by_name = {ex["file_name"].decode().removesuffix(".jpg"): ex for ex in examples}
        assert sorted(by_name) == sorted(names)
        for name, ex in by_name.items():
            assert labels.int2str(ex["label"]) == breed(name)
            assert ex["species"] == BREEDS[breed(name)][1] - 1
            assert ex["image"].shape == (TALL if split == "test" else WIDE)[::-1] + (3,)
            assert set(np.unique(ex["segmentation_mask"])) == {1, 2, 3}
            head = ex["head_bbox"]
            if split == "test" or name == NO_XML:
                np.testing.assert_array_equal(head, 0.0)
            else:
                xmin, ymin, xmax, ymax = HEAD_BOX
                np.testing.assert_allclose(head, [ymin / 30, xmin / 40, ymax / 30, xmax / 40],
                                           rtol=1e-6)
    # the builder re-encoded the PNG posing as Abyssinian_5.jpg (its corrupt-sample fix)
    raw = builder.as_dataset(split="train", shuffle_files=False,
                             decoders={"image": tfds.decode.SkipDecoding()})
    encoded = {ex["file_name"].decode(): ex["image"] for ex in tfds.as_numpy(raw)}
    assert all(data.startswith(b"\xff\xd8") for data in encoded.values()), "all JPEG now"


def test_auto_chooses_the_prepared_tfds_data(prepared, monkeypatch):
    _, data_dir, _ = prepared
    monkeypatch.delenv("UNET_PETS_DIR", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", uh.data.PetDataWarning)  # no fallback
        assert uh.data.resolve_source("auto", data_dir=data_dir) == "tfds"
        assert uh.data.resolve_source("auto", data_dir=data_dir, download=False) == "tfds"
        images, _ = load(data_dir, "validation", "binary", source="auto")
    assert photo_names(images) == expected_split("validation")


def load(data_dir, split, mask_mode, source="tfds"):
    dataset = uh.load_pets(split, source=source, data_dir=data_dir, image_size=32,
                           batch_size=4, mask_mode=mask_mode, augment=False, shuffle=False,
                           download=False, verbose=False)
    batches = [(image.numpy(), mask.numpy()) for image, mask in dataset]
    assert all(len(image) <= 4 for image, _ in batches)
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def photo_names(images) -> set[str]:
    """Name each photo by the red of its top-left corner (background)."""
    codes = np.round((images[:, 0, 0, 0] * 255 - 10) / 20).astype(int)
    assert len(set(codes.tolist())) == len(codes), "a photo came twice"
    return {ALL[code] for code in codes}


@pytest.mark.parametrize("mask_mode, labels, pet, background",
                         [("binary", {0, 1}, 1, 0), ("trimap", {0, 1, 2}, 0, 1)])
def test_load_pets_reads_the_prepared_splits(prepared, mask_mode, labels, pet, background):
    _, data_dir, _ = prepared
    seen = {}
    for split in ("train", "validation", "test"):
        images, masks = load(data_dir, split, mask_mode)
        count = len(expected_split(split))
        assert images.shape == (count, 32, 32, 3) and images.dtype == np.float32
        assert masks.shape == (count, 32, 32, 1) and masks.dtype == np.uint8
        assert 0.0 <= images.min() and images.max() <= 1.0
        assert set(np.unique(masks)) == labels
        for image, mask in zip(images, masks):  # each mask belongs to its photo
            red = image[..., 0] * 255
            assert abs(np.median(red[mask[..., 0] == pet]) - PET_RED) < 15
            assert abs(np.median(red[mask[..., 0] == background]) - red[0, 0]) < 5
        seen[split] = photo_names(images)
        assert seen[split] == expected_split(split)
    assert not seen["train"] & seen["validation"]
    assert not (seen["train"] | seen["validation"]) & seen["test"]
    assert seen["train"] | seen["validation"] == set(TRAINVAL)
