"""Evaluate a trained model on a whole split, image by image and pixel by pixel (numpy).

:func:`evaluate_dataset` streams: it runs the model over the split batch by
batch and adds up only what the scores and figures need (one confusion
matrix, the pixel counts of a threshold sweep, one IoU per image, and the
few best, worst and sampled images). Its memory does not grow with the
split, except for the per-image IoU (4 bytes an image), so the 3,669 test
photos at 256 px fit in a Colab runtime. Labels are ``uint8`` throughout.

The pure functions (:func:`evaluate_masks`, :func:`per_image_iou`,
:func:`threshold_sweep`...) compute the same numbers from whole arrays, for
tiny examples, tests and exercises; the streaming code uses them batch by batch.
:func:`predict_dataset` keeps every photo, mask and score of a split: use it for
small data only.
Scores become hard labels before anything is counted, as in training.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .data.common import CLASS_NAMES, trimap_to_mask
from .data.common import num_classes as classes_in
from .metrics import confusion_matrix, dice_per_class, iou_per_class, labels_from_scores
from .model import head_gives_logits


@dataclasses.dataclass
class Predictions:
    images: np.ndarray  # (N, H, W, 3) float in [0, 1]
    truths: np.ndarray  # (N, H, W) uint8 labels
    scores: np.ndarray  # (N, H, W, C) probabilities

    @property
    def num_classes(self) -> int:
        return max(2, self.scores.shape[-1])

    def labels(self, threshold: float = 0.5) -> np.ndarray:
        """Hard labels (N, H, W) as uint8: threshold or argmax."""
        return labels_from_scores(self.scores, threshold).astype(np.uint8)


EMPTY_DATASET = ("The dataset is empty: nothing to evaluate. Check the split and the data "
                 "source (uh.load_pets prints what it loaded).")


def probabilities(logits: np.ndarray) -> np.ndarray:
    """Sigmoid for one channel, softmax over the channels otherwise."""
    if logits.shape[-1] == 1:
        with np.errstate(over="ignore"):  # exp(-x) overflows to inf for x << 0: 1/inf = 0
            return 1 / (1 + np.exp(-logits))
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def predict_dataset(model, dataset) -> Predictions:
    """Run ``model`` over a batched ``(image, mask)`` dataset and keep everything as numpy.

    Everything means about 1 MB an image at 256 px in float32: small data only.
    :func:`evaluate_dataset` computes the same scores batch by batch.

    Scores are probabilities even for a head without activation (logits): a
    sigmoid or softmax is applied here, so thresholds mean the same for every model.
    """
    logits = head_gives_logits(model)
    images, truths, scores = [], [], []
    for batch_images, batch_masks in dataset:
        images.append(batch_images.numpy())
        truths.append(batch_masks.numpy()[..., 0])
        batch = np.asarray(model.predict_on_batch(batch_images), dtype=np.float32)
        scores.append(probabilities(batch) if logits else batch)
    if not images:
        raise ValueError(EMPTY_DATASET)
    return Predictions(np.concatenate(images), np.concatenate(truths), np.concatenate(scores))


def scores_from_matrix(matrix: np.ndarray, class_names=None) -> dict:
    """Per-class IoU and Dice, their means, and pixel accuracy from one confusion matrix.

    A class that is neither in the truth nor in the prediction has no IoU
    (NaN) and is left out of the means.
    """
    iou, dice = iou_per_class(matrix), dice_per_class(matrix)
    names = class_names or [str(c) for c in range(len(matrix))]
    return {
        "iou": dict(zip(names, iou.tolist())),
        "dice": dict(zip(names, dice.tolist())),
        "mean_iou": float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan"),
        "mean_dice": float(np.nanmean(dice)) if np.isfinite(dice).any() else float("nan"),
        "pixel_accuracy": float(np.trace(matrix) / max(1, matrix.sum())),
    }


def evaluate_masks(truths, labels, num_classes: int, class_names=None) -> dict:
    """:func:`scores_from_matrix` for label arrays, plus the confusion matrix itself."""
    matrix = confusion_matrix(truths, labels, num_classes)
    return {"confusion": matrix, **scores_from_matrix(matrix, class_names)}


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row (true class) divided by its total: the share of its pixels given each label."""
    totals = matrix.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, matrix / np.maximum(totals, 1), 0.0)


