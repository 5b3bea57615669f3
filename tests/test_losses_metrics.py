"""Losses and metrics against values computed by hand on tiny masks."""

import keras
import numpy as np
import pytest

import unet_helpers as uh
from unet_helpers import metrics as m


def binary(rows):
    return np.array(rows, np.float32)[None, ..., None]


TRUTH = binary([[1, 1, 0, 0],
                [1, 1, 0, 0],
                [0, 0, 0, 0],
                [0, 0, 0, 0]])
# predicted pet pixels: 3 of the 4 true ones plus 2 false alarms
PROBS = binary([[0.9, 0.8, 0.7, 0.6],
                [0.2, 0.9, 0.1, 0.1],
                [0.1, 0.1, 0.1, 0.1],
                [0.1, 0.1, 0.1, 0.1]])


def metric_value(metric, truth, scores):
    metric.update_state(truth, scores)
    return float(metric.result())


# Keras's IoU divides by (union + 1e-7), so its scores match the exact fractions to 1e-6.


def test_pet_iou_by_hand():
    # pet: TP 3, FP 2, FN 1 -> 3/6; background: TP 10, FP 1, FN 2 -> 10/13
    pet = uh.metrics.SegmentationIoU(num_classes=2, class_id=1)
    assert metric_value(pet, TRUTH, PROBS) == pytest.approx(3 / 6)
    mean = uh.metrics.SegmentationIoU(num_classes=2)
    assert metric_value(mean, TRUTH, PROBS) == pytest.approx((3 / 6 + 10 / 13) / 2)
    dice = uh.metrics.SegmentationDice(num_classes=2, class_id=1)
    assert metric_value(dice, TRUTH, PROBS) == pytest.approx(2 * 3 / (2 * 3 + 2 + 1))
    accuracy = uh.metrics.pixel_accuracy()
    assert metric_value(accuracy, TRUTH, PROBS) == pytest.approx(13 / 16)


def test_iou_uses_thresholded_predictions_not_probabilities():
    timid = np.full_like(PROBS, 0.4)  # never above the threshold: predicts no pet at all
    assert metric_value(uh.metrics.SegmentationIoU(class_id=1), TRUTH, timid) == pytest.approx(0.0, abs=1e-6)
    assert metric_value(uh.metrics.SegmentationDice(class_id=1), TRUTH, timid) == pytest.approx(0.0, abs=1e-6)
    # the threshold is a setting: at 0.3 the same scores call every pixel pet
    assert metric_value(uh.metrics.SegmentationIoU(class_id=1, threshold=0.3), TRUTH, timid) == pytest.approx(4 / 16)


def test_empty_class_edge_cases():
    empty = np.zeros_like(TRUTH)
    nothing = np.zeros_like(PROBS)
    # no pet in truth, none predicted: nothing to find, nothing found
    assert metric_value(uh.metrics.SegmentationIoU(class_id=1), empty, nothing) == pytest.approx(1.0, abs=1e-6)
    # and the mean skips the absent class instead of counting it as 0 or 1
    assert metric_value(uh.metrics.SegmentationIoU(), empty, nothing) == pytest.approx(1.0, abs=1e-6)
    # no pet in truth, but some predicted: pet IoU 0
    assert metric_value(uh.metrics.SegmentationIoU(class_id=1), empty, PROBS) == pytest.approx(0.0, abs=1e-6)
    # pet in truth, none predicted: pet IoU 0, accuracy still 75 %
    assert metric_value(uh.metrics.SegmentationIoU(class_id=1), TRUTH, nothing) == pytest.approx(0.0, abs=1e-6)
    assert metric_value(uh.metrics.pixel_accuracy(), TRUTH, nothing) == pytest.approx(12 / 16)
    np.testing.assert_array_equal(m.iou_per_class(m.confusion_matrix(empty, nothing, 2)),
                                  [1.0, np.nan])


def test_multiclass_metrics_use_argmax_and_accumulate():
    truth = np.array([[[0, 1, 2, 2]]])[..., None]
    scores = keras.ops.one_hot(np.array([[[0, 2, 2, 1]]]), 3).numpy()
    metric = uh.metrics.SegmentationIoU(num_classes=3)
    metric.update_state(truth, scores)
    metric.update_state(truth, scores)  # a second batch doubles every count
    per_class = m.iou_per_class(m.confusion_matrix(truth, scores.argmax(-1), 3))
    np.testing.assert_allclose(per_class, [1.0, 0.0, 1 / 3])
    assert float(metric.result()) == pytest.approx(np.nanmean(per_class))
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_logit_models_threshold_at_zero():
    logits = np.log(PROBS / (1 - PROBS))
    a = metric_value(uh.metrics.SegmentationIoU(class_id=1, from_logits=True), TRUTH, logits)
    assert a == pytest.approx(3 / 6)


def test_dice_loss_and_bce_dice_by_hand():
    perfect = uh.losses.DiceLoss()(TRUTH, TRUTH)
    assert float(perfect) == pytest.approx(0.0, abs=1e-6)
    overlap = (TRUTH * PROBS).sum()
    expected = 1 - (2 * overlap + 1) / (TRUTH.sum() + PROBS.sum() + 1)
    assert float(uh.losses.DiceLoss()(TRUTH, PROBS)) == pytest.approx(expected, rel=1e-5)
    bce = keras.losses.BinaryCrossentropy()(TRUTH, PROBS)
    combined = uh.losses.make_loss("crossentropy+dice")(TRUTH, PROBS)
    assert float(combined) == pytest.approx(float(bce) + expected, rel=1e-4)


