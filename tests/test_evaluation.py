"""Evaluation in numpy: scores by hand on tiny masks, empty classes, sweep, error map."""

import dataclasses
import math

import numpy as np
import pytest

import unet_helpers as uh
from unet_helpers import evaluation

TRUTH = np.array([[0, 0, 1, 1],
                  [0, 0, 1, 1],
                  [0, 0, 0, 1],
                  [0, 0, 0, 0]])
LABELS = np.array([[0, 1, 1, 1],
                   [0, 0, 1, 0],
                   [0, 0, 0, 1],
                   [0, 0, 0, 0]])
# pet: 4 correct, 1 false positive, 1 missed; background: 10 correct


def test_scores_by_hand():
    report = evaluation.evaluate_masks(TRUTH, LABELS, 2, ["background", "pet"])
    assert report["confusion"].tolist() == [[10, 1], [1, 4]]
    assert report["iou"]["pet"] == pytest.approx(4 / 6)
    assert report["iou"]["background"] == pytest.approx(10 / 12)
    assert report["dice"]["pet"] == pytest.approx(8 / 10)
    assert report["mean_iou"] == pytest.approx((4 / 6 + 10 / 12) / 2)
    assert report["pixel_accuracy"] == pytest.approx(14 / 16)


def test_empty_classes():
    empty = np.zeros((4, 4), int)
    none = evaluation.evaluate_masks(empty, empty, 2, ["background", "pet"])
    assert math.isnan(none["iou"]["pet"]) and none["mean_iou"] == 1.0, \
        "a class in neither truth nor prediction is left out of the mean"
    invented = evaluation.evaluate_masks(empty, TRUTH, 2)
    assert invented["iou"]["1"] == 0.0 and invented["dice"]["1"] == 0.0
    missed = evaluation.evaluate_masks(TRUTH, empty, 2)
    assert missed["iou"]["1"] == 0.0
    per_image = evaluation.per_image_iou(np.stack([empty, empty, TRUTH, TRUTH]),
                                         np.stack([empty, TRUTH, empty, LABELS]))
    np.testing.assert_allclose(per_image, [1.0, 0.0, 0.0, 4 / 6])


def test_three_classes_and_normalized_rows():
    truth = np.array([0, 0, 1, 2, 2, 2])
    labels = np.array([0, 1, 1, 2, 2, 0])
    report = evaluation.evaluate_masks(truth, labels, 3)
    assert report["iou"] == pytest.approx({"0": 1 / 3, "1": 1 / 2, "2": 2 / 3})
    rows = evaluation.normalize_rows(report["confusion"])
    np.testing.assert_allclose(rows.sum(axis=1), 1.0)
    np.testing.assert_allclose(rows[2], [1 / 3, 0, 2 / 3])
    assert evaluation.normalize_rows(np.zeros((2, 2))).sum() == 0, "an empty row stays zero"


def test_threshold_sweep_by_hand():
    truth = np.array([[1, 1, 0, 0]])
    scores = np.array([[0.9, 0.4, 0.6, 0.1]])[..., None]
    thresholds, ious = evaluation.threshold_sweep(truth, scores, [0.3, 0.5, 0.7, 0.95])
    np.testing.assert_allclose(ious, [2 / 3, 1 / 3, 1 / 2, 0.0])
    with pytest.raises(ValueError, match="one-channel"):
        evaluation.threshold_sweep(truth, np.zeros((1, 4, 3)))


def test_error_map_colours():
    picture = evaluation.error_map(TRUTH, LABELS)
    colours = evaluation.ERROR_COLOURS
    assert picture.shape == (4, 4, 3)
    assert tuple(picture[0, 1]) == colours["false pet (false positive)"]
    assert tuple(picture[1, 3]) == colours["missed pet (false negative)"]
    assert tuple(picture[0, 2]) == colours["pet found"]
    assert tuple(picture[3, 3]) == colours["background"]


