"""Checks for the notebooks' exercises: each says *what* is wrong and hints at *why*.

Every ``check_*`` function takes the learner's function, tries it on small
cases whose right answers are known, and either prints a confirmation, or
(outside grading, for an answer still left as the stub) says the exercise is
open and lets the notebook run on, or raises :class:`ExerciseFailed` (an
``AssertionError``, which is also what nbgrader counts as a failed test) with
a message that points at the likely mistake. The tests in
``tests/test_exercises.py`` prove that each check passes the solution, fails
the empty stub, and catches planted mistakes (``tests/exercise_cases.py``).

One module per notebook (``notebook01`` ... ``notebook09``) holds its checks;
``core`` holds what they share. The notebooks call ``uh.checks.check_*``.
"""

from .core import GRADING_ENV_VARS, ExerciseFailed, grading
from .notebook01 import check_conv_block, check_conv_block_params, check_decoder_block
from .notebook02 import check_padded_size, check_skip_shapes, check_unet_loops
from .notebook03 import check_flip_pair, check_resize_mask, check_to_binary
from .notebook04 import check_compile_unet, check_dice_loss, check_pet_iou
from .notebook05 import check_balanced_weights, check_cosine_rate, check_pet_outline
from .notebook06 import check_best_threshold, check_iou_from_confusion
from .notebook07 import check_flip_average, check_network_input
from .notebook08 import check_paired_interval, check_scaled_gflops
from .notebook09 import check_skip_taps, check_unfreeze_encoder

__all__ = [
    "GRADING_ENV_VARS",
    "ExerciseFailed",
    "grading",
    "check_conv_block",
    "check_decoder_block",
    "check_conv_block_params",
    "check_unet_loops",
    "check_padded_size",
    "check_skip_shapes",
    "check_resize_mask",
    "check_to_binary",
    "check_flip_pair",
    "check_compile_unet",
    "check_dice_loss",
    "check_pet_iou",
    "check_cosine_rate",
    "check_balanced_weights",
    "check_pet_outline",
    "check_iou_from_confusion",
    "check_best_threshold",
    "check_network_input",
    "check_flip_average",
    "check_scaled_gflops",
    "check_paired_interval",
    "check_skip_taps",
    "check_unfreeze_encoder",
]
