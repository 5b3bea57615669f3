"""Checks of notebook 08 (experiments): scaled GFLOPs, a paired bootstrap interval."""

from __future__ import annotations

import math

import numpy as np

from .core import _call, _exercise, _fail, _passed


@_exercise()
def check_scaled_gflops(scaled_gflops) -> None:
    """Convolution work scales with width squared and image side squared."""
    cases = [(1.0, 2, 1, 4.0), (1.0, 1, 2, 4.0), (0.5, 2, 2, 8.0), (3.0, 0.5, 1, 0.75),
             (2.0, 1, 0.5, 0.5), (1.2, 1, 1, 1.2)]
    for gflops, width, side, right in cases:
        call = f"scaled_gflops({gflops}, width_factor={width}, size_factor={side})"
        answer = float(_call(scaled_gflops, gflops, width_factor=width, size_factor=side))
        if math.isclose(answer, right, rel_tol=1e-6):
            continue
        if math.isclose(answer, gflops * width * side**2, rel_tol=1e-6) and width != 1:
            _fail(f"{call} gave {answer:g}: linear in the width. Each convolution multiplies "
                  "its input channels by its output channels, and both grow with the width: "
                  "twice the width, four times the work.")
        if math.isclose(answer, gflops * width**2 * side, rel_tol=1e-6) and side != 1:
            _fail(f"{call} gave {answer:g}: linear in the side. A convolution works at every "
                  "pixel, and a side twice as long has four times the pixels.")
        _fail(f"{call} gave {answer:g}; expected {right:g}.")
    return _passed("width squared times side squared")


def _photo_overlaps(rng, count, base, gain):
    """Pixel counts (intersection, union) of ``count`` photos of very different sizes."""
    unions = rng.integers(200, 20000, size=count)
    quality = np.clip(rng.normal(base, 0.12, size=count), 0.05, 0.98)
    spread = (unions - unions.mean()) / unions.std()  # large photos gain more than small ones
    better = np.clip(quality + gain + 0.04 * spread + rng.normal(0, 0.03, size=count), 0.0, 1.0)
    return (np.stack([np.round(unions * better), unions], -1).astype(np.int64),
            np.stack([np.round(unions * quality), unions], -1).astype(np.int64))


@_exercise()
def check_paired_interval(paired_interval) -> None:
    """The paired bootstrap interval of pooled IoU(a) - IoU(b)."""
    from ..evaluation import bootstrap_difference

    rng = np.random.default_rng(11)
    for count, gain in ((300, 0.02), (200, 0.0)):
        a, b = _photo_overlaps(rng, count, 0.7, gain)
        answer = _call(paired_interval, a.copy(), b.copy())
        try:
            low, high = (float(v) for v in answer)
        except (TypeError, ValueError):
            _fail(f"paired_interval returned {answer!r}; return two numbers, (low, high).")
        right_low, right_high = bootstrap_difference(a, b)
        pooled = a[:, 0].sum() / a[:, 1].sum() - b[:, 0].sum() / b[:, 1].sum()
        per_photo = (a[:, 0] / a[:, 1]).mean() - (b[:, 0] / b[:, 1]).mean()
        if low > high:
            _fail(f"low {low:.4f} is above high {high:.4f}: return (low, high).")
        if math.isclose((low + high) / 2, -(right_low + right_high) / 2, abs_tol=0.004) \
                and abs(pooled) > 0.01:
            _fail("The interval is of IoU(b) - IoU(a): subtract b from a, so that a better "
                  "`a` gives a positive difference.")
        width, right_width = high - low, right_high - right_low
        if width > 1.6 * right_width:
            _fail(f"The interval is {width:.4f} wide where pairing gives about "
                  f"{right_width:.4f}: each draw must take the *same* photos for a and b "
                  "(draw the indices once, use them for both).")
        if width < 0.9 * right_width:
            _fail(f"The interval is {width:.4f} wide, narrower than a 95 % interval (about "
                  f"{right_width:.4f}): keep the middle 95 % of the differences, between "
                  "the 2.5th and the 97.5th percentile.")
        if abs((low + high) / 2 - per_photo) < abs((low + high) / 2 - pooled) \
                and abs(per_photo - pooled) > 0.004:
            _fail("The interval is centred on the mean of per-photo IoUs. The split's IoU "
                  "pools pixels: all intersections over all unions of a draw, for a and for b.")
        if abs(low - right_low) > 0.006 or abs(high - right_high) > 0.006:
            _fail(f"Gave ({low:.4f}, {high:.4f}); a paired bootstrap of pooled IoU gives about "
                  f"({right_low:.4f}, {right_high:.4f}).")
    return _passed("the same photos for both in each draw, pooled IoU, the middle 95 %")
