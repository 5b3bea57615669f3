"""Shared code for the U-Net tutorial notebooks.

The notebooks import the package once, ``import unet_helpers as uh``, and
find everything here: ``uh.build_unet``, ``uh.load_pets``, ``uh.training``...
The modules sit in layers that import one way, downwards (docs/architecture.md,
checked by the import contracts in pyproject.toml):

top      lessons (notebook conveniences), checks (exercise checks), viz, diagram
middle   training, evaluation, inference, export
bottom   model (blocks, build_unet), data (sources, photo reading, pipelines),
         losses, metrics, profiles, paths, quiet
"""

from .quiet import import_tensorflow as _import_tensorflow

_import_tensorflow()  # first, so that TensorFlow's start-up noise stays out of the notebooks

from .blocks import conv_block, decoder_block, encoder_block, upsample  # noqa: E402
from . import checks, evaluation, experiments, export, inference, lessons, training, viz
from . import measured_experiments
from .data import (
    CLASS_NAMES,
    PetDataUnavailable,
    PetDataWarning,
    load_pets,
    num_classes,
    raw_pairs,
    resolve_source,
    scan_directory,
)
from .diagram import graphviz_available, plot_architecture
from .model import (
    build_unet,
    check_input_size,
    format_stage_table,
    nearest_valid_sizes,
    stage_table,
)
from .losses import CrossEntropyDiceLoss, DiceLoss, make_loss
from .metrics import SegmentationDice, SegmentationIoU, pixel_accuracy, segmentation_metrics
from .data.images import read_photo
from .inference import predict_folder, predict_mask
from .paths import output_dir
from .training import compile_model, distribution_strategy, make_callbacks, use_gpu_speedups
from .profiles import PROFILES, Profile, describe_device, get_profile

__version__ = "0.4.0"

__all__ = [
    "CLASS_NAMES",
    "CrossEntropyDiceLoss",
    "DiceLoss",
    "PetDataUnavailable",
    "PetDataWarning",
    "SegmentationDice",
    "SegmentationIoU",
    "compile_model",
    "distribution_strategy",
    "load_pets",
    "make_callbacks",
    "make_loss",
    "num_classes",
    "raw_pairs",
    "resolve_source",
    "scan_directory",
    "pixel_accuracy",
    "segmentation_metrics",
    "checks",
    "evaluation",
    "experiments",
    "measured_experiments",
    "export",
    "inference",
    "lessons",
    "predict_folder",
    "predict_mask",
    "read_photo",
    "training",
    "use_gpu_speedups",
    "viz",
    "PROFILES",
    "Profile",
    "build_unet",
    "check_input_size",
    "conv_block",
    "decoder_block",
    "describe_device",
    "encoder_block",
    "get_profile",
    "format_stage_table",
    "graphviz_available",
    "nearest_valid_sizes",
    "output_dir",
    "plot_architecture",
    "stage_table",
    "upsample",
]
