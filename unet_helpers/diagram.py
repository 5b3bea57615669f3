"""Drawing a model's architecture, with a text fallback when Graphviz is missing."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import keras

from .model import format_stage_table

GRAPHVIZ_HELP = (
    "To draw the diagram, install the Graphviz program and pydot: "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) "
    "or `conda install graphviz`, then `pip install pydot`. Colab has both."
)


def graphviz_available() -> bool:
    """True when both pydot and Graphviz's ``dot`` program can be found."""
    return importlib.util.find_spec("pydot") is not None and shutil.which("dot") is not None


def plot_architecture(model: keras.Model, path, **options):
    """Draw ``model`` to ``path`` with ``keras.utils.plot_model`` and return the image.

    When Graphviz or pydot is missing, print what to install and a text
    outline of the stages instead, and return ``None``: never an exception.
    Extra keyword ``options`` go to ``plot_model`` (defaults: shapes shown,
    top-to-bottom, 60 dpi).
    """
    if not graphviz_available():
        print("Graphviz is not available here, so no diagram is drawn.")
        print(GRAPHVIZ_HELP)
        print("A text outline of the stages instead:\n")
        print(format_stage_table(model))
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = {"show_shapes": True, "show_layer_names": True, "dpi": 60}
    settings.update(options)
    keras.utils.plot_model(model, to_file=str(path), **settings)
    from IPython.display import Image

    return Image(filename=str(path))