def test_predict_dataset_agrees_with_keras_metrics():
    model = uh.build_unet((32, 32, 3), base_filters=4, depth=2)
    uh.compile_model(model)
    data = uh.load_pets("test", source="generated", image_size=32, batch_size=8, limit=12,
                        verbose=False)
    predictions = evaluation.predict_dataset(model, data)
    assert predictions.images.shape == (12, 32, 32, 3)
    assert predictions.truths.shape == (12, 32, 32) and predictions.scores.shape[-1] == 1
    report = evaluation.evaluate_masks(predictions.truths, predictions.labels(), 2,
                                       ["background", "pet"])
    keras_scores = model.evaluate(data, return_dict=True, verbose=0)
    assert keras_scores["pet_iou"] == pytest.approx(report["iou"]["pet"], abs=1e-5)
    assert keras_scores["pixel_accuracy"] == pytest.approx(report["pixel_accuracy"], abs=1e-5)
    with pytest.raises(ValueError, match="empty"):
        evaluation.predict_dataset(model, data.take(0))


def test_evaluation_figures():
    rng = np.random.default_rng(0)
    images = rng.random((3, 8, 8, 3))
    figure = uh.viz.error_rows(images, [TRUTH.repeat(2, 0).repeat(2, 1)] * 3,
                               [LABELS.repeat(2, 0).repeat(2, 1)] * 3, scores=[0.1, 0.5, 0.9])
    assert len(figure.axes) == 12 and figure.axes[2].get_title() == "IoU 0.90"
    figure = uh.viz.confusion_figure(np.array([[10, 1], [1, 4]]), ["background", "pet"])
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert texts == ["90.9%", "9.1%", "20.0%", "80.0%"]
    figure = uh.viz.threshold_curve([0.3, 0.5, 0.7], [0.6, 0.8, 0.7])
    assert "best: 0.50" in figure.axes[0].get_legend().get_texts()[1].get_text()
    assert len(uh.viz.histogram([0.1, 0.2, 0.9], bins=5).axes[0].patches) == 5


def test_predict_dataset_turns_logits_into_probabilities():
    keras_model = uh.build_unet((32, 32, 3), base_filters=4, depth=2, output_activation="linear")
    data = uh.load_pets("test", source="generated", image_size=32, batch_size=4, limit=4,
                        verbose=False)
    predictions = evaluation.predict_dataset(keras_model, data)
    logits = keras_model.predict(data, verbose=0)
    np.testing.assert_allclose(predictions.scores, 1 / (1 + np.exp(-logits)), atol=1e-5)
    np.testing.assert_array_equal(predictions.labels(), (logits[..., 0] > 0).astype(int))


# streaming evaluation: the same numbers as the whole-array functions, in bounded memory

def reference(predictions, keep):
    """What the whole-array functions give for everything ``evaluate_dataset`` reports."""
    labels = predictions.labels()
    iou = evaluation.per_image_iou(predictions.truths, labels).astype(np.float32)
    best, worst = evaluation.best_and_worst(iou, keep)
    return labels, iou, best, worst


def assert_examples_match(examples, positions, predictions, labels, iou):
    np.testing.assert_array_equal(examples.index, positions)
    np.testing.assert_array_equal(examples.iou, iou[positions])
    np.testing.assert_array_equal(examples.truths, predictions.truths[positions])
    np.testing.assert_array_equal(examples.labels, labels[positions])
    photos = np.round(predictions.images[positions] * 255).astype(np.uint8)
    np.testing.assert_array_equal(examples.images, photos)
    for array in (examples.images, examples.truths, examples.labels):
        assert array.dtype == np.uint8


def arrays_in(value):
    """Every numpy array a result holds, however deep (dicts, dataclasses)."""
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from arrays_in(item)
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from arrays_in(getattr(value, field.name))


def assert_bounded(result, keep, sample, image_pixels):
    """Nothing that grows with N except the per-image IoU (N float32)."""
    assert result.image_iou.dtype == np.float32 and result.image_iou.shape == (result.count,)
    kept = len(result.best) + len(result.worst) + len(result.sample)
    assert len(result.best) <= keep and len(result.worst) <= keep and kept <= 2 * keep + sample
    examples_bytes = kept * image_pixels * (3 + 1 + 1) + kept * (4 + 8)  # uint8 x 5, iou, index
    sweep_bytes = 2 * 8 * len(result.thresholds)
    total = sum(array.nbytes for array in arrays_in(result))
    assert total == result.nbytes, "nbytes counts every array held"
    # per image: a float32 IoU and two int64 pixel counts (intersection, union)
    assert total == examples_bytes + result.confusion.nbytes + sweep_bytes + 20 * result.count