def per_image_iou(truths, labels, class_id: int = 1) -> np.ndarray:
    """IoU of ``class_id`` for each image; 1.0 where the class is in neither truth nor guess."""
    return _iou_of(per_image_overlap(truths, labels, class_id))


def _iou_of(overlaps) -> np.ndarray:
    intersection, union = overlaps[..., 0], overlaps[..., 1]
    return np.where(union > 0, intersection / np.maximum(union, 1), 1.0)


def per_image_overlap(truths, labels, class_id: int = 1) -> np.ndarray:
    """(intersection, union) pixel counts of ``class_id`` for each image: shape (N, 2)."""
    truths = np.asarray(truths) == class_id
    labels = np.asarray(labels) == class_id
    axes = tuple(range(1, truths.ndim))
    return np.stack([(truths & labels).sum(axis=axes), (truths | labels).sum(axis=axes)],
                    axis=-1).astype(np.int64)


def bootstrap_iou(overlaps, *, rounds: int = 2000, level: float = 0.95,
                  seed: int = 0) -> tuple[float, float]:
    """A bootstrap interval for the IoU of a whole split, from per-image pixel counts.

    The split's IoU pools pixels: all intersections over all unions. To see how
    much it depends on which photos happened to be in the split, draw as many
    photos as it has, with replacement, ``rounds`` times, pool each draw, and
    keep the middle ``level`` of the results (the percentile bootstrap).
    """
    overlaps = np.asarray(overlaps, dtype=np.float64)
    if overlaps.ndim != 2 or overlaps.shape[1] != 2 or not len(overlaps):
        raise ValueError("overlaps must be (N, 2) pixel counts (intersection, union), N > 0.")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}.")
    rng = np.random.default_rng(seed)
    count = len(overlaps)
    scores = []
    for start in range(0, rounds, 256):  # a few hundred draws at a time: memory stays small
        draws = rng.multinomial(count, np.full(count, 1 / count), size=min(256, rounds - start))
        scores.append(_iou_of(draws @ overlaps))  # pooled (intersection, union) per draw
    scores = np.concatenate(scores)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(scores, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_difference(overlaps_a, overlaps_b, *, rounds: int = 2000, level: float = 0.95,
                         seed: int = 0) -> tuple[float, float]:
    """A paired bootstrap interval for IoU(a) - IoU(b), two ways of scoring the same photos.

    Row i of both arrays must be the same photo. Each draw takes the same
    photos for both, so what the photos share (an easy photo is easy for
    both) cancels, and the interval is narrower than the two separate
    intervals suggest. An interval that contains 0 means: no measured difference.
    """
    a = np.asarray(overlaps_a, dtype=np.float64)
    b = np.asarray(overlaps_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] != 2 or not len(a):
        raise ValueError("overlaps_a and overlaps_b must both be (N, 2) pixel counts of the "
                         "same N > 0 photos, in the same order.")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}.")
    rng = np.random.default_rng(seed)
    count = len(a)
    differences = []
    for start in range(0, rounds, 256):
        draws = rng.multinomial(count, np.full(count, 1 / count), size=min(256, rounds - start))
        differences.append(_iou_of(draws @ a) - _iou_of(draws @ b))
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(np.concatenate(differences), [tail, 100 - tail])
    return float(low), float(high)


DEFAULT_THRESHOLDS = np.linspace(0.05, 0.95, 19)  # 0.05, 0.10, ..., 0.95


