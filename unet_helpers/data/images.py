"""Reading photos: any file, PIL image or array becomes RGB ``uint8`` (H, W, 3).

The one home of image-file reading and conversion: the directory source reads
the dataset's photos with it, inference reads a learner's own photos with it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def read_photo(image) -> np.ndarray:
    """Any photo as RGB ``uint8`` (H, W, 3).

    ``image`` may be a path, a PIL image or an array (H, W), (H, W, 1), (H, W, 3)
    or (H, W, 4), ``uint8`` in [0, 255] or float in [0, 1]. Grayscale is
    repeated to three channels; an alpha channel is dropped (transparent pixels
    become white).
    """
    if isinstance(image, (str, os.PathLike)):
        return _read_file(Path(image))
    if isinstance(image, Image.Image):
        return pil_to_rgb(image)
    if hasattr(image, "numpy"):  # a TensorFlow tensor
        image = image.numpy()
    if not isinstance(image, np.ndarray):
        raise TypeError(f"Cannot read a photo from a {type(image).__name__}: pass a file path, "
                        "a PIL image or a numpy array of shape (H, W) or (H, W, channels).")
    return _from_array(image)


def _read_file(path: Path) -> np.ndarray:
    if not path.exists():
        raise FileNotFoundError(f"No file at {path}. Check the path (relative paths start "
                                f"from {Path.cwd()}).")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; for all photos in a folder use "
                                "uh.inference.predict_folder(model, folder).")
    if path.stat().st_size == 0:
        raise ValueError(f"{path.name} is not a photo that can be read: the file is empty. "
                         "Download or copy it again.")
    try:
        with Image.open(path) as picture:
            picture.load()
            return pil_to_rgb(picture)
    except UnidentifiedImageError:
        reason = "it is not in an image format that Pillow knows"
    except (OSError, SyntaxError) as error:
        reason = f"it is damaged or cut off ({error})"
    raise ValueError(f"{path.name} is not a photo that can be read: {reason}. Use a JPEG or PNG "
                     "photo.")


def pil_to_rgb(picture: Image.Image) -> np.ndarray:
    """A PIL image of any mode as RGB ``uint8``; transparent pixels become white."""
    if picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P"
                                                and "transparency" in picture.info):
        picture = picture.convert("RGBA")
        flat = Image.new("RGB", picture.size, (255, 255, 255))
        flat.paste(picture, mask=picture.getchannel("A"))
        return np.asarray(flat, dtype=np.uint8)
    return np.asarray(picture.convert("RGB"), dtype=np.uint8)


def _from_array(array: np.ndarray) -> np.ndarray:
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[-1] not in (1, 3, 4):
        raise ValueError(f"A photo must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); "
                         f"got {array.shape}. For several photos call predict_mask on each, "
                         "or use predict_folder.")
    if array.size == 0:
        raise ValueError(f"The photo is empty (shape {array.shape}).")
    if array.dtype != np.uint8:
        array = array.astype(np.float64)
        if array.max(initial=0) <= 1.0:
            array = array * 255.0
        array = np.clip(np.round(array), 0, 255).astype(np.uint8)
    if array.shape[-1] == 4:
        return pil_to_rgb(Image.fromarray(array, "RGBA"))
    if array.shape[-1] == 1:
        return np.repeat(array, 3, axis=-1)
    return array