def test_evaluate_dataset_matches_the_whole_array_functions():
    model = uh.build_unet((32, 32, 3), base_filters=4, depth=2)
    data = uh.load_pets("test", source="generated", image_size=32, batch_size=4, limit=11,
                        verbose=False)  # 4 + 4 + 3: the batch size does not divide N
    names = ["background", "pet"]
    result = evaluation.evaluate_dataset(model, data, class_names=names, keep=3, sample=2)
    predictions = evaluation.predict_dataset(model, data)
    labels, iou, best, worst = reference(predictions, keep=3)
    expected = evaluation.evaluate_masks(predictions.truths, labels, 2, names)
    np.testing.assert_array_equal(result.confusion, expected.pop("confusion"))
    assert {k: v for k, v in result.report.items() if k != "confusion"} == expected
    np.testing.assert_array_equal(result.image_iou, iou)
    thresholds, ious = evaluation.threshold_sweep(predictions.truths, predictions.scores)
    np.testing.assert_array_equal(result.thresholds, thresholds)
    np.testing.assert_array_equal(result.sweep_iou, ious)
    assert_examples_match(result.best, best, predictions, labels, iou)
    assert_examples_match(result.worst, worst, predictions, labels, iou)
    sample = result.sample.index
    assert len(sample) == 2 and np.all(np.diff(sample) > 0)
    assert_examples_match(result.sample, sample, predictions, labels, iou)
    assert result.count == 11 and result.num_classes == 2
    assert_bounded(result, keep=3, sample=2, image_pixels=32 * 32)
    with pytest.raises(ValueError, match="empty"):
        evaluation.evaluate_dataset(model, data.take(0))


def test_evaluate_dataset_with_a_logit_head():
    model = uh.build_unet((32, 32, 3), base_filters=4, depth=2, output_activation="linear")
    data = uh.load_pets("test", source="generated", image_size=32, batch_size=3, limit=7,
                        verbose=False)
    result = evaluation.evaluate_dataset(model, data, keep=2, thresholds=[0.6, 0.4, 0.5])
    predictions = evaluation.predict_dataset(model, data)  # probabilities, as tested above
    labels, iou, best, worst = reference(predictions, keep=2)
    expected = evaluation.evaluate_masks(predictions.truths, labels, 2)
    np.testing.assert_array_equal(result.confusion, expected["confusion"])
    np.testing.assert_array_equal(result.image_iou, iou)
    _, ious = evaluation.threshold_sweep(predictions.truths, predictions.scores, [0.6, 0.4, 0.5])
    np.testing.assert_array_equal(result.sweep_iou, ious)
    assert_examples_match(result.best, best, predictions, labels, iou)
    assert_examples_match(result.worst, worst, predictions, labels, iou)
    assert len(result.sample) == 0
    assert_bounded(result, keep=2, sample=0, image_pixels=32 * 32)


def test_ties_go_to_the_earlier_image_in_batches_too():
    iou = np.array([0.5, 1.0, 0.2, 1.0, 0.2, 0.5], np.float32)
    best, worst = evaluation.best_and_worst(iou, 3)
    assert best.tolist() == [1, 3, 0] and worst.tolist() == [2, 4, 0]
    # the same images split over batches: 0 and 5, 1 and 3 are identical, so tie
    rng = np.random.default_rng(0)
    truths = (rng.random((4, 6, 6)) > 0.5).astype(np.uint8)[[0, 1, 2, 1, 3, 0]]
    scores = rng.random((4, 6, 6, 1)).astype(np.float32)[[0, 1, 2, 1, 3, 0]]
    images = np.zeros((6, 6, 6, 3), np.float32)
    accumulator = evaluation.Accumulator(keep=3, sample=6)
    for start, stop in ((0, 3), (3, 5), (5, 6)):
        accumulator.update(images[start:stop], truths[start:stop], scores[start:stop])
    result = accumulator.result()
    iou = evaluation.per_image_iou(truths, scores[..., 0] > 0.5).astype(np.float32)
    best, worst = evaluation.best_and_worst(iou, 3)
    assert result.best.index.tolist() == best.tolist()
    assert result.worst.index.tolist() == worst.tolist()
    assert result.sample.index.tolist() == list(range(6)), "a sample as large as N keeps all"


