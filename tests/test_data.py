"""load_pets and its sources: generated, an odd official-layout folder, the real sample, tfds offline."""

import time
import warnings

import numpy as np
import pytest
import tensorflow as tf
from conftest import NOT_THE_SAMPLE, NOT_THE_SAMPLE_WHY, SAMPLE_DIR
from PIL import Image

import unet_helpers as uh
from unet_helpers.data import generated, pipeline, tfds_source
from unet_helpers.data.directory import scan_directory


def collect(dataset):
    images, masks = zip(*[(np.asarray(i), np.asarray(m)) for i, m in dataset])
    return np.stack(images), np.stack(masks)


# generated -----------------------------------------------------------------

def test_generated_pets_are_deterministic_and_varied():
    image_a, trimap_a = generated.make_pet(7)
    image_b, trimap_b = generated.make_pet(7)
    np.testing.assert_array_equal(image_a, image_b)
    np.testing.assert_array_equal(trimap_a, trimap_b)
    shapes = {generated.make_pet(seed)[0].shape for seed in range(8)}
    assert len(shapes) > 4, "sizes should vary like real photos"
    assert image_a.dtype == np.uint8 and image_a.shape[2] == 3
    assert trimap_a.shape == image_a.shape[:2] + (1,)
    assert set(np.unique(trimap_a)) == {1, 2, 3}


@pytest.mark.parametrize("mask_mode, labels", [("binary", {0, 1}), ("trimap", {0, 1, 2})])
def test_load_pets_generated_shapes_and_values(mask_mode, labels):
    dataset = uh.load_pets("validation", source="generated", image_size=48,
                           mask_mode=mask_mode, limit=6, verbose=False)
    images, masks = collect(dataset)
    assert images.shape == (6, 48, 48, 3) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert masks.shape == (6, 48, 48, 1) and masks.dtype == np.uint8
    assert set(np.unique(masks)) == labels


def test_binary_mask_counts_border_as_pet():
    _, trimap = generated.make_pet(3)
    binary = uh.data.trimap_to_mask(trimap, "binary")
    assert binary[trimap == 3].all() and binary[trimap == 1].all()
    assert not binary[trimap == 2].any()
    np.testing.assert_array_equal(uh.data.trimap_to_mask(trimap, "trimap"), trimap - 1)


def test_batching_and_splits_are_distinct():
    batched = uh.load_pets("train", source="generated", image_size=32, batch_size=4, limit=10,
                           verbose=False)
    sizes = [int(x.shape[0]) for x, _ in batched]
    assert sizes == [4, 4, 2]
    train = collect(uh.load_pets("train", source="generated", image_size=32, limit=3,
                                 shuffle=False, verbose=False))[0]
    test = collect(uh.load_pets("test", source="generated", image_size=32, limit=3,
                                verbose=False))[0]
    assert not np.allclose(train, test)


@pytest.mark.parametrize("bad, message", [
    (dict(split="training"), "Unknown split 'training'"),
    (dict(mask_mode="rgb"), "Unknown mask_mode 'rgb'"),
    (dict(source="kaggle"), "Unknown source 'kaggle'"),
    (dict(image_size=0), "image_size must be a positive integer"),
    (dict(batch_size=-2), "batch_size must be a positive integer"),
])
def test_bad_arguments_are_explained(bad, message):
    arguments = dict(split="train", source="generated", verbose=False)
    arguments.update(bad)
    with pytest.raises(ValueError, match=message):
        uh.load_pets(arguments.pop("split"), **arguments)


# resizing and augmentation ----------------------------------------------------

def test_masks_are_resized_nearest_never_bilinear():
    _, trimap = generated.make_pet(11)
    image = np.zeros(trimap.shape[:2] + (3,), np.uint8)
    _, resized = pipeline.resize_pair(image, trimap, 40)
    assert set(np.unique(resized.numpy())) <= {1, 2, 3}
    bilinear = tf.image.resize(trimap, [40, 40], method="bilinear").numpy()
    assert not set(np.unique(bilinear)) <= {1.0, 2.0, 3.0}, "the pitfall nearest avoids"


def test_augmentation_keeps_image_and_mask_aligned():
    """Encode the mask into the photo; after augmentation they must still agree."""
    _, trimap = generated.make_pet(5)
    mask = uh.data.trimap_to_mask(trimap, "binary")
    image = np.repeat(mask.astype(np.float32), 3, axis=-1)
    image, mask = pipeline.resize_pair(image * 255, mask, 64)
    image = tf.cast(image, tf.float32) / 255.0
    changed = 0
    for seed in range(12):
        new_image, new_mask = pipeline.augment_pair(image, mask, tf.constant([seed, 1], tf.int64))
        new_image, new_mask = new_image.numpy(), new_mask.numpy()
        assert new_image.shape == (64, 64, 3) and new_mask.shape == (64, 64, 1)
        assert set(np.unique(new_mask)) <= {0, 1}
        middle = (new_image[..., 0].max() + new_image[..., 0].min()) / 2
        agreement = ((new_image[..., 0] > middle) == (new_mask[..., 0] == 1)).mean()
        assert agreement > 0.97, f"seed {seed}: image and mask drifted apart"
        changed += not np.array_equal(new_mask, np.asarray(mask))
    assert changed >= 8, "augmentation should change most examples"


