"""Ship a trained model: ``.keras``, a TensorFlow SavedModel for serving, TensorFlow Lite.

Each format is written by Keras itself (``model.save`` and ``model.export``);
the helpers here only reload each artifact as a plain function
``predict(images) -> scores`` so that the three can be compared and timed the
same way. A model trained with mixed precision is exported from a float32
copy of its weights (:func:`float32_copy`): serving and phone runtimes expect
float32, and many CPUs compute float16 slowly or not at all.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .quiet import native_stderr_filtered


def _float32_dtypes(config):
    """The same layer configs with every mixed-precision ``dtype`` set to float32."""
    if isinstance(config, list):
        return [_float32_dtypes(value) for value in config]
    if not isinstance(config, dict):
        return config
    changed = {key: _float32_dtypes(value) for key, value in config.items()}
    dtype = config.get("dtype")
    name = dtype.get("config", {}).get("name", "") if isinstance(dtype, dict) else dtype
    if isinstance(name, str) and name.startswith("mixed_"):
        changed["dtype"] = "float32"
    return changed


def float32_copy(model: keras.Model) -> keras.Model:
    """``model`` itself if it computes in float32, else the same network in float32.

    Mixed precision keeps the weights in float32 already, so the copy's weights
    are the model's, bit for bit; only the computation changes precision.
    """
    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        return model
    copy = model.__class__.from_config(_float32_dtypes(model.get_config()))
    copy.set_weights(model.get_weights())
    return copy


def save_keras(model: keras.Model, path) -> Path:
    """The whole model (architecture, weights, loss, metrics) in one ``.keras`` file."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"A Keras model file must end in .keras; got {path.name!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return path


def load_keras(path) -> keras.Model:
    """``keras.models.load_model``, without a warning that does not concern a reloaded model.

    A model trained with mixed precision saves its loss-scaling optimizer, which
    Keras 3 does not rebuild on loading: it warns that it skips the optimizer's
    variables. Predicting and evaluating do not use them; only training on from
    the reloaded model starts with fresh Adam statistics.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        return keras.models.load_model(path)


@contextlib.contextmanager
def _quiet():
    """Hide TensorFlow's progress lines while exporting ("Assets written to ...").

    Python's lines go to a buffer; the TF Lite converter's C++ report is
    filtered by :func:`quiet.native_stderr_filtered` (anything unexpected still shows).
    """
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        with contextlib.redirect_stdout(io.StringIO()), native_stderr_filtered():
            yield
    finally:
        logger.setLevel(level)


def export_saved_model(model: keras.Model, folder) -> Path:
    """A TensorFlow SavedModel with a ``serve`` endpoint (TF Serving, TF.js, other languages).

    Written from :func:`float32_copy` of the model.
    """
    folder = Path(folder)
    with _quiet():
        float32_copy(model).export(str(folder), format="tf_saved_model", verbose=False)
    return folder


def export_tflite(model: keras.Model, path) -> Path:
    """A TensorFlow Lite (LiteRT) flat buffer for phones and small devices.

    Written from :func:`float32_copy` of the model.
    """
    path = Path(path)
    if path.suffix != ".tflite":
        raise ValueError(f"A TensorFlow Lite file should end in .tflite; got {path.name!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _quiet():
        float32_copy(model).export(str(path), format="litert", verbose=False)
    return path


def load_saved_model(folder):
    """``predict(images) -> scores`` from an exported SavedModel, without Keras."""
    loaded = tf.saved_model.load(str(folder))

    def predict(images):
        return np.asarray(loaded.serve(tf.constant(images, tf.float32)))

    predict.artifact = loaded  # keep the loaded graph alive as long as the function
    return predict


def _tflite_interpreter(path):
    try:  # LiteRT, the new home of the TensorFlow Lite runtime, if it is installed
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # TensorFlow's own copy: deprecated, but present in TF 2.21
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
            return tf.lite.Interpreter(model_path=str(path), num_threads=os.cpu_count())
    return Interpreter(model_path=str(path), num_threads=os.cpu_count())


def load_tflite(path):
    """``predict(images) -> scores`` from a ``.tflite`` file, one image at a time."""
    with native_stderr_filtered():  # the runtime reports its CPU kernels (XNNPACK) here
        interpreter = _tflite_interpreter(path)
        interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]
    target = interpreter.get_output_details()[0]

    def predict(images):
        outputs = []
        for image in np.asarray(images, dtype=np.float32):
            interpreter.set_tensor(source["index"], image[None])
            interpreter.invoke()
            outputs.append(interpreter.get_tensor(target["index"])[0].copy())
        return np.stack(outputs)

    return predict


def file_size_mb(path) -> float:
    """Size of a file, or of everything in a folder, in megabytes."""
    path = Path(path)
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def time_per_image(predict, images, repeats: int = 3) -> float:
    """Median milliseconds per image of ``predict`` over ``repeats`` runs (after one warm-up)."""
    images = np.asarray(images, dtype=np.float32)
    predict(images)  # warm-up: the first call traces and compiles
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        predict(images)
        runs.append((time.perf_counter() - started) * 1000 / len(images))
    return float(np.median(runs))