def threshold_sweep(truths, scores, thresholds=None, class_id: int = 1):
    """IoU of the pet class at each threshold (one-channel, sigmoid models only).

    Returns ``(thresholds, ious)``. The metric during training uses 0.5; the
    sweep shows whether another cut-off would do better on this data.
    """
    scores = np.asarray(scores)
    if scores.shape[-1] != 1:
        raise ValueError("A threshold sweep needs a one-channel (sigmoid) model; a softmax "
                         "model picks the most likely class, there is no threshold to choose.")
    thresholds = DEFAULT_THRESHOLDS.copy() if thresholds is None else np.asarray(thresholds)
    truth = np.asarray(truths) == class_id
    ious = []
    for threshold in thresholds:
        predicted = scores[..., 0] > threshold
        union = np.logical_or(truth, predicted).sum()
        ious.append(np.logical_and(truth, predicted).sum() / union if union else 1.0)
    return thresholds, np.asarray(ious)


ERROR_COLOURS = {"background": (0.0, 0.0, 0.0), "pet found": (0.85, 0.85, 0.85),
                 "false pet (false positive)": (1.0, 0.15, 0.15),
                 "missed pet (false negative)": (0.2, 0.45, 1.0)}


def error_map(truth, labels, class_id: int = 1) -> np.ndarray:
    """An RGB picture of the mistakes: false positives red, false negatives blue."""
    truth = np.asarray(truth) == class_id
    labels = np.asarray(labels) == class_id
    colours = np.array(list(ERROR_COLOURS.values()))
    kind = np.where(truth, np.where(labels, 1, 3), np.where(labels, 2, 0))
    return colours[kind]


# Streaming evaluation: a whole split, batch by batch, in bounded memory


def image_order(image_iou, highest: bool, index=None) -> np.ndarray:
    """Positions sorted by IoU (highest or lowest first); ties go to the earlier image."""
    image_iou = np.asarray(image_iou)
    index = np.arange(len(image_iou)) if index is None else np.asarray(index)
    return np.lexsort((index, -image_iou if highest else image_iou))


