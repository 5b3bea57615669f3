"""Run profiles: one setting that decides how big every notebook's run is.

The environment variable ``UNET_PROFILE`` names a profile:

``smoke``
    Tiny images, a narrow network, a few steps on generated data. Runs
    offline in seconds; this is what the tests use.
``cpu``
    Real pet photos at a reduced width and size: minutes on a laptop CPU.
``gpu``
    The seed's full width (64 base filters) at a larger size: a Colab GPU.

When ``UNET_PROFILE`` is unset, :func:`get_profile` picks ``gpu`` if
TensorFlow sees a GPU and ``cpu`` otherwise. Notebooks read every size they
need from the profile, so the same notebook runs at all three sizes.

This module imports nothing from the rest of the package (TensorFlow only
when it has to look for a GPU).
"""

from __future__ import annotations

import dataclasses
import os

ENV_VAR = "UNET_PROFILE"


@dataclasses.dataclass(frozen=True)
class Profile:
    """The sizes one run uses. Every notebook reads these, none hard-codes them."""

    name: str
    description: str
    image_size: int  # square side in pixels; a multiple of 2**depth
    base_filters: int  # filters in the first encoder block (the seed uses 64)
    depth: int  # number of encoder/decoder blocks (the seed uses 4)
    batch_size: int
    epochs: int  # the most epochs a run may take
    steps_per_epoch: int | None  # steps between validations; None: one pass over the training split
    train_steps: int | None  # a budget in batches; None: ``epochs`` (or ``train_minutes``)
    data_source: str  # "generated", "directory", "tfds" or "auto"
    learning_rate: float  # the peak of the cosine schedule
    loss: str = "crossentropy+dice"
    augment: bool = True
    bn_momentum: float = 0.99  # batch norm's running statistics (Keras's default)
    dropout: float = 0.0  # dropout at the end of every conv block
    weight_decay: float = 0.0  # > 0: AdamW instead of Adam
    # a training budget in minutes (uh.training.TimeBudget: the learning rate's cosine follows
    # the clock); ``epochs`` is then only a cap. None: the budget is epochs or train_steps
    train_minutes: float | None = None
    # notebook 09: the training minutes each of its two models gets (scratch and pretrained),
    # and the filters of the pretrained U-Net's five decoder blocks, deepest first
    transfer_minutes: float = 3.0
    decoder_filters: tuple = (256, 128, 64, 32, 16)

    def epochs_for(self, batches_per_epoch: int) -> int:
        """How many epochs to train when one epoch has ``batches_per_epoch`` batches.

        With a ``train_steps`` budget the run takes about the same time whatever
        the size of the data: many epochs of a small sample, few of the full set.
        With a ``train_minutes`` budget it is ``epochs``, a cap: the clock ends the run.
        """
        if self.steps_per_epoch:
            batches_per_epoch = self.steps_per_epoch
        if not self.train_steps:
            return self.epochs
        return max(1, min(self.epochs, round(self.train_steps / max(1, batches_per_epoch))))

    def as_dict(self) -> dict:
        """The profile as a plain dictionary (handy for logs and results files)."""
        return dataclasses.asdict(self)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        description="tiny and offline: generated data, a few steps (tests, CI)",
        image_size=64,
        base_filters=8,
        depth=3,
        batch_size=8,
        epochs=2,
        steps_per_epoch=4,
        train_steps=None,
        data_source="generated",
        learning_rate=3e-3,
        bn_momentum=0.9,
        transfer_minutes=0.05,
        decoder_filters=(32, 16, 16, 8, 8),
    ),
    "cpu": Profile(
        name="cpu",
        description="real pets at reduced width and size: 15 minutes on a CPU's clock",
        image_size=96,
        base_filters=16,
        depth=4,
        batch_size=16,
        epochs=1000,  # a cap: the 15 minutes end the run, on a fast machine or a slow one
        # an epoch (then a validation pass) every 100 steps, not every pass over the
        # sample's few training photos: validating after each pass took a quarter of the clock
        steps_per_epoch=100,
        train_steps=None,
        # on the wall clock, validation included: 2,000 steps took 12.5 minutes one day,
        # about an hour the next
        train_minutes=15.0,
        data_source="auto",
        learning_rate=2e-3,
        bn_momentum=0.9,
        weight_decay=0.0,
    ),
    "gpu": Profile(
        name="gpu",
        description="the classic U-Net's full width (64 filters) at 256 px on a GPU (Colab)",
        image_size=256,
        base_filters=64,
        depth=4,
        batch_size=16,
        epochs=30,
        steps_per_epoch=None,
        train_steps=None,
        data_source="auto",
        learning_rate=1e-3,
        transfer_minutes=5.0,
    ),
}


def gpu_available() -> bool:
    """True when TensorFlow can see at least one GPU."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def get_profile(name: str | None = None) -> Profile:
    """Return the profile called ``name``, else the one ``UNET_PROFILE`` names.

    With neither set, choose ``gpu`` when a GPU is visible and ``cpu`` otherwise.
    An unknown name raises ``ValueError`` listing the valid ones.
    """
    chosen = name if name is not None else os.environ.get(ENV_VAR, "").strip()
    if not chosen:
        chosen = "gpu" if gpu_available() else "cpu"
    key = chosen.lower()
    if key not in PROFILES:
        valid = ", ".join(sorted(PROFILES))
        source = f"{ENV_VAR}={chosen!r}" if name is None else f"profile {chosen!r}"
        raise ValueError(
            f"Unknown {source}. Choose one of: {valid} "
            f"(for example `export {ENV_VAR}=cpu`)."
        )
    return PROFILES[key]


def describe_device() -> str:
    """A few sentences on what will run the notebook, and what to do about it."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = ", ".join(g.name for g in gpus)
        return (
            f"TensorFlow {tf.__version__} sees {len(gpus)} GPU(s): {names}. "
            "Training runs on the GPU; the `gpu` profile is the default."
        )
    return (
        f"TensorFlow {tf.__version__} sees no GPU, so everything runs on the CPU. "
        "That is fine for these notebooks: the `cpu` profile is sized for it. "
        "For the full-size runs open the notebook in Colab and choose "
        "Runtime > Change runtime type > GPU."
    )
