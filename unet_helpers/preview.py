"""The live preview of notebook 04: the same validation photos predicted while the model trains.

A Keras callback that predicts and draws, so it sits at the top of the
package, above training, evaluation and viz.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from .evaluation import probabilities
from .metrics import labels_from_scores
from .model import head_gives_logits
from .viz import prediction_strip, show


class PredictionPreview(keras.callbacks.Callback):
    """Every ``every`` epochs, predict a fixed set of validation images and show them.

    Watching the same images improve is the quickest way to see whether
    training works ("all background" early on is normal). Each figure is
    also saved to ``folder`` when one is given. With ``budget`` (a
    :class:`~unet_helpers.training.TimeBudget`) ``every`` is ignored: a figure
    follows the epoch in which each quarter of the budget's training time ends
    (the budget less the time kept for the last validation), and the last epoch.
    """

    def __init__(self, images, masks, every: int = 2, folder=None, threshold: float = 0.5,
                 budget=None):
        super().__init__()
        self.images, self.masks = np.asarray(images), np.asarray(masks)
        self.every, self.threshold, self.budget = every, threshold, budget
        self.folder = Path(folder) if folder else None
        self.quarters_shown = 0

    def _due(self, epoch: int) -> bool:
        if self.budget is None:
            return (epoch + 1) % self.every == 0
        quarters = 4 if self.model.stop_training else int(
            self.budget.training_fraction * 4 + 1e-9)
        if quarters > self.quarters_shown:
            self.quarters_shown = quarters
            return True
        return False

    def on_epoch_end(self, epoch, logs=None):
        if not self._due(epoch):
            return
        scores = np.asarray(self.model.predict(self.images, verbose=0), dtype=np.float32)
        if head_gives_logits(self.model):
            scores = probabilities(scores)
        labels = labels_from_scores(scores, self.threshold)
        classes = max(2, scores.shape[-1])
        figure = prediction_strip(self.images, self.masks[..., 0], labels,
                                      num_classes=classes, title=f"after epoch {epoch + 1}")
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)
            figure.savefig(self.folder / f"preview_epoch{epoch + 1:03d}.png", dpi=80)
        show(figure)

