"""Conveniences for the notebooks that tie several layers together.

Notebooks 05 and 06 need "notebook 04's best model, or a quickly trained
stand-in when 04 has not been run"; notebook 04 shows a live preview of the
predictions while it trains. Both load data, train and draw, so they sit at
the top of the package, above data, training and viz.
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np

from . import viz
from .data import load_pets
from .evaluation import probabilities
from .export import load_keras
from .metrics import labels_from_scores
from .model import head_gives_logits
from .training import count_batches, profile_model, use_gpu_speedups


class PredictionPreview(keras.callbacks.Callback):
    """Every ``every`` epochs, predict a fixed set of validation images and show them.

    Watching the same images improve is the quickest way to see whether
    training works ("all background" early on is normal). Each figure is
    also saved to ``folder`` when one is given. With ``budget`` (a
    :class:`~unet_helpers.training.TimeBudget`) ``every`` is ignored: a figure
    follows the epoch in which each quarter of the time budget ends.
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
        quarters = int(self.budget.fraction * 4 + 1e-9)
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
        figure = viz.prediction_strip(self.images, self.masks[..., 0], labels,
                                      num_classes=classes, title=f"after epoch {epoch + 1}")
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)
            figure.savefig(self.folder / f"preview_epoch{epoch + 1:03d}.png", dpi=80)
        viz.show(figure)


def train_quick_model(profile, source: str, *, steps: int | None = None, seed: int = 0,
                      verbose: int = 0) -> keras.Model:
    """A model trained briefly with ``profile``'s settings: a stand-in when no checkpoint exists.

    ``steps`` defaults to the profile's whole budget, but at most 300 batches
    (about two minutes for the ``cpu`` profile on a laptop). On a GPU (or with
    ``UNET_GPU_SETTINGS``) it trains with mixed precision and XLA, as notebook 04 does.
    """
    keras.utils.set_random_seed(seed)
    data = dict(source=source, image_size=profile.image_size, batch_size=profile.batch_size,
                verbose=False)
    train = load_pets("train", augment=profile.augment, drop_remainder=True, seed=seed, **data)
    batches = count_batches(train)
    planned = (profile.steps_per_epoch or batches) * profile.epochs_for(batches)
    steps = min(planned, 300) if steps is None else steps
    with use_gpu_speedups() as speedups:
        model = profile_model(profile, steps, jit_compile=speedups["jit_compile"])
    model.fit(train.repeat(), epochs=1, steps_per_epoch=steps, verbose=verbose)
    return model


def best_or_quick_model(run_dir, profile, source: str) -> keras.Model:
    """The best checkpoint of notebook 04 in ``run_dir``, or a quickly trained model if none.

    Says which it used, so a notebook opened on its own still runs top to bottom.
    """
    checkpoint = Path(run_dir) / "best.keras"
    if checkpoint.exists():
        print(f"Loaded the best model of notebook 04 from {checkpoint.parent.name}/"
              f"{checkpoint.name} (profile {profile.name!r}).")
        return load_keras(checkpoint)
    print(f"No checkpoint {checkpoint.name} in {run_dir}: notebook 04 has not been run with "
          f"profile {profile.name!r} yet.\nTraining a quick stand-in model instead (run "
          "notebook 04 first for a better one) ...")
    started = time.perf_counter()
    model = train_quick_model(profile, source)
    print(f"... done in {time.perf_counter() - started:.0f} s.")
    return model
