"""Evaluation in numpy: scores by hand on tiny masks, empty classes, sweep, error map."""

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