def test_augmented_pipeline_is_reproducible_and_changes_each_epoch():
    def first_batch(seed):
        dataset = uh.load_pets("train", source="generated", image_size=32, batch_size=4,
                               limit=4, augment=True, shuffle=False, seed=seed, verbose=False)
        epochs = [next(iter(dataset))[0].numpy() for _ in range(2)]
        return epochs
    a, b = first_batch(1), first_batch(1)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], a[1]), "each epoch should see new augmentations"


# the official directory layout, with every oddity of real files -----------------

def _save_jpeg(path, array, **options):
    Image.fromarray(array).save(path, format="JPEG", **options)


@pytest.fixture
def odd_pets_dir(tmp_path):
    root = tmp_path / "pets"
    (root / "images").mkdir(parents=True)
    (root / "annotations" / "trimaps").mkdir(parents=True)
    names = []

    def add(name, image_writer, trimap=True, trimap_size=None):
        names.append(name)
        photo, tri = generated.make_pet(len(names))
        image_writer(root / "images" / f"{name}.jpg", photo)
        if trimap:
            tri_image = Image.fromarray(tri[..., 0])
            if trimap_size:
                tri_image = tri_image.resize(trimap_size, Image.NEAREST)
            tri_image.save(root / "annotations" / "trimaps" / f"{name}.png")

    add("Good_1", _save_jpeg)
    add("Good_2", _save_jpeg)
    add("Rgba_1", lambda p, a: Image.fromarray(np.dstack([a, np.full(a.shape[:2], 200,
                                               np.uint8)])).save(p, format="PNG"))
    add("Gif_1", lambda p, a: Image.fromarray(a).convert("P").save(p, format="GIF"))
    add("Gray_1", lambda p, a: Image.fromarray(a).convert("L").save(p, format="JPEG"))
    add("Resized_1", _save_jpeg, trimap_size=(50, 40))
    add("NoTrimap_1", _save_jpeg, trimap=False)
    add("Truncated_1", lambda p, a: (_save_jpeg(p, a), p.write_bytes(p.read_bytes()[:600])))
    add("Empty_1", lambda p, a: p.write_bytes(b""))
    add("Text_1", lambda p, a: p.write_text("not a picture"))
    names.append("Missing_1")  # listed, but no file at all
    listing = "\n".join(f"{n} 1 1 1" for n in names) + "\n"
    (root / "annotations" / "trainval.txt").write_text("# comment line\n" + listing)
    (root / "annotations" / "test.txt").write_text(listing)
    return root


def test_odd_files_are_converted_or_skipped_with_one_warning(odd_pets_dir):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = scan_directory(odd_pets_dir, "test")
    ours = [w for w in caught if issubclass(w.category, uh.data.PetDataWarning)]
    assert len(ours) == 1, "one warning naming every skipped file"
    message = str(ours[0].message)
    lines = message.splitlines()
    for name, why in [("NoTrimap_1", "its trimap is missing"), ("Truncated_1", "unreadable image"),
                      ("Empty_1", "unreadable image"), ("Text_1", "unreadable image"),
                      ("Missing_1", "listed but not there")]:
        line = next(line for line in lines if f"{name}.jpg: " in line)
        assert why in line, line
    assert "Skipped 5 of 11" in message
    kept = [name for name, _, _ in report.pairs]
    assert kept == ["Good_1", "Good_2", "Rgba_1", "Gif_1", "Gray_1", "Resized_1"]
    converted = dict(report.converted)
    assert "PNG RGBA converted to RGB" in converted["images/Rgba_1.jpg"]
    assert "GIF" in converted["images/Gif_1.jpg"]
    assert "JPEG L converted to RGB" in converted["images/Gray_1.jpg"]
    assert "resized (nearest)" in converted["annotations/trimaps/Resized_1.png"]


def test_odd_directory_still_gives_a_complete_pipeline(odd_pets_dir):
    with pytest.warns(uh.data.PetDataWarning):
        dataset = uh.load_pets("test", source="directory", pets_dir=odd_pets_dir,
                               image_size=32, mask_mode="trimap", verbose=False)
    images, masks = collect(dataset)
    assert images.shape == (6, 32, 32, 3)
    assert set(np.unique(masks)) <= {0, 1, 2}


def test_missing_folder_and_missing_list_are_explained(tmp_path, odd_pets_dir):
    with pytest.raises(uh.data.PetDataUnavailable, match="no images/ folder"):
        uh.load_pets("train", source="directory", pets_dir=tmp_path / "nowhere", verbose=False)
    (odd_pets_dir / "annotations" / "trainval.txt").unlink()
    with pytest.raises(uh.data.PetDataUnavailable, match="trainval.txt is missing.*Unpack"):
        uh.load_pets("train", source="directory", pets_dir=odd_pets_dir, verbose=False)


