"""The plotting helpers draw what they are given (numpy in, matplotlib figure out)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from unet_helpers import viz  # noqa: E402


def test_colour_mask_and_overlay():
    mask = np.array([[0, 1], [1, 0]])
    colours = viz.colour_mask(mask, 2)
    assert colours.shape == (2, 2, 3)
    np.testing.assert_allclose(colours[0, 1], np.array([255, 140, 0]) / 255)
    image = np.zeros((2, 2, 3))
    tinted = viz.overlay(image, mask)
    assert tinted[0, 0].sum() == 0 and tinted[0, 1].sum() > 0


def test_grids_have_one_axis_per_picture():
    images = np.random.default_rng(0).random((4, 8, 8, 3))
    masks = np.zeros((4, 8, 8, 1), np.uint8)
    grid = viz.sample_grid(images, masks, title="t")
    assert len(grid.axes) == 12 and grid.axes[0].get_ylabel() == "photo"
    strip = viz.prediction_strip(images[:2], masks[:2, ..., 0], masks[:2, ..., 0], num_classes=3)
    assert [ax.get_ylabel() for ax in strip.axes[::2]] == ["photo", "truth", "prediction"]


def test_learning_curves_plot_both_splits():
    figure = viz.learning_curves({"loss": [3, 2, 1], "val_loss": [3, 2.5, 2]}, ("loss",))
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["training", "validation"]
    np.testing.assert_array_equal(lines[1].get_ydata(), [3, 2.5, 2])