def test_from_logits_matches_probabilities():
    logits = np.random.default_rng(0).normal(size=(2, 4, 4, 3)).astype(np.float32)
    labels = np.random.default_rng(1).integers(0, 3, size=(2, 4, 4, 1))
    probs = keras.ops.softmax(logits).numpy()
    for name in ("crossentropy", "dice", "crossentropy+dice"):
        with_logits = float(uh.losses.make_loss(name, from_logits=True)(labels, logits))
        with_probs = float(uh.losses.make_loss(name)(labels, probs))
        assert with_logits == pytest.approx(with_probs, rel=1e-4), name


def test_per_pixel_weights_change_the_loss():
    weights = np.where(TRUTH[..., 0] == 1, 4.0, 1.0)
    loss = uh.losses.make_loss("crossentropy")
    per_pixel = -(TRUTH * np.log(PROBS) + (1 - TRUTH) * np.log(1 - PROBS))[..., 0]
    weighted = float(loss(TRUTH, PROBS, sample_weight=weights))
    assert weighted == pytest.approx((per_pixel * weights).mean(), rel=1e-4)
    assert float(loss(TRUTH, PROBS)) == pytest.approx(per_pixel.mean(), rel=1e-4)
    assert loss(TRUTH, PROBS).shape == () and loss.call(TRUTH, PROBS).shape == (1, 4, 4)


def test_unknown_loss_is_explained():
    with pytest.raises(ValueError, match="Unknown loss 'focal'"):
        uh.losses.make_loss("focal")


def test_per_pixel_weights_count_as_weights_in_the_metrics():
    weights = np.where(TRUTH[..., 0] == 1, 0.5, 2.0)  # float weights, as with_pixel_weights gives
    labels = (PROBS[..., 0] > 0.5).astype(int)
    matrix = np.zeros((2, 2))
    np.add.at(matrix, (TRUTH[..., 0].astype(int).ravel(), labels.ravel()), weights.ravel())
    tp, fp, fn = matrix[1, 1], matrix[0, 1], matrix[1, 0]
    pet = uh.metrics.SegmentationIoU(class_id=1)
    pet.update_state(TRUTH, PROBS, sample_weight=weights)
    assert float(pet.result()) == pytest.approx(tp / (tp + fp + fn))
    dice = uh.metrics.SegmentationDice(class_id=1)
    dice.update_state(TRUTH, PROBS, sample_weight=weights)
    assert float(dice.result()) == pytest.approx(2 * tp / (2 * tp + fp + fn))
    accuracy = uh.metrics.pixel_accuracy()
    accuracy.update_state(TRUTH, PROBS, sample_weight=weights)
    assert float(accuracy.result()) == pytest.approx(np.trace(matrix) / matrix.sum())


def test_a_threshold_means_the_same_for_logits():
    logits = np.log(PROBS / (1 - PROBS))
    for threshold in (0.3, 0.5, 0.75):
        on_probs = metric_value(uh.metrics.SegmentationIoU(class_id=1, threshold=threshold),
                                TRUTH, PROBS)
        on_logits = metric_value(uh.metrics.SegmentationIoU(class_id=1, threshold=threshold,
                                                    from_logits=True), TRUTH, logits)
        assert on_logits == pytest.approx(on_probs), threshold
        accuracy = uh.metrics.pixel_accuracy(threshold=threshold, from_logits=True)
        assert metric_value(accuracy, TRUTH, logits) == pytest.approx(
            metric_value(uh.metrics.pixel_accuracy(threshold=threshold), TRUTH, PROBS))


def test_pixel_accuracy_follows_the_head_not_the_mask_mode():
    # binary masks, but a two-channel softmax head: accuracy must take the argmax
    two_channels = np.concatenate([1 - PROBS, PROBS], axis=-1)
    assert metric_value(uh.metrics.pixel_accuracy(channels=2), TRUTH, two_channels) == \
        pytest.approx(13 / 16)
    model = uh.build_unet((16, 16, 3), num_classes=2, base_filters=2, depth=1,
                          output_activation="softmax")
    uh.compile_model(model, mask_mode="binary")
    images = np.random.default_rng(0).random((2, 16, 16, 3)).astype("float32")
    masks = np.random.default_rng(1).integers(0, 2, (2, 16, 16, 1))
    scores = model.evaluate(images, masks, return_dict=True, verbose=0)
    expected = (model.predict(images, verbose=0).argmax(-1) == masks[..., 0]).mean()
    assert scores["pixel_accuracy"] == pytest.approx(expected)


@pytest.mark.parametrize("metric", [
    uh.metrics.SegmentationIoU(num_classes=3, class_id=2, threshold=0.3, from_logits=True, name="a"),
    uh.metrics.SegmentationDice(num_classes=2, class_id=None, threshold=0.7, name="b"),
])
def test_metric_settings_survive_a_config_round_trip(metric):
    again = type(metric).from_config(metric.get_config())
    for key in ("num_classes", "class_id", "threshold", "from_logits", "name"):
        assert getattr(again, key) == getattr(metric, key), key
    assert again.target_class_ids == metric.target_class_ids