def test_validation_is_carved_deterministically():
    # pinned: the same names must land in the same split on every machine, forever
    assert uh.data.is_validation("Abyssinian_5")
    assert not any(uh.data.is_validation(f"Abyssinian_{i}") for i in (1, 2, 3, 4, 6, 7, 8))
    names = [f"Breed_{i}" for i in range(500)]
    held_out = [n for n in names if uh.data.is_validation(n)]
    assert 70 < len(held_out) < 130  # about 20 %


# the real sample in ../shared -------------------------------------------------------

@pytest.mark.skipif(NOT_THE_SAMPLE, reason=NOT_THE_SAMPLE_WHY)
def test_real_sample_splits_three_ways_without_overlap():
    parts = {split: scan_directory(SAMPLE_DIR, split) for split in ("train", "validation", "test")}
    names = {split: {p[0] for p in part.pairs} for split, part in parts.items()}
    assert sum(len(n) for n in names.values()) == 300  # the sample has no official test list
    assert not (names["train"] & names["validation"] or names["train"] & names["test"]
                or names["validation"] & names["test"])
    assert 35 < len(names["test"]) < 85 and 35 < len(names["validation"]) < 85
    assert not any(part.skipped for part in parts.values())
    dataset = uh.load_pets("validation", source="directory", pets_dir=SAMPLE_DIR,
                           image_size=64, limit=8, verbose=False)
    images, masks = collect(dataset)
    assert images.shape == (8, 64, 64, 3)
    share = masks.mean()
    assert 0.15 < share < 0.85, "pets cover a fair part of each real photo"


# tfds with the network unavailable ----------------------------------------------------

def test_tfds_offline_fails_fast_with_advice(tmp_path, monkeypatch):
    monkeypatch.setattr(tfds_source, "network_available", lambda *a, **k: False)
    started = time.perf_counter()
    with pytest.raises(uh.data.PetDataUnavailable) as info:
        uh.load_pets("train", source="tfds", data_dir=tmp_path / "tfds", verbose=False)
    assert time.perf_counter() - started < 60, "must not retry for minutes"
    message = str(info.value)
    assert "cannot be reached" in message and "source='directory'" in message
    assert "images.tar.gz" in message


def test_auto_falls_back_to_directory_then_generated(tmp_path, monkeypatch, odd_pets_dir):
    monkeypatch.setattr(uh.data, "network_available", lambda *a, **k: False)
    monkeypatch.delenv("UNET_PETS_DIR", raising=False)
    monkeypatch.setenv("UNET_DATA_DIR", str(tmp_path / "data"))
    with pytest.warns(uh.data.PetDataWarning, match="synthetic pets"):
        assert uh.data.resolve_source("auto") == "generated"
    monkeypatch.setenv("UNET_PETS_DIR", str(odd_pets_dir))
    with pytest.warns(uh.data.PetDataWarning, match="unpacked archives"):
        assert uh.data.resolve_source("auto") == "directory"


def test_auto_falls_back_when_tfds_fails_after_all(tmp_path, monkeypatch):
    monkeypatch.setattr(uh.data, "network_available", lambda *a, **k: True)
    monkeypatch.delenv("UNET_PETS_DIR", raising=False)
    monkeypatch.setenv("UNET_DATA_DIR", str(tmp_path / "data"))

    def broken_download(*args, **kwargs):
        raise uh.data.PetDataUnavailable("tensorflow-datasets could not download Oxford-IIIT Pet: "
                                    "ConnectionError. To get the data another way: ...")

    monkeypatch.setattr(uh.data, "tfds_examples", broken_download)
    with pytest.warns(uh.data.PetDataWarning, match="could not download"):
        dataset = uh.load_pets("validation", image_size=32, limit=2, verbose=False)
    assert len(collect(dataset)[0]) == 2
    with pytest.raises(uh.data.PetDataUnavailable):  # asked for tfds explicitly: no fallback
        uh.load_pets("validation", source="tfds", verbose=False)


def test_real_network_check_answers_quickly():
    started = time.perf_counter()
    answer = tfds_source.network_available("host.invalid", timeout=2)
    assert answer is False
    assert time.perf_counter() - started < 10


def test_held_out_split_is_always_a_test_split(tmp_path, capsys):
    assert uh.data.held_out_split("generated") == "test"
    (tmp_path / "annotations").mkdir()
    assert uh.data.held_out_split("directory", pets_dir=tmp_path) == "test"
    assert "no official test list" in capsys.readouterr().out
    (tmp_path / "annotations" / "test.txt").write_text("Abyssinian_1 1 1 1\n")
    assert uh.data.held_out_split("directory", pets_dir=tmp_path) == "test"
    assert capsys.readouterr().out == ""


def test_a_folder_without_a_test_list_sets_a_fifth_aside_by_name():
    names = [f"Breed_{i}" for i in range(1000)]
    test = [n for n in names if uh.data.is_sample_test(n)]
    assert 150 < len(test) < 250  # about 20 %
    assert not any(uh.data.is_validation(n) for n in test)  # validation stays as it was
    assert uh.data.is_sample_test("Abyssinian_4") and not uh.data.is_sample_test("Abyssinian_1")
