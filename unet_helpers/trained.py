"""A trained model for notebooks 06 and 06: notebook 04's best checkpoint, or a quick stand-in.

Notebooks 06 and 07 need "notebook 04's best model, or a quickly trained
stand-in when 04 has not been run" so that each runs top to bottom when it is
opened alone. That loads data and trains, so it sits at the top of the
package, above data and training.
"""

from __future__ import annotations

import time
from pathlib import Path

import keras

from .data import load_pets
from .export import load_keras
from .training import count_batches, profile_model, use_gpu_speedups


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
