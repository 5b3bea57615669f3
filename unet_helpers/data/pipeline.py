"""From raw ``(image, trimap)`` pairs to what the model eats: resize, labels, augmentation.

Images are resized bilinearly; masks **always** with nearest-neighbour, since
bilinear resizing would invent in-between values (1.5 is no class). Every
random change of geometry is applied to the image and its mask with the
same random numbers, so they stay aligned.
"""

from __future__ import annotations

import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE
MAX_ZOOM = 1.5  # random scale: zoom in by up to 50 %, then crop back
BRIGHTNESS_DELTA = 0.15  # add up to +-0.15 to every channel (pixel values in [0, 1])
CONTRAST_RANGE = (0.8, 1.2)  # stretch or squeeze around the mean by this factor
SATURATION_RANGE = (0.7, 1.3)  # grey it down or strengthen the colours by this factor


def resize_photo(image, size):
    """A photo (H, W, 3) resized to ``size`` = (height, width), bilinear, as ``uint8``.

    The one resizing rule of the collection: training squashes every photo to
    the square it learns at with this function, and ``uh.predict_mask`` feeds
    a photo to a trained model through it too, so the network meets pets at
    the same scale and with the same stretch in both.
    """
    image = tf.image.resize(image, size, method="bilinear", antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)


def resize_pair(image, trimap, image_size: int):
    """Resize to ``image_size`` squared: bilinear for the photo, nearest for the trimap.

    The photo's aspect ratio is not kept: a 500 x 375 photo is squashed to a
    square. Every pixel of the square then shows the photo (none is padding),
    and inference squashes the same way (see :func:`resize_photo`).
    """
    size = [image_size, image_size]
    return resize_photo(image, size), tf.image.resize(trimap, size, method="nearest")


def trimap_to_labels(trimap, mask_mode: str):
    """Trimap 1/2/3 to labels: binary 1 = pet or border, 0 = background; trimap 0/1/2."""
    trimap = tf.cast(trimap, tf.uint8)
    if mask_mode == "binary":
        return tf.cast(tf.not_equal(trimap, 2), tf.uint8)
    return trimap - 1


def augment_pair(image, mask, seed):
    """Random flip, zoom-and-crop (image and mask together), brightness, contrast, saturation.

    ``image`` is float32 in [0, 1], ``mask`` uint8, ``seed`` a pair of ints:
    stateless random ops make the result reproducible for a given seed.
    """
    seeds = tf.random.experimental.stateless_split(seed, num=6)
    size = tf.shape(image)[:2]
    stacked = tf.concat([image, tf.cast(mask, tf.float32)], axis=-1)
    stacked = tf.image.stateless_random_flip_left_right(stacked, seeds[0])
    zoom = tf.random.stateless_uniform([], seeds[1], 1.0, MAX_ZOOM)
    bigger = tf.cast(tf.round(tf.cast(size, tf.float32) * zoom), tf.int32)
    photo = tf.image.resize(stacked[..., :3], bigger, method="bilinear")
    labels = tf.image.resize(stacked[..., 3:], bigger, method="nearest")
    stacked = tf.concat([photo, labels], axis=-1)
    crop = tf.concat([size, [tf.shape(stacked)[-1]]], axis=0)
    stacked = tf.image.stateless_random_crop(stacked, crop, seeds[2])
    image, mask = stacked[..., :3], tf.cast(tf.round(stacked[..., 3:]), tf.uint8)
    image = tf.image.stateless_random_brightness(image, BRIGHTNESS_DELTA, seeds[3])
    image = tf.image.stateless_random_contrast(image, *CONTRAST_RANGE, seeds[4])
    image = tf.image.stateless_random_saturation(tf.clip_by_value(image, 0.0, 1.0),
                                                 *SATURATION_RANGE, seeds[5])
    return tf.clip_by_value(image, 0.0, 1.0), mask


def to_float(image, mask):
    return tf.cast(image, tf.float32) / 255.0, mask


def build_pipeline(pairs: tf.data.Dataset, *, image_size: int, mask_mode: str,
                   batch_size=None, augment=False, shuffle=False, seed=0, cache=True,
                   drop_remainder=False):
    """Resize, label, (cache), (shuffle), (augment), (batch) and prefetch ``pairs``.

    Notebook 03 writes this chain out for the training split (``pet_pipeline``);
    ``tests/test_notebook_code.py`` keeps the two giving the same batches.
    """
    dataset = pairs.map(lambda i, t: resize_pair(i, t, image_size), num_parallel_calls=AUTOTUNE)
    dataset = dataset.map(lambda i, t: (i, trimap_to_labels(t, mask_mode)),
                          num_parallel_calls=AUTOTUNE)
    if cache:
        dataset = dataset.cache()  # uint8 at the model's size: small, and decoded only once
    if shuffle:
        dataset = dataset.shuffle(1024, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.map(to_float, num_parallel_calls=AUTOTUNE)
    if augment:
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        dataset = tf.data.Dataset.zip((dataset, seeds)).map(
            lambda pair, s: augment_pair(pair[0], pair[1], s), num_parallel_calls=AUTOTUNE)
    if batch_size:
        dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(AUTOTUNE)