def test_streaming_three_classes_and_empty_pet():
    rng = np.random.default_rng(1)
    truths = rng.integers(0, 3, (5, 8, 8)).astype(np.uint8)
    truths[2] = 1  # trimap: no pet (class 0) in this image ...
    scores = rng.random((5, 8, 8, 3)).astype(np.float32)
    scores[2, ..., 0] = 0  # ... and none predicted: IoU 1 by convention
    accumulator = evaluation.Accumulator(class_id=0, keep=1)
    for start in (0, 2, 4):
        accumulator.update(np.zeros((2, 8, 8, 3)), truths[start:start + 2],
                           scores[start:start + 2])
    result = accumulator.result()
    labels = scores.argmax(axis=-1)
    np.testing.assert_array_equal(result.confusion,
                                  evaluation.evaluate_masks(truths, labels, 3)["confusion"])
    np.testing.assert_array_equal(result.image_iou,
                                  evaluation.per_image_iou(truths, labels, 0).astype(np.float32))
    assert result.image_iou[2] == 1.0 and result.best.index.tolist() == [2]
    assert result.sweep_iou is None and result.thresholds is None
    assert result.best.labels.dtype == np.uint8
    with pytest.raises(ValueError, match="one-channel"):
        evaluation.Accumulator(thresholds=[0.5]).update(np.zeros((1, 8, 8, 3)), truths[:1],
                                                        scores[:1])


# --- bootstrap interval of a split's IoU ------------------------------------------------

def test_bootstrap_interval_brackets_the_pooled_iou_and_narrows_with_more_images():
    from unet_helpers.evaluation import bootstrap_iou

    rng = np.random.default_rng(1)
    union = rng.integers(50, 150, size=400)
    overlaps = np.stack([(union * rng.uniform(0.5, 0.9, size=400)).astype(int), union], -1)
    pooled = overlaps[:, 0].sum() / overlaps[:, 1].sum()
    low, high = bootstrap_iou(overlaps)
    assert low < pooled < high and high - low < 0.05
    few_low, few_high = bootstrap_iou(overlaps[:25])
    assert few_high - few_low > 2 * (high - low)  # 16 times fewer photos: about 4 times wider
    assert bootstrap_iou(overlaps, seed=0) == (low, high)  # reproducible
    same = np.tile([[30, 60]], (10, 1))  # identical images: nothing varies
    assert bootstrap_iou(same) == pytest.approx((0.5, 0.5))


def test_bootstrap_rejects_what_it_cannot_use():
    from unet_helpers.evaluation import bootstrap_iou

    with pytest.raises(ValueError, match=r"\(N, 2\) pixel counts"):
        bootstrap_iou(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="level"):
        bootstrap_iou(np.ones((3, 2)), level=95)


def test_evaluate_dataset_keeps_each_images_overlap_for_the_interval():
    from unet_helpers.evaluation import Accumulator, per_image_overlap

    truths = np.zeros((3, 4, 4), np.uint8)
    truths[0, :2] = 1  # 8 pet pixels
    truths[1, :, :1] = 1  # 4
    scores = np.zeros((3, 4, 4, 1), np.float32)
    scores[0, :1] = 0.9  # 4 of the 8 found
    scores[2, 0, 0] = 0.9  # 1 invented, no pet in truth
    assert per_image_overlap(truths, scores[..., 0] > 0.5).tolist() == [[4, 8], [0, 4], [0, 1]]
    accumulator = Accumulator(class_names=("background", "pet"))
    accumulator.update(np.zeros((3, 4, 4, 3), np.float32), truths, scores)
    result = accumulator.result()
    assert result.image_overlap.tolist() == [[4, 8], [0, 4], [0, 1]]
    assert result.report["iou"]["pet"] == pytest.approx(4 / 13)
    low, high = result.interval()
    assert 0.0 <= low <= 4 / 13 <= high <= 1.0


