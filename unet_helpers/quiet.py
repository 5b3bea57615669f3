"""Keep TensorFlow's start-up and converter chatter out of the notebooks, and nothing else.

TensorFlow's C++ core writes its logs straight to the process's standard
error (file descriptor 2), before Python can filter anything. Jupyter shows
every such line in pink, so a learner's first cell would open with lines such
as "Could not find cuda drivers" or "failed call to cuInit" on a machine that
has no GPU, which read like errors but only say that TensorFlow looked for one.

:func:`native_stderr_filtered` catches what C++ writes during a block and
writes back every line that is not on the list of known noise below, so a
real problem still shows. Python warnings are not touched (they go through
``sys.stderr``, not descriptor 2). :func:`import_tensorflow` imports
TensorFlow and looks for GPUs inside such a block; the package's door
(``unet_helpers.__getattr__``) calls it through :func:`import_tensorflow_once`
before it loads the first module that needs Keras or TensorFlow.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
import tempfile
import warnings

# Lines TensorFlow writes on every start or export that tell a learner nothing to act on.
NOISE = tuple(re.compile(pattern) for pattern in (
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    r"cudart_stub\.cc.*Could not find cuda drivers",
    r"cpu_feature_guard\.cc",
    r"^To enable the following instructions: .* rebuild TensorFlow",
    r"failed call to cuInit",
    r"Unable to register cu(DNN|FFT|BLAS) factory",
    r"computation placer already registered",
    r"TF-TRT Warning: Could not find TensorRT",
    r"oneDNN custom operations are on",
    # the TF Lite runtime saying which CPU kernels it chose, and the converter's report (07)
    r"Created TensorFlow Lite XNNPACK delegate for CPU",
    r"tf_tfl_flatbuffer_helpers\.cc.*Ignored",
    r"reader\.cc.*Reading",
    r"loader\.cc.*(SavedModel|Restoring|Running initialization op)",
    r"mlir_graph_optimization_pass\.cc|dump_mlir_util\.cc|fingerprinting\.cc",
    r"^\s*$",
))


def is_noise(line: str) -> bool:
    return any(pattern.search(line) for pattern in NOISE)


@contextlib.contextmanager
def native_stderr_filtered():
    """Inside the block, what C++ writes to descriptor 2 is kept back; non-noise is replayed."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real descriptor 2: nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            kept = [line for line in caught.read().decode(errors="replace").splitlines()
                    if not is_noise(line)]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")


def import_tensorflow():
    """Import TensorFlow and look for GPUs without the start-up noise; return the module.

    Sets ``TF_CPP_MIN_LOG_LEVEL=1`` (C++ information lines off, warnings on)
    unless it is set already, and only before TensorFlow's first import. The
    Python side follows the same rule: TensorFlow's logger shows warnings, not
    information lines such as ``Using MirroredStrategy with devices ...``.
    """
    if "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    with native_stderr_filtered():
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")  # the CUDA probe, which logs once
    if tf.get_logger().level < 30:  # logging.WARNING; a level the user chose higher is kept
        tf.get_logger().setLevel("WARNING")
    return tf


def import_tensorflow_once() -> None:
    """:func:`import_tensorflow`, unless TensorFlow is imported already or not installed."""
    if "tensorflow" in sys.modules or importlib.util.find_spec("tensorflow") is None:
        return
    import_tensorflow()


class PlainWarning(UserWarning):
    """A warning of the package, shown as its category and message alone.

    Python's default shows where ``warnings.warn`` was called, which in a
    notebook is a temporary file of the kernel and a line of the package's
    source: noise to a learner. The message of a plain warning names the
    problem and the fix by itself.
    """


_python_format = warnings.formatwarning


def _format(message, category, filename, lineno, line=None):
    if isinstance(category, type) and issubclass(category, PlainWarning):
        return f"{category.__name__}: {message}\n"
    return _python_format(message, category, filename, lineno, line)


warnings.formatwarning = _format  # other warnings are shown exactly as before
