"""Shared code for the U-Net tutorial notebooks.

The notebooks import what they need from here, for example::

    from unet_helpers import build_unet, get_profile
"""

from .blocks import conv_block, decoder_block, encoder_block, upsample
from .diagram import graphviz_available, plot_architecture
from .model import (
    build_unet,
    check_input_size,
    format_stage_table,
    nearest_valid_sizes,
    stage_table,
)
from .paths import output_dir
from .profiles import PROFILES, Profile, describe_device, get_profile

__version__ = "0.1.0"

__all__ = [
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
