"""TensorFlow's start-up noise stays out of the notebooks; anything else still shows."""

import os
import subprocess
import sys

from unet_helpers import quiet


def test_known_noise_is_dropped_and_other_lines_are_replayed(capfd):
    with quiet.native_stderr_filtered():
        os.write(2, b"I0000 00:00:1.0 1 cudart_stub.cc:31] Could not find cuda drivers on your "
                    b"machine, GPU will not be used.\n")
        os.write(2, b"E0000 00:00:1.0 1 cuda_platform.cc:52] failed call to cuInit: UNKNOWN\n")
        os.write(2, b"W0000 00:00:1.0 1 something.cc:1] a real problem the learner must see\n")
    err = capfd.readouterr().err
    assert "a real problem the learner must see" in err
    assert "cuInit" not in err and "cuda drivers" not in err


def test_importing_the_package_writes_nothing_to_stderr():
    """As in a learner's fresh kernel: TF_CPP_MIN_LOG_LEVEL is not set."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", "import unet_helpers as uh; "
                           "print(uh.describe_device())"], env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    assert "TensorFlow" in done.stdout


def test_tensorflow_information_lines_stay_out_and_its_warnings_show():
    """Notebook 05 builds a MirroredStrategy, which logs an INFO line through TF's Python logger."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    code = ("import unet_helpers as uh; uh.describe_device(); import tensorflow as tf; "
            "tf.distribute.MirroredStrategy(['/cpu:0']); "
            "tf.get_logger().warning('a warning the learner must see')")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "MirroredStrategy" not in done.stderr, done.stderr
    assert "a warning the learner must see" in done.stderr


def test_the_package_warnings_show_their_message_alone():
    """In a notebook, the default format adds a kernel's temporary file and a source line."""
    import warnings

    from unet_helpers.data import PetDataWarning
    from unet_helpers.inference import SkippedFileWarning

    for category in (SkippedFileWarning, PetDataWarning):
        shown = warnings.formatwarning("Skipped 1 file(s): odd.jpg", category,
                                       "/tmp/ipykernel_1/123.py", 7, "masks = predict(...)")
        assert shown == f"{category.__name__}: Skipped 1 file(s): odd.jpg\n"
    other = warnings.formatwarning("careful", UserWarning, "/tmp/x.py", 3, "x = 1")
    assert "/tmp/x.py:3" in other, "other warnings are shown as Python shows them"