def _photo_pairs():
    """Three photos of different sizes with trimaps (1 pet, 2 background, 3 border)."""
    rng = np.random.default_rng(5)
    pairs = []
    for height, width in ((30, 40), (50, 20), (16, 16)):
        photo = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        trimap = rng.choice(np.array([1, 2, 3], np.uint8), size=(height, width, 1))
        pairs.append((photo, trimap))
    return pairs


def test_evaluate_photos_scores_each_photo_at_its_own_size():
    pairs = _photo_pairs()
    guess = lambda photo: (photo[..., 0] > 127).astype(np.uint8)  # noqa: E731
    result = evaluation.evaluate_photos(guess, pairs, class_names=("background", "pet"))
    truths = [uh.data.trimap_to_mask(t[..., 0], "binary") for _, t in pairs]
    labels = [guess(p) for p, _ in pairs]
    pooled = np.concatenate([t.ravel() for t in truths]), np.concatenate([g.ravel() for g in labels])
    expected = evaluation.evaluate_masks(pooled[0], pooled[1], 2, ("background", "pet"))
    np.testing.assert_array_equal(result.report["confusion"], expected["confusion"])
    assert result.report["iou"]["pet"] == pytest.approx(expected["iou"]["pet"])
    assert result.count == 3 and result.image_overlap.shape == (3, 2)
    inter = [((t == 1) & (g == 1)).sum() for t, g in zip(truths, labels)]
    np.testing.assert_array_equal(result.image_overlap[:, 0], inter)
    low, high = result.interval()
    assert 0 <= low <= result.report["iou"]["pet"] <= high <= 1
    perfect = evaluation.evaluate_photos(
        lambda photo: truths[[p.shape for p, _ in pairs].index(photo.shape)], pairs)
    assert perfect.report["iou"]["pet"] == 1.0, "classes are named after the mask mode"
    trimap = evaluation.evaluate_photos(lambda photo: np.zeros(photo.shape[:2], np.uint8), pairs,
                                        mask_mode="trimap", class_id=0)
    all_pet = [((t == 1).sum(), t.size) for _, t in pairs]  # label 0 is the pet in trimap mode
    assert trimap.report["confusion"].shape == (3, 3)
    np.testing.assert_array_equal(trimap.image_overlap, all_pet)
    assert list(trimap.report["iou"]) == ["pet", "background", "border"]


def test_evaluate_photos_explains_wrong_shapes_and_empty_input():
    with pytest.raises(ValueError, match=r"shape \(8, 8\) for a photo of 30 x 40 pixels"):
        evaluation.evaluate_photos(lambda photo: np.zeros((8, 8), np.uint8), _photo_pairs())
    with pytest.raises(ValueError, match="empty"):
        evaluation.evaluate_photos(lambda photo: photo, [])


def test_evaluate_photos_with_a_model_through_predict_mask():
    model = uh.build_unet((32, 32, 3), base_filters=4, depth=2)
    pairs = _photo_pairs()
    result = evaluation.evaluate_photos(lambda photo: uh.predict_mask(model, photo), pairs)
    assert result.count == 3
    assert result.report["confusion"].sum() == sum(p.shape[0] * p.shape[1] for p, _ in pairs)


def test_paired_bootstrap_difference():
    rng = np.random.default_rng(2)
    union = rng.integers(100, 1000, size=40)
    a = np.stack([(union * rng.uniform(0.5, 0.9, 40)).astype(int), union], axis=-1)
    same = evaluation.bootstrap_difference(a, a)
    assert same == (0.0, 0.0), "a model against itself differs by nothing"
    better = a.copy()
    better[:, 0] = np.minimum(better[:, 1], better[:, 0] + union // 20)  # 5 % more overlap
    low, high = evaluation.bootstrap_difference(better, a)
    gain = better[:, 0].sum() / better[:, 1].sum() - a[:, 0].sum() / a[:, 1].sum()
    assert 0 < low <= gain <= high, "a consistent gain on every photo is a measured difference"
    # paired: narrower than the gap between the two separate intervals would suggest
    separate = evaluation.bootstrap_iou(better)[1] - evaluation.bootstrap_iou(a)[0]
    assert high - low < separate
    with pytest.raises(ValueError, match="same N > 0 photos"):
        evaluation.bootstrap_difference(a, a[:-1])
