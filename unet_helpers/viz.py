"""Pictures for the notebooks: overlays, grids, learning curves (numpy + matplotlib only).

Functions take arrays and return a matplotlib ``Figure``; ``show`` displays a
figure in a notebook and closes it, so figures never pile up in memory.
"""

from __future__ import annotations

import matplotlib
import matplotlib.patches
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np

# one colour per label; binary: background, pet — trimap: pet, background, border
MASK_COLOURS = {2: np.array([[0, 0, 0], [255, 140, 0]]),
                3: np.array([[255, 140, 0], [0, 0, 0], [80, 160, 255]])}


def show(figure) -> None:
    """Display ``figure`` (inline in Jupyter) and release it."""
    backend = matplotlib.get_backend().lower()
    if "inline" in backend or "ipympl" in backend or "widget" in backend:
        from IPython.display import display

        display(figure)
    plt.close(figure)


def colour_mask(mask: np.ndarray, num_classes: int = 2) -> np.ndarray:
    """Labels (H, W) to an RGB picture (H, W, 3) in [0, 1]."""
    palette = MASK_COLOURS[num_classes] / 255.0
    return palette[np.clip(np.asarray(mask).astype(int), 0, num_classes - 1)]


def overlay(image: np.ndarray, mask: np.ndarray, colour=(1.0, 0.55, 0.0), alpha=0.45,
            label: int = 1) -> np.ndarray:
    """The photo with pixels of ``label`` tinted in ``colour``."""
    image = np.asarray(image, dtype=float)
    if image.max() > 1.0:
        image = image / 255.0
    tinted = image.copy()
    where = np.asarray(mask) == label
    tinted[where] = (1 - alpha) * image[where] + alpha * np.asarray(colour)
    return tinted


def _axes_grid(rows, cols, size=2.2):
    figure, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size), squeeze=False)
    for axis in axes.ravel():
        axis.set_xticks([])
        axis.set_yticks([])
    return figure, axes


def picture_rows(rows, *, title=None, size=2.2):
    """A grid of pictures: ``rows`` is a list of ``(label, [picture, ...])``."""
    figure, axes = _axes_grid(len(rows), len(rows[0][1]), size)
    for row, (label, pictures) in enumerate(rows):
        for column, picture in enumerate(pictures):
            axes[row, column].imshow(np.asarray(picture), interpolation="nearest")
        axes[row, 0].set_ylabel(label)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def sample_grid(images, masks, *, num_classes: int = 2, title=None):
    """Photos (top row), masks (middle) and overlays (bottom) side by side."""
    masks = [np.asarray(mask).squeeze() for mask in masks]
    pet = 1 if num_classes == 2 else 0
    return picture_rows([
        ("photo", images),
        ("mask", [colour_mask(mask, num_classes) for mask in masks]),
        ("overlay", [overlay(image, mask, label=pet) for image, mask in zip(images, masks)]),
    ], title=title)


def prediction_strip(images, truths, predictions, *, num_classes: int = 2, title=None):
    """Photo, true mask and predicted mask for a few images (one column each)."""
    return picture_rows([
        ("photo", images),
        ("truth", [colour_mask(mask, num_classes) for mask in truths]),
        ("prediction", [colour_mask(mask, num_classes) for mask in predictions]),
    ], title=title, size=1.8)


def learning_curves(history: dict, metrics=("loss", "pet_iou")):
    """Training and validation curves, one panel per metric, from ``History.history``."""
    figure, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.2), squeeze=False)
    for axis, name in zip(axes[0], metrics):
        for prefix, style in (("", "-"), ("val_", "--")):
            values = history.get(prefix + name)
            if values:
                epochs = np.arange(1, len(values) + 1)
                axis.plot(epochs, values, style, marker="o", ms=3,
                          label="validation" if prefix else "training")
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    return figure


def line_chart(x, y, *, xlabel="", ylabel="", title=None):
    """One curve, y against x."""
    figure, axis = plt.subplots(figsize=(5, 3))
    axis.plot(x, y, color="tab:blue")
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.grid(alpha=0.3)
    if title:
        axis.set_title(title)
    figure.tight_layout()
    return figure


def number_grids(grids, titles, *, size=2.4):
    """Small 2-D arrays side by side, each cell shaded by its value and labelled with it."""
    fig, axes = plt.subplots(1, len(grids), figsize=(size * len(grids), size),
                             squeeze=False)
    for ax, grid, title in zip(axes[0], grids, titles):
        grid = np.asarray(grid, dtype=float)
        ax.imshow(grid, cmap="Blues", vmin=0, vmax=max(grid.max(), 1) * 1.6)
        for (row, col), value in np.ndenumerate(grid):
            ax.text(col, row, f"{value:g}", ha="center", va="center", fontsize=9)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    fig.tight_layout()
    return fig


