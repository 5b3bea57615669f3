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


def _overlapping(texts, renderer):
    boxes = [t.get_window_extent(renderer) for t in texts if t.get_text()]
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]


def test_bar_chart_labels_do_not_overlap_with_many_bars():
    """Notebook 02's chart: eleven stages, parameter counts from 130 to 14 million."""
    stages = ["image", "enc1", "enc2", "enc3", "enc4", "bridge", "dec1", "dec2", "dec3", "dec4",
              "head"]
    values = [0, 0.0389, 0.2217, 0.8863, 3.5421, 14.1629, 9.1791, 2.2953, 0.5743, 0.1438, 6.5e-5]
    figure = viz.bar_chart(stages, values, ylabel="parameters (millions)")
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    axis = figure.axes[0]
    assert not _overlapping(axis.get_xticklabels(), renderer), "stage names overlap"
    assert not _overlapping(axis.texts, renderer), "value labels overlap"


def test_number_grids_label_every_cell():
    figure = viz.number_grids([np.array([[1, 2], [3, 4]]), np.ones((3, 3))], ["a", "b"])
    assert [len(axis.texts) for axis in figure.axes] == [4, 9]
    assert [axis.get_title() for axis in figure.axes] == ["a", "b"]