def best_and_worst(image_iou, keep: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the ``keep`` best images (highest IoU first) and the ``keep`` worst."""
    return image_order(image_iou, True)[:keep], image_order(image_iou, False)[:keep]


@dataclasses.dataclass
class Examples:
    """A few images kept for the figures, with what the model made of them."""

    images: np.ndarray  # (k, H, W, 3) uint8 photos
    truths: np.ndarray  # (k, H, W) uint8 true labels
    labels: np.ndarray  # (k, H, W) uint8 predicted labels
    iou: np.ndarray  # (k,) float32 IoU of the pet class, as in Evaluation.image_iou
    index: np.ndarray  # (k,) int64 position of each image in the split

    def __len__(self) -> int:
        return len(self.index)

    def _arrays(self) -> list:
        return [getattr(self, field.name) for field in dataclasses.fields(self)]

    def take(self, positions) -> Examples:
        return Examples(*(array[positions] for array in self._arrays()))

    def concat(self, other: Examples) -> Examples:
        return Examples(*(np.concatenate([a, b]) for a, b in zip(self._arrays(),
                                                                  other._arrays())))

    @property
    def nbytes(self) -> int:
        return sum(array.nbytes for array in self._arrays())


def _no_examples(height: int, width: int) -> Examples:
    labels = np.zeros((0, height, width), np.uint8)
    return Examples(np.zeros((0, height, width, 3), np.uint8), labels, labels.copy(),
                    np.zeros(0, np.float32), np.zeros(0, np.int64))


@dataclasses.dataclass
class Evaluation:
    """What :func:`evaluate_dataset` found; nothing in it is N images large."""

    report: dict  # as evaluate_masks: confusion, iou, dice, mean_iou, mean_dice, pixel_accuracy
    image_iou: np.ndarray  # (N,) float32 pet IoU of each image: the only part that grows with N
    image_overlap: np.ndarray  # (N, 2) int64 pet intersection and union of each image
    thresholds: np.ndarray | None  # the sweep's thresholds (None for a softmax model)
    sweep_iou: np.ndarray | None  # pet IoU of the whole split at each threshold
    best: Examples  # the ``keep`` images with the highest IoU, best first
    worst: Examples  # the ``keep`` images with the lowest IoU, worst first
    sample: Examples  # a uniform random sample of images, in split order
    count: int  # images evaluated
    num_classes: int
    class_id: int  # the pet class that image_iou, the sweep and the examples score

    @property
    def confusion(self) -> np.ndarray:
        return self.report["confusion"]

    def interval(self, level: float = 0.95, rounds: int = 2000) -> tuple[float, float]:
        """A bootstrap interval for the split's pet IoU (see :func:`bootstrap_iou`)."""
        return bootstrap_iou(self.image_overlap, rounds=rounds, level=level)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays held (the report's matrix, the IoUs, the sweep, the examples)."""
        arrays = [self.confusion, self.image_iou, self.image_overlap, self.thresholds,
                  self.sweep_iou]
        return (sum(a.nbytes for a in arrays if a is not None) + self.best.nbytes
                + self.worst.nbytes + self.sample.nbytes)


class Accumulator:
    """Adds up one batch at a time what :class:`Evaluation` reports.

    Per batch it counts the confusion matrix (threshold or argmax), the
    pet's intersection and union at every threshold of the sweep (one-channel
    models), and one IoU per image; it keeps only the ``keep`` best and worst
    images and a reservoir ``sample`` of uniformly chosen ones.
    """

    def __init__(self, *, class_names=None, threshold: float = 0.5, thresholds=None,
                 class_id: int = 1, keep: int = 4, sample: int = 0, seed: int = 0):
        self.class_names, self.threshold, self.class_id = class_names, threshold, class_id
        self.thresholds = None if thresholds is None else np.asarray(thresholds, dtype=float)
        self.keep, self.sample_size = keep, sample
        self.rng = np.random.default_rng(seed)
        self.count, self.matrix, self.num_classes = 0, None, None
        self.ious = []  # float32 per batch
        self.overlaps = []  # (B, 2) int64 per batch: pet intersection and union
        self.intersections = None  # the sweep's pixel counts, one per threshold
        self.best = self.worst = self.sample = None

    def _start(self, channels: int, height: int, width: int) -> None:
        self.num_classes = max(2, channels)
        if self.num_classes > 256:
            raise ValueError("uint8 labels hold at most 256 classes.")
        if not 0 <= self.class_id < self.num_classes:
            raise ValueError(f"class_id {self.class_id} is not a class of {self.num_classes}.")
        self.matrix = np.zeros((self.num_classes, self.num_classes), np.int64)
        if channels == 1:
            if self.thresholds is None:
                self.thresholds = DEFAULT_THRESHOLDS.copy()
            self.intersections = np.zeros(len(self.thresholds), np.int64)
            self.predicted = np.zeros(len(self.thresholds), np.int64)
            self.truth_pixels = 0
        elif self.thresholds is not None:
            raise ValueError("A threshold sweep needs a one-channel (sigmoid) model; a softmax "
                             "model picks the most likely class, there is no threshold to choose.")
        self.best = self.worst = self.sample = _no_examples(height, width)

    def update(self, images, truths, scores) -> None:
        """One batch: photos (B, H, W, 3) in [0, 1], true labels (B, H, W), scores (B, H, W, C).

        Scores are probabilities (turn logits into them with :func:`probabilities`).
        """
        scores = np.asarray(scores, dtype=np.float32)
        truths = np.asarray(truths).astype(np.uint8)
        if self.matrix is None:
            self._start(scores.shape[-1], *truths.shape[1:3])
        labels = labels_from_scores(scores, self.threshold).astype(np.uint8)
        if scores.shape[-1] == 1:
            self._sweep(truths, scores[..., 0])
        self.matrix += confusion_matrix(truths, labels, self.num_classes)
        overlaps = per_image_overlap(truths, labels, self.class_id)
        ious = _iou_of(overlaps).astype(np.float32)
        self.overlaps.append(overlaps)
        index = np.arange(self.count, self.count + len(ious), dtype=np.int64)
        self.ious.append(ious)
        batch = _BatchExamples(images, truths, labels, ious, index)
        self.best = self._merge(self.best, batch, highest=True)
        self.worst = self._merge(self.worst, batch, highest=False)
        self._reservoir(batch)
        self.count += len(ious)

    def _sweep(self, truths, scores) -> None:
        """Pixel counts at every threshold at once: where each score falls among the thresholds."""
        order = np.argsort(self.thresholds, kind="stable")
        # below[p] = how many thresholds are < score p, so p is pet exactly at those thresholds
        scores = scores.ravel()
        below = np.searchsorted(self.thresholds[order], scores, side="left")
        below[np.isnan(scores)] = 0  # NaN > threshold is False: never pet
        truth = truths.ravel() == self.class_id
        size = len(self.thresholds) + 1
        pet_above = np.cumsum(np.bincount(below[truth], minlength=size)[::-1])[::-1]
        all_above = np.cumsum(np.bincount(below, minlength=size)[::-1])[::-1]
        self.intersections[order] += pet_above[1:]
        self.predicted[order] += all_above[1:]
        self.truth_pixels += int(truth.sum())

    def _merge(self, kept: Examples, batch, highest: bool) -> Examples:
        """The ``keep`` best (or worst) of those kept so far and this batch."""
        if not self.keep:
            return kept
        chosen = image_order(np.concatenate([kept.iou, batch.iou]), highest,
                             np.concatenate([kept.index, batch.index]))[:self.keep]
        new = chosen >= len(kept)
        added = batch.examples(chosen[new] - len(kept))
        positions = np.where(new, len(kept) + np.cumsum(new) - 1, chosen)
        return kept.concat(added).take(positions)

    def _reservoir(self, batch) -> None:
        """Algorithm R: after n images, each of them is in the sample with the same chance."""
        if not self.sample_size:
            return
        for position, index in enumerate(batch.index):
            if index < self.sample_size:
                self.sample = self.sample.concat(batch.examples([position]))
                continue
            slot = self.rng.integers(0, index + 1)
            if slot < self.sample_size:
                for kept, new in zip(self.sample._arrays(),
                                     batch.examples([position])._arrays()):
                    kept[slot] = new[0]

    def result(self) -> Evaluation:
        if not self.count:
            raise ValueError(EMPTY_DATASET)
        sweep = None
        if self.intersections is not None:
            unions = self.truth_pixels + self.predicted - self.intersections
            sweep = np.array([i / u if u else 1.0 for i, u in zip(self.intersections, unions)])
        sample = self.sample.take(np.argsort(self.sample.index, kind="stable"))
        return Evaluation(
            report={"confusion": self.matrix, **scores_from_matrix(self.matrix, self.class_names)},
            image_iou=np.concatenate(self.ious), image_overlap=np.concatenate(self.overlaps),
            thresholds=None if sweep is None else
            self.thresholds, sweep_iou=sweep, best=self.best, worst=self.worst, sample=sample,
            count=self.count, num_classes=self.num_classes, class_id=self.class_id)


@dataclasses.dataclass
class _BatchExamples:
    images: np.ndarray  # float in [0, 1]
    truths: np.ndarray
    labels: np.ndarray
    iou: np.ndarray
    index: np.ndarray

    def examples(self, positions) -> Examples:
        """Only the chosen images are copied, the photos back to uint8 (what they were on disk)."""
        positions = np.asarray(positions, dtype=np.int64)
        photos = np.asarray(self.images)[positions]
        if photos.dtype != np.uint8:
            photos = np.clip(np.round(photos * 255.0), 0, 255).astype(np.uint8)
        return Examples(photos, self.truths[positions], self.labels[positions],
                        self.iou[positions], self.index[positions])


def evaluate_dataset(model, dataset, *, class_names=None, threshold: float = 0.5,
                     thresholds=None, class_id: int = 1, keep: int = 4, sample: int = 0,
                     seed: int = 0) -> Evaluation:
    """Evaluate ``model`` on a batched ``(image, mask)`` dataset in one pass, batch by batch.

    Gives the same numbers as :func:`evaluate_masks`, :func:`per_image_iou`
    and :func:`threshold_sweep` on the whole split, without keeping it: only
    the ``keep`` best and worst images and a random ``sample`` of images are
    kept for figures. ``class_id`` is the pet class (0 for trimap masks).
    Logits are turned into probabilities first, so thresholds mean the same
    for every model. ``thresholds`` default to 0.05, 0.10, ... 0.95 for a
    one-channel model; a softmax model has no sweep.
    """
    logits = head_gives_logits(model)
    accumulator = Accumulator(class_names=class_names, threshold=threshold,
                              thresholds=thresholds, class_id=class_id, keep=keep,
                              sample=sample, seed=seed)
    for batch_images, batch_masks in dataset:
        scores = np.asarray(model.predict_on_batch(batch_images), dtype=np.float32)
        accumulator.update(batch_images.numpy(), batch_masks.numpy()[..., 0],
                           probabilities(scores) if logits else scores)
    return accumulator.result()


@dataclasses.dataclass
class PhotoEvaluation:
    """What :func:`evaluate_photos` found: scores at each photo's own resolution."""

    report: dict  # as evaluate_masks: confusion, iou, dice, mean_iou, mean_dice, pixel_accuracy
    image_overlap: np.ndarray  # (N, 2) int64 pet intersection and union of each photo
    count: int  # photos scored
    class_id: int

    def interval(self, level: float = 0.95, rounds: int = 2000) -> tuple[float, float]:
        """A bootstrap interval for the pet IoU over these photos (see :func:`bootstrap_iou`)."""
        return bootstrap_iou(self.image_overlap, rounds=rounds, level=level)


def evaluate_photos(predict, pairs, *, mask_mode: str = "binary", class_names=None,
                    class_id: int | None = None) -> PhotoEvaluation:
    """Score masks against the trimaps at each photo's **own** size, one photo at a time.

    ``pairs`` yields ``(photo, trimap)`` as stored, e.g. ``uh.raw_pairs("test")``;
    ``predict(photo)`` returns the labels of every pixel, shape (H, W), e.g.
    ``lambda photo: uh.predict_mask(model, photo)``. :func:`evaluate_dataset`
    scores the squares the model works at (masks resized with nearest-neighbour);
    this scores what a user of the model gets, at each photo's resolution. A
    large photo then counts for more pixels than a small one. Classes are named
    as in ``uh.CLASS_NAMES[mask_mode]`` unless ``class_names`` is given;
    ``class_id`` (the pet) defaults to 1 for binary masks and 0 for the trimap.
    """
    matrix, overlaps, classes = None, [], classes_in(mask_mode)
    if class_id is None:
        class_id = 0 if mask_mode == "trimap" else 1
    for photo, trimap in pairs:
        trimap = np.asarray(trimap)
        truth = trimap_to_mask(trimap[..., 0] if trimap.ndim == 3 else trimap, mask_mode)
        labels = np.asarray(predict(np.asarray(photo)))
        if labels.shape != truth.shape:
            raise ValueError(f"predict returned labels of shape {labels.shape} for a photo of "
                             f"{truth.shape[0]} x {truth.shape[1]} pixels: it must return one "
                             "label per pixel of the photo, e.g. uh.predict_mask(model, photo).")
        counts = confusion_matrix(truth, labels, classes)
        matrix = counts if matrix is None else matrix + counts
        overlaps.append(per_image_overlap(truth[None], labels[None], class_id)[0])
    if matrix is None:
        raise ValueError(EMPTY_DATASET)
    names = class_names or CLASS_NAMES[mask_mode]
    return PhotoEvaluation(report={"confusion": matrix, **scores_from_matrix(matrix, names)},
                           image_overlap=np.stack(overlaps), count=len(overlaps),
                           class_id=class_id)