def bar_chart(labels, values, *, ylabel="", title=None):
    """A plain bar chart with the values written on the bars."""
    labels = [str(label) for label in labels]
    figure, axis = plt.subplots(figsize=(max(5.0, 0.8 * len(labels)), 3))  # room per bar
    bars = axis.bar(labels, values, color="tab:blue")
    axis.bar_label(bars, fmt="%.3g", fontsize=8, padding=2)
    axis.margins(y=0.15)  # headroom for the labels on the tallest bars
    if len(labels) > 6:
        axis.tick_params(axis="x", labelrotation=45)
    axis.set_ylabel(ylabel)
    if title:
        axis.set_title(title)
    figure.tight_layout()
    return figure


def confusion_figure(matrix, class_names, *, title="Confusion matrix (rows sum to 1)"):
    """A row-normalized confusion matrix: row = true class, column = predicted class."""
    matrix = np.asarray(matrix, dtype=float)
    totals = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    figure, axis = plt.subplots(figsize=(1.4 * len(class_names) + 2, 1.2 * len(class_names) + 1))
    axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (row, column), share in np.ndenumerate(shares):
        axis.text(column, row, f"{share:.1%}", ha="center", va="center",
                  color="white" if share > 0.6 else "black")
    ticks = np.arange(len(class_names))
    axis.set_xticks(ticks, class_names)
    axis.set_yticks(ticks, class_names)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title)
    figure.tight_layout()
    return figure


def threshold_curve(thresholds, ious, *, chosen: float = 0.5):
    """Pet IoU against the probability threshold, with the best and the chosen one marked."""
    thresholds, ious = np.asarray(thresholds), np.asarray(ious)
    best = int(np.argmax(ious))
    figure, axis = plt.subplots(figsize=(5, 3))
    axis.plot(thresholds, ious, marker="o", ms=3)
    axis.axvline(chosen, color="grey", linestyle="--", label=f"used in training ({chosen})")
    axis.plot(thresholds[best], ious[best], "r*", ms=12,
              label=f"best: {thresholds[best]:.2f} (IoU {ious[best]:.3f})")
    axis.set_xlabel("threshold on the pet probability")
    axis.set_ylabel("pet IoU")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    return figure



def error_rows(images, truths, labels, *, scores=None, num_classes: int = 2, title=None):
    """Photo, truth, prediction overlay and error map (false pet red, missed pet blue).

    ``scores`` (one number per image, e.g. its IoU) are written above the columns.
    """
    from .evaluation import ERROR_COLOURS, error_map

    pet = 1 if num_classes == 2 else 0
    figure = picture_rows([
        ("photo", images),
        ("truth", [colour_mask(mask, num_classes) for mask in truths]),
        ("prediction", [overlay(image, mask, label=pet) for image, mask in zip(images, labels)]),
        ("errors", [error_map(t, p, class_id=pet) for t, p in zip(truths, labels)]),
    ], title=title, size=1.9)
    if scores is not None:
        for axis, score in zip(figure.axes[:len(images)], scores):
            axis.set_title(f"IoU {score:.2f}", fontsize=9)
    handles = [matplotlib.patches.Patch(color=colour, label=name)
               for name, colour in list(ERROR_COLOURS.items())[1:]]
    figure.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    return figure


def histogram(values, *, bins=10, xlabel="", title=None, value_range=(0, 1)):
    """How many items fall in each range of ``values`` (e.g. per-image IoU)."""
    figure, axis = plt.subplots(figsize=(5, 3))
    axis.hist(np.asarray(values), bins=bins, range=value_range, color="tab:blue",
              edgecolor="white")
    axis.set_xlabel(xlabel)
    axis.set_ylabel("images")
    if title:
        axis.set_title(title)
    figure.tight_layout()
    return figure


def interval_chart(names, values, lows, highs, *, reference=None, xlabel="", title=None):
    """One row per name: a dot at the value and a bar from low to high (an interval).

    ``reference`` draws a dotted vertical line (e.g. the baseline's value).
    """
    values, lows, highs = (np.asarray(v, dtype=float) for v in (values, lows, highs))
    figure, axis = plt.subplots(figsize=(7, 0.35 * len(values) + 1.3))
    rows = np.arange(len(values))
    axis.errorbar(values, rows, xerr=[values - lows, highs - values], fmt="o", capsize=3,
                  color="tab:blue")
    if reference is not None:
        axis.axvline(reference, color="grey", linestyle=":")
    axis.set_yticks(rows, [str(name) for name in names])
    axis.invert_yaxis()  # the first name on top
    axis.set_xlabel(xlabel)
    if title:
        axis.set_title(title)
    figure.tight_layout()
    return figure


def cost_chart(costs, values, names, *, xlabels=("cost",), ylabel="", title=None):
    """Scatter plots of ``values`` against one or more costs (log scale), points named.

    ``costs`` is a list of arrays, one per panel, with the matching ``xlabels``.
    """
    figure, axes = plt.subplots(1, len(costs), figsize=(5 * len(costs), 4), sharey=True,
                                squeeze=False)
    for axis, cost, xlabel in zip(axes[0], costs, xlabels):
        axis.scatter(cost, values, color="tab:blue")
        for x, y, name in zip(cost, values, names):
            axis.annotate(str(name), (x, y), fontsize=7, xytext=(3, 3),
                          textcoords="offset points")
        axis.set_xscale("log")
        axis.set_xlabel(xlabel)
    axes[0][0].set_ylabel(ylabel)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
