"""predict_mask / predict_folder: any size, any channels, exact crop, clear errors."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import unet_helpers as uh
from unet_helpers import inference


def red_channel_model(fixed_size=None):
    """A model whose pet probability is the red channel; its one pooling makes depth 1.

    With it, the exact pixel-to-pixel alignment of pad / predict / crop can be checked.
    """
    shape = (fixed_size, fixed_size, 3) if fixed_size else (None, None, 3)
    image = keras.Input(shape, name="image")
    red = keras.layers.Conv2D(1, 1, use_bias=False, name="red")(image)
    pooled = keras.layers.MaxPooling2D(2)(image)
    back = keras.layers.UpSampling2D(2)(pooled)
    zero = keras.layers.Conv2D(1, 1, use_bias=False, kernel_initializer="zeros")(back)
    score = keras.layers.Add(name="head")([red, zero])
    model = keras.Model(image, score)
    model.get_layer("red").set_weights([np.array([1.0, 0, 0]).reshape(1, 1, 3, 1)])
    return model


@pytest.fixture(scope="module")
def unet():
    return uh.build_unet((64, 64, 3), base_filters=4, depth=3)


@pytest.fixture
def photo():
    return np.random.default_rng(1).integers(0, 256, size=(101, 77, 3), dtype=np.uint8)


def test_pad_and_crop_keep_every_pixel_in_place(photo):
    model = red_channel_model()
    mask = uh.predict_mask(model, photo, scale_to=None)
    assert mask.shape == (101, 77) and mask.dtype == np.uint8
    np.testing.assert_array_equal(mask, (photo[..., 0] / 255.0 > 0.5).astype(np.uint8))


@pytest.mark.parametrize("shape", [(101, 77, 3), (101, 77), (101, 77, 1), (101, 77, 4),
                                   (37, 250, 3), (16, 16, 3)])
def test_mask_has_the_photo_exact_size(unet, shape):
    array = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    for scale_to in ("auto", None, 96):
        mask = uh.predict_mask(unet, array, scale_to=scale_to)
        assert mask.shape == shape[:2]
        assert set(np.unique(mask)) <= {0, 1}


def test_paths_pil_images_and_float_arrays_give_the_same_mask(unet, photo, tmp_path):
    Image.fromarray(photo).save(tmp_path / "photo.png")
    from_array = uh.predict_mask(unet, photo)
    np.testing.assert_array_equal(uh.predict_mask(unet, tmp_path / "photo.png"), from_array)
    np.testing.assert_array_equal(uh.predict_mask(unet, str(tmp_path / "photo.png")), from_array)
    np.testing.assert_array_equal(uh.predict_mask(unet, Image.fromarray(photo)), from_array)
    np.testing.assert_array_equal(uh.predict_mask(unet, photo / 255.0), from_array)


def test_grey_and_rgba_photos_are_converted():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(uh.data.images.read_photo(grey), np.dstack([grey] * 3))
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = [10, 20, 30, 255]  # opaque; the rest transparent becomes white
    rgb = uh.data.images.read_photo(rgba)
    assert rgb.shape == (2, 2, 3)
    assert rgb[0, 0].tolist() == [10, 20, 30] and rgb[1, 1].tolist() == [255, 255, 255]


def test_fixed_size_model_gets_an_any_size_twin_with_the_same_weights(unet):
    twin = inference.any_size(unet)
    assert twin.input_shape == (None, None, None, 3)
    assert inference.any_size(unet) is twin, "the twin is built once per model"
    x = np.random.default_rng(0).random((2, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(twin(x), unet(x), atol=1e-6)
    assert twin(np.zeros((1, 40, 24, 3), "float32")).shape == (1, 40, 24, 1)


def test_auto_scale_resizes_to_the_training_size():
    model = red_channel_model(fixed_size=32)
    photo = np.zeros((128, 64, 3), np.uint8)
    photo[:, 32:] = 255  # right half red: pet
    mask = uh.predict_mask(model, photo)  # predicted at 32 x 16, then scaled back
    assert mask.shape == (128, 64)
    assert mask[:, :30].sum() == 0 and mask[:, 34:].all()


def test_logit_heads_threshold_at_zero():
    model = red_channel_model()
    photo = np.full((8, 8, 3), 0.3, np.float32)  # red 0.3 is a logit > 0: pet
    assert not uh.predict_mask(model, photo, scale_to=None).any()
    linear = uh.build_unet((None, None, 3), base_filters=4, depth=2, output_activation="linear")
    scores = inference.predict_scores(linear, [np.full((20, 20, 3), 128, np.uint8)])[0]
    mask = uh.predict_mask(linear, np.full((20, 20, 3), 128, np.uint8))
    np.testing.assert_array_equal(mask, (scores[..., 0] > 0).astype(np.uint8))


def test_bad_input_is_explained(unet, tmp_path):
    with pytest.raises(FileNotFoundError, match="No file at .*missing.jpg"):
        uh.predict_mask(unet, tmp_path / "missing.jpg")
    with pytest.raises(IsADirectoryError, match="predict_folder"):
        uh.predict_mask(unet, tmp_path)
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ValueError, match="empty.jpg .* the file is empty"):
        uh.predict_mask(unet, tmp_path / "empty.jpg")
    (tmp_path / "text.jpg").write_text("not a photo at all")
    with pytest.raises(ValueError, match="text.jpg is not a photo .* not in an image format"):
        uh.predict_mask(unet, tmp_path / "text.jpg")
    Image.new("RGB", (64, 64), "red").save(tmp_path / "whole.jpg")
    (tmp_path / "cut.jpg").write_bytes((tmp_path / "whole.jpg").read_bytes()[:300])
    with pytest.raises(ValueError, match="cut.jpg .* damaged or cut off"):
        uh.predict_mask(unet, tmp_path / "cut.jpg")
    with pytest.raises(ValueError, match=r"7 x 40 pixels.*at least 8 x 8"):
        uh.predict_mask(unet, np.zeros((7, 40, 3), np.uint8))
    with pytest.raises(ValueError, match=r"\(H, W, 4\); got \(8, 8, 2\)"):
        uh.predict_mask(unet, np.zeros((8, 8, 2)))
    with pytest.raises(TypeError, match="file path, a PIL image or a numpy array"):
        uh.predict_mask(unet, [[1, 2], [3, 4]])


def test_folder_in_batches_skips_odd_files_with_one_warning(unet, tmp_path):
    rng = np.random.default_rng(0)
    photos = {}
    for number in range(5):
        photos[f"pet_{number}.jpg"] = rng.integers(0, 256, (40 + 9 * number, 60, 3), np.uint8)
        Image.fromarray(photos[f"pet_{number}.jpg"]).save(tmp_path / f"pet_{number}.png")
    Image.fromarray(photos["pet_0.jpg"]).convert("L").save(tmp_path / "grey.png")
    (tmp_path / "empty.jpg").write_bytes(b"")
    Image.new("RGB", (4, 4)).save(tmp_path / "tiny.png")
    (tmp_path / "notes.txt").write_text("ignored: not a photo suffix")
    with pytest.warns(inference.SkippedFileWarning) as caught:
        masks = uh.inference.predict_folder(unet, tmp_path, batch_size=2, save_to=tmp_path / "masks")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "Skipped 2 file(s)" in message and "empty.jpg" in message and "tiny.png" in message
    assert sorted(p.name for p in masks) == ["grey.png"] + [f"pet_{n}.png" for n in range(5)]
    for path, mask in masks.items():
        np.testing.assert_array_equal(mask, uh.predict_mask(unet, path))
        saved = np.asarray(Image.open(tmp_path / "masks" / f"{path.stem}.png"))
        np.testing.assert_array_equal(saved, mask * 255)


def test_folder_errors(unet, tmp_path):
    with pytest.raises(FileNotFoundError, match="No folder at"):
        uh.inference.predict_folder(unet, tmp_path / "nowhere")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert uh.inference.predict_folder(unet, tmp_path) == {}


def test_prediction_resizes_a_photo_exactly_as_training_does(unet, photo):
    """One policy: the photo is squashed to the model's square by the training pipeline's rule."""
    trimap = np.ones(photo.shape[:2] + (1,), np.uint8)
    image, _ = uh.data.resize_pair(photo, trimap, 64)  # what load_pets(image_size=64) feeds
    expected = unet(image.numpy()[None].astype(np.float32) / 255.0, training=False)[0]
    expected = tf.image.resize(expected, photo.shape[:2], method="bilinear").numpy()
    (scores,) = uh.inference.predict_scores(unet, [photo])
    np.testing.assert_allclose(scores, expected, atol=1e-5)
    (square,) = uh.inference.predict_scores(unet, [photo], scale_to=64)
    np.testing.assert_allclose(square, expected, atol=1e-5)


def test_long_thin_photos_are_squashed_like_any_other(unet):
    assert uh.predict_mask(unet, np.zeros((400, 8, 3), np.uint8)).shape == (400, 8)
    assert uh.predict_mask(unet, np.zeros((400, 8, 3), np.uint8), scale_to=None).shape == (400, 8)


@pytest.mark.parametrize("scale_to, message", [(4, r"scale_to=4 is too small.*at least 8 x 8"),
                                               ("big", "scale_to must be 'auto', None or"),
                                               (True, "scale_to must be"), (0, "scale_to must")])
def test_bad_scale_to_is_explained(unet, photo, scale_to, message):
    with pytest.raises(ValueError, match=message):
        uh.predict_mask(unet, photo, scale_to=scale_to)


def test_any_size_follows_later_weight_changes():
    model = uh.build_unet((32, 32, 3), base_filters=4, depth=2)
    photo = np.random.default_rng(0).integers(0, 256, (32, 32, 3), np.uint8)
    before = inference.predict_scores(model, [photo])[0]
    model.set_weights([w * 0.5 for w in model.get_weights()])
    after = inference.predict_scores(model, [photo])[0]
    np.testing.assert_allclose(after, model.predict(photo[None] / 255.0, verbose=0)[0],
                               atol=1e-5)
    assert not np.allclose(before, after)


def test_folder_keeps_masks_of_photos_with_the_same_stem_apart(unet, tmp_path):
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 256, (30, 30, 3), np.uint8)).save(tmp_path / "a.jpg")
    Image.fromarray(rng.integers(0, 256, (30, 30, 3), np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "odd.jpg").mkdir()  # a folder with a photo's name is skipped, not fatal
    with pytest.warns(inference.SkippedFileWarning, match="odd.jpg"):
        masks = uh.inference.predict_folder(unet, tmp_path, save_to=tmp_path / "masks")
    assert len(masks) == 2
    assert sorted(p.name for p in (tmp_path / "masks").iterdir()) == ["a.jpg.png", "a.png.png"]


def test_a_bad_scale_to_for_a_folder_is_said_once_not_blamed_on_the_files(unet, tmp_path):
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(tmp_path / "a.png")
    for scale_to, message in (("big", "scale_to must be"), (4, "scale_to=4 is too small")):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "skipped file" warning
            with pytest.raises(ValueError, match=message):
                uh.inference.predict_folder(unet, tmp_path, scale_to=scale_to)
