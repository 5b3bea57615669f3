"""Shared code for the U-Net tutorial notebooks: ``import unet_helpers as uh``.

The top level holds what a learner types in a notebook::

    profile = uh.get_profile()            # uh.describe_device() says what runs it
    model = uh.build_unet((96, 96, 3), base_filters=16, depth=4)
    train = uh.load_pets("train", ...)    # uh.raw_pairs, uh.CLASS_NAMES
    uh.compile_model(model, ...); model.fit(train, callbacks=uh.make_callbacks(...))
    mask = uh.predict_mask(model, photo)  # uh.output_dir(...) says where files go

Everything else is reached through its module, e.g. ``uh.evaluation.bootstrap_iou``
or ``uh.viz.overlay``. Modules load when first used (PEP 562), so
``import unet_helpers.model`` loads Keras but not ``tf.data``, and a name of
the top level brings in only the module that defines it. The modules sit in
layers that import one way, downwards (docs/architecture.md, checked by the
import contracts in pyproject.toml).
"""

from __future__ import annotations

import importlib

__version__ = "0.5.0"

# name typed in a notebook -> the module that defines it
_FRONT_DOOR = {
    "get_profile": "profiles",
    "describe_device": "profiles",
    "output_dir": "paths",
    "build_unet": "model",
    "build_pretrained_unet": "pretrained",
    "load_pets": "data",
    "raw_pairs": "data",
    "CLASS_NAMES": "data",
    "compile_model": "training",
    "make_callbacks": "training",
    "predict_mask": "inference",
}

_MODULES = (
    "blocks", "checks", "data", "diagram", "evaluation", "export", "inference", "losses",
    "measured", "metrics", "model", "network", "paths", "pretrained", "preview", "profiles",
    "quiet", "trained", "training",
    "variants", "viz",
)

# Importing TensorFlow writes start-up noise from C++; the first module loaded
# through the package's door imports it inside the filter (unet_helpers.quiet),
# unless the module needs no TensorFlow at all.
_QUIET_BEFORE = set(_MODULES) - {"measured", "network", "paths", "quiet"}

__all__ = ["__version__", *_FRONT_DOOR, *_MODULES]


def _load(module: str):
    if module in _QUIET_BEFORE:
        from .quiet import import_tensorflow_once

        import_tensorflow_once()
    return importlib.import_module(f"{__name__}.{module}")


def __getattr__(name: str):
    if name in _FRONT_DOOR:
        value = getattr(_load(_FRONT_DOOR[name]), name)
    elif name in _MODULES:
        value = _load(name)
    else:
        raise AttributeError(
            f"module 'unet_helpers' has no attribute {name!r}. The top level holds "
            f"{', '.join(sorted(_FRONT_DOOR))}; everything else is in a module "
            f"({', '.join(_MODULES)}), e.g. uh.evaluation.bootstrap_iou.")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
