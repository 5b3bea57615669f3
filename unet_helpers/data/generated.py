"""Synthetic "pets": made by the package, so every notebook and test runs offline.

Each example is a textured background with one animal-like blob (a body and
a head), labelled like the real trimaps: 1 = pet, 2 = background and
3 = a thin border ring. Sizes vary, as in the real photos. Everything is
drawn from a seed, so the same split always holds the same images.
"""

from __future__ import annotations

import numpy as np

SPLIT_SIZES = {"train": 240, "validation": 60, "test": 60}
_SPLIT_SEEDS = {"train": 1, "validation": 2, "test": 3}
BORDER_PIXELS = 2.0


def _texture(rng, height, width, scale):
    """Smooth random texture in [-1, 1]: a few sinusoidal gratings."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    texture = np.zeros((height, width), np.float32)
    for _ in range(3):
        angle, phase = rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
        frequency = rng.uniform(0.5, 1.5) / scale
        texture += np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * frequency + phase)
    return texture / 3


def _ellipse_field(height, width, cy, cx, ry, rx, angle):
    """1 on the ellipse's outline, < 1 inside, > 1 outside; and pixels per unit."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    dy, dx = yy - cy, xx - cx
    cos, sin = np.cos(angle), np.sin(angle)
    u, v = (dx * cos + dy * sin) / rx, (-dx * sin + dy * cos) / ry
    return np.sqrt(u * u + v * v), min(rx, ry)


def make_pet(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One synthetic example: ``(image uint8 (H, W, 3), trimap uint8 (H, W, 1))``."""
    rng = np.random.default_rng(seed)
    height, width = (int(v) for v in rng.integers(96, 193, size=2))
    side = min(height, width)

    # the animal: an elliptic body and a round head, anywhere in the picture
    ry, rx = rng.uniform(0.16, 0.28, size=2) * side
    cy, cx = rng.uniform(0.35, 0.65) * height, rng.uniform(0.35, 0.65) * width
    angle = rng.uniform(0, np.pi)
    body, body_scale = _ellipse_field(height, width, cy, cx, ry, rx, angle)
    head_r = rng.uniform(0.45, 0.7) * min(ry, rx)
    reach = max(ry, rx) * 0.9
    hy, hx = cy + reach * np.sin(angle + 1.2), cx + reach * np.cos(angle + 1.2)
    head, head_scale = _ellipse_field(height, width, hy, hx, head_r, head_r, 0.0)
    # distance to the outline in pixels (approximately), negative inside
    distance = np.minimum((body - 1) * body_scale, (head - 1) * head_scale)

    trimap = np.full((height, width), 2, np.uint8)
    trimap[distance < 0] = 1
    trimap[np.abs(distance) <= BORDER_PIXELS / 2] = 3

    # colours: a fur colour with spots on a differently textured background
    background = rng.uniform(0.2, 0.8, size=3)
    fur = np.clip(background + rng.choice([-1, 1], size=3) * rng.uniform(0.25, 0.45, size=3), 0, 1)
    bg_tex = _texture(rng, height, width, scale=rng.uniform(3, 8))[..., None]
    fur_tex = _texture(rng, height, width, scale=rng.uniform(2, 4))[..., None]
    image = background + 0.15 * bg_tex
    pet = fur + 0.1 * fur_tex + 0.1 * (fur_tex > 0.6)
    inside = (distance < 0)[..., None]
    edge = np.clip(0.5 - distance, 0, 1)[..., None]  # soft, anti-aliased outline
    image = np.where(inside, pet, image * (1 - edge) + pet * edge)
    image = image + rng.normal(0, 0.03, size=image.shape)
    image = (np.clip(image, 0, 1) * 255).astype(np.uint8)
    return image, trimap[..., None]


def generated_examples(split: str, count: int | None = None):
    """Yield ``(name, image, trimap)`` for ``count`` examples of ``split`` (default: all)."""
    total = SPLIT_SIZES[split] if count is None else count
    base = _SPLIT_SEEDS[split] * 1_000_003
    for index in range(total):
        image, trimap = make_pet(base + index)
        yield f"generated_{split}_{index:04d}", image, trimap
