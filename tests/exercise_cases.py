"""Test data for the exercise checks: planted mistakes and other right answers.

A plain module of data (no tests): ``tests/test_exercises.py`` runs, for every
exercise of the notebooks, each planted mistake in ``MISTAKES`` (its check must
fail with a message matching the listed pattern) and each right answer in
``EQUIVALENTS`` (its check must pass). Every exercise needs at least one
planted mistake.

Each entry replaces the block between ``### BEGIN SOLUTION`` and ``### END
SOLUTION`` of the exercise's answer cell (indented like that block).
"""


# --- planted mistakes: (solution block replacement, pattern the message must match) ---------

def _conv_block_with(conv_arguments: str) -> str:
    """A conv_block answer right in every way except the arguments of its two Conv2D layers."""
    return f"""
    x = inputs
    for _ in range(2):
        x = layers.Conv2D({conv_arguments})(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
    return x
    """


def _paired_bootstrap_with(difference: str, percentiles: str) -> str:
    """A paired_interval answer right in every way except its difference and its percentiles."""
    return f"""
    a, b = np.asarray(overlaps_a, float), np.asarray(overlaps_b, float)
    rng = np.random.default_rng(0)
    differences = []
    for _ in range(rounds):
        i = rng.integers(0, len(a), len(a))
        differences.append({difference})
    return tuple(np.percentile(differences, [{percentiles}]))
    """


MISTAKES = {
    "ex01_conv_block": [
        (_conv_block_with('num_filters, 3, padding="valid"'), r"padding='same'"),
        ("""
        x = layers.Conv2D(num_filters, 3, padding="same")(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(2 * num_filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x)
        """, r"returns 16 channels when asked for 8 filters"),
        ("""
        x = layers.Conv2D(num_filters, 3, padding="same", activation="relu")(inputs)
        return layers.Conv2D(num_filters, 3, padding="same", activation="relu")(x)
        """, r"No BatchNormalization"),
        ("""
        x = layers.Conv2D(num_filters, 3, padding="same")(inputs)
        x = layers.Activation("relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Conv2D(num_filters, 3, padding="same")(x)
        x = layers.Activation("relu")(x)
        return layers.BatchNormalization()(x)
        """, r"Layer order .*Conv2D -> BatchNormalization -> ReLU"),
        (_conv_block_with('num_filters, 5, padding="same"'), r"Kernel sizes .*3 x 3"),
        ("""
        x = layers.Conv2D(num_filters, 3, padding="same", activation="relu")(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(num_filters, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x)
        """, r"activation='relu' inside it"),
        ("""
        x = layers.Conv2D(8, 3, padding="same")(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(8, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x)
        """, r"returns 8 channels when asked for 5 filters"),
        ("""
        x = layers.Conv2D(num_filters, 3, padding="same", dilation_rate=2)(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(num_filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x)
        """, r"stride 1 and no dilation"),
    ],
    "ex01_decoder_block": [
        ("""
        x = layers.Conv2DTranspose(num_filters, (2, 2), strides=1, padding="same")(inputs)
        x = layers.Concatenate()([x, skip_features])
        return conv_block(x, num_filters)
        """, r"must double height and width"),
        ("""
        x = layers.Conv2DTranspose(num_filters, (2, 2), strides=2, padding="same")(inputs)
        return conv_block(x, num_filters)
        """, r"skip connection is missing"),
        ("""
        x = layers.Conv2DTranspose(num_filters, (2, 2), strides=2, padding="same")(inputs)
        x = layers.Add()([x, skip_features])
        return conv_block(x, num_filters)
        """, r"\*concatenates\* it"),
        ("""
        x = layers.UpSampling2D(2)(inputs)
        x = layers.Concatenate()([x, skip_features])
        return conv_block(x, num_filters)
        """, r"learned Conv2DTranspose"),
        ("""
        x = layers.Conv2DTranspose(num_filters, 3, strides=2, padding="same")(inputs)
        x = layers.Concatenate()([x, skip_features])
        return conv_block(x, num_filters)
        """, r"kernel 2 and strides 2"),
        ("""
        x = layers.Conv2DTranspose(16, (2, 2), strides=2, padding="same")(inputs)
        x = layers.Concatenate()([x, skip_features])
        return conv_block(x, 16)
        """, r"the output is \(10, 14, 16\); expected \(10, 14, 6\)"),
        ("""
        x = layers.Conv2DTranspose(skip_features.shape[-1], 2, strides=2, padding="same")(inputs)
        x = layers.Concatenate()([x, skip_features])
        return conv_block(x, num_filters)
        """, r"Conv2DTranspose has 10 filters when the block is asked for 6"),
    ],
    "ex01_conv_block_params": [
        ("return 9 * in_channels * filters + 9 * filters * filters + 8 * filters",
         r"left out the biases"),
        ("return 9 * in_channels * filters + filters + 9 * filters * filters + filters",
         r"left out batch norm"),
        ("return 9 * in_channels * filters + 9 * filters * filters + 2 * filters + 4 * filters",
         r"4 numbers per channel, not 2"),
        ("return 2 * (9 * in_channels * filters + filters + 4 * filters)",
         r"second convolution sees `filters` channels"),
    ],
    "ex02_padded_size": [
        ("return size // 2**depth * 2**depth", r"smaller than the image: round up"),
        ("return (size // 2**depth + 1) * 2**depth", r"already divides by 16"),
        ("return -(-size // (2 * depth)) * (2 * depth)", r"not a multiple of 2\*\*depth"),
    ],
    "ex02_skip_shapes": [
        ("return [(size // 2**(n + 1), size // 2**(n + 1), base_filters * 2**n) "
         "for n in range(depth)]", r"taken \*before\* pooling"),
        ("return [(size // 2**n, size // 2**n, base_filters) for n in range(depth)]",
         r"doubles the filters"),
        ("return [(size // 2**n, size // 2**n, base_filters * 2**n) for n in range(depth + 1)]",
         r"one skip per encoder"),
        ("return [(64, 64, 8), (32, 32, 16), (16, 16, 32)]",
         r"skip_shapes\(96, 16, 4\) gave 3 shapes"),
        ("return [(size // 2**n, size // 2**n, base_filters * 2**n) for n in range(3)]",
         r"gave 3 shapes for depth 4"),
    ],
    "ex03_resize_mask": [
        ("return tf.image.resize(mask, (size, size))", r"method='nearest'"),
        ("return tf.image.resize(mask, (size, size), method='area')", r"no class"),
        ("return tf.image.resize(mask, (24, 24), method='nearest')",
         r"Asked for size 80, the shape is \(24, 24, 1\)"),
        ("return tf.image.resize(mask.numpy(), (size, size), method='nearest')",
         r"fails inside tf.data"),
        ("return tf.cast(tf.round(tf.image.resize(mask, (size, size))), tf.uint8)",
         r"not at the right places"),
    ],
    "ex03_to_binary": [
        ("return trimap - 1", r"pet would be 0 and background 1"),
        ("return tf.cast(trimap == 1, tf.uint8)", r"border \(3\) came out as background"),
        ("return tf.cast(trimap != 3, tf.uint8)", r"expected \[\[1, 0, 1\]"),
        ("return (trimap.numpy() != 2).astype('uint8')", r"fails inside tf.data"),
        ("return tf.cast(trimap > 1, tf.uint8)", r"expected \[\[1, 0, 1\]"),
    ],
    "ex03_flip_pair": [
        ("return tf.image.random_flip_left_right(image), tf.image.random_flip_left_right(mask)",
         r"share one random decision"),
        ("""
        image = tf.image.stateless_random_flip_left_right(image, seed)
        return image, tf.image.stateless_random_flip_left_right(mask, seed + 1)
        """, r"share one random decision"),
        ("return image, mask", r"No call flipped"),
        ("return image[:, ::-1], mask[:, ::-1]", r"Every call flipped"),
        ("""
        import random
        if random.random() < 0.5:
            return image[:, ::-1], mask[:, ::-1]
        return image, mask
        """, r"same seed .* flipped once and not the other time"),
        ("""
        flip = tf.random.uniform([]) < 0.5
        return (tf.where(flip, image[:, ::-1], image), tf.where(flip, mask[:, ::-1], mask))
        """, r"same seed .* flipped once and not the other time"),
    ],
    "ex04_dice_loss": [
        ("""
        y_pred = tf.cast(y_pred > 0.5, tf.float32)
        overlap = tf.reduce_sum(y_true * y_pred)
        return 1.0 - (2 * overlap + smooth) / (tf.reduce_sum(y_true + y_pred) + smooth)
        """, r"no gradient"),
        ("""
        overlap = tf.reduce_sum(y_true * y_pred)
        return 1.0 - (overlap + smooth) / (tf.reduce_sum(y_true + y_pred) + smooth)
        """, r"overlap counts twice"),
        ("""
        overlap = tf.reduce_sum(y_true * y_pred)
        return (2 * overlap + smooth) / (tf.reduce_sum(y_true + y_pred) + smooth)
        """, r"return 1 - Dice"),
        ("""
        overlap = tf.reduce_sum(y_true * y_pred)
        return 1.0 - 2 * overlap / tf.reduce_sum(y_true + y_pred)
        """, r"NaN \(0 / 0\)"),
        ("""
        y_true = tf.cast(y_true, y_pred.dtype)
        overlap = tf.reduce_sum(y_true * y_pred, axis=[1, 2, 3])
        total = tf.reduce_sum(y_true + y_pred, axis=[1, 2, 3])
        return 1.0 - (2.0 * overlap + smooth) / (total + smooth)
        """, r"one number for the whole batch"),
    ],
    "ex04_pet_iou": [
        ("""
        scores = np.asarray(scores)[..., 0]
        overlap = (truth * scores).sum()
        return overlap / (truth.sum() + scores.sum() - overlap)
        """, r"IoU on probabilities"),
        ("""
        predicted = np.asarray(scores).argmax(axis=-1) == 1
        truth = np.asarray(truth) == 1
        return (truth & predicted).sum() / max(1, (truth | predicted).sum())
        """, r"argmax over a single channel"),
        ("""
        predicted = np.asarray(scores)[..., 0] > threshold
        truth = np.asarray(truth) == 1
        union = (truth | predicted).sum()
        return (truth & predicted).sum() / union if union else 0.0
        """, r"return 1.0 when the union is empty"),
        ("""
        predicted = np.asarray(scores)[..., 0] > 0.5
        truth = np.asarray(truth) == 1
        union = (truth | predicted).sum()
        return (truth & predicted).sum() / union if union else 1.0
        """, r"Use the `threshold` argument"),
        ("""
        predicted = np.asarray(scores)[..., 0] >= threshold + 0.1
        truth = np.asarray(truth) == 1
        union = (truth | predicted).sum()
        return (truth & predicted).sum() / union if union else 1.0
        """, r"With threshold=0.35 you gave"),
    ],
    "ex05_iou_from_confusion": [
        ("return np.diag(matrix) / np.asarray(matrix).sum(axis=1)", r"the recall"),
        ("return np.diag(matrix) / np.asarray(matrix).sum(axis=0)", r"the precision"),
        ("""
        matrix = np.asarray(matrix, dtype=float)
        with np.errstate(invalid="ignore"):
            return np.diag(matrix) / (matrix.sum(axis=0) + matrix.sum(axis=1))
        """, r"counts the correct pixels twice"),
        ("""
        matrix = np.asarray(matrix, dtype=float)
        union = matrix.sum(axis=0) + matrix.sum(axis=1) - np.diag(matrix)
        return np.diag(matrix) / np.maximum(union, 1)
        """, r"return NaN"),
        ("""
        matrix = np.asarray(matrix, dtype=float)
        correct = np.diag(matrix)
        union = matrix.sum(axis=0) + matrix.sum(axis=1) - correct
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(correct > 0, correct / union, np.nan)
        """, r"its IoU is 0 .* not NaN"),
    ],
    "ex05_best_threshold": [
        ("""
        truth = np.asarray(truths) == 1
        ious = [(truth & (np.asarray(scores)[..., 0] > t)).sum()
                / (truth | (np.asarray(scores)[..., 0] > t)).sum() for t in candidates]
        return candidates[int(np.argmin(ious))]
        """, r"\*lowest\* IoU"),
        ("""
        truth = np.asarray(truths) == 1
        return max((truth & (np.asarray(scores)[..., 0] > t)).sum()
                   / (truth | (np.asarray(scores)[..., 0] > t)).sum() for t in candidates)
        """, r"return the threshold that gives it"),
        ("""
        truth = np.asarray(truths) == 1
        best, chosen = -1.0, None
        for t in candidates:
            predicted = np.asarray(scores)[..., 0] > t
            iou = (truth & predicted).sum() / (truth | predicted).sum()
            if iou >= best:
                best, chosen = iou, t
        return chosen
        """, r"return the first of them"),
        ("""
        truth = np.asarray(truths) == 1
        best, chosen = -1.0, None
        for t in sorted(candidates, reverse=True):
            predicted = np.asarray(scores)[..., 0] > t
            iou = (truth & predicted).sum() / (truth | predicted).sum()
            if iou > best:
                best, chosen = iou, t
        return chosen
        """, r"you returned 0.7: when several tie"),
    ],
    "ex06_network_input": [
        ("""
        if scale_to == "auto":
            factor = train_size / max(photo_shape)
            return round(photo_shape[0] * factor), round(photo_shape[1] * factor)
        multiple = 2**depth
        height, width = photo_shape if scale_to is None else (scale_to, scale_to)
        return math.ceil(height / multiple) * multiple, math.ceil(width / multiple) * multiple
        """, r"keeps the photo's aspect ratio"),
        ("""
        if scale_to == "auto":
            return train_size, train_size
        return photo_shape if scale_to is None else (scale_to, scale_to)
        """, r"padded up to \(384, 512\)"),
        ("""
        if scale_to == "auto":
            return train_size, train_size
        multiple = 2**depth
        height, width = photo_shape if scale_to is None else (scale_to, scale_to)
        return height // multiple * multiple, width // multiple * multiple
        """, r"expected \(384, 512\)"),
        ("""
        multiple = 2**depth
        height, width = photo_shape if scale_to in (None, "auto") else (scale_to, scale_to)
        return math.ceil(height / multiple) * multiple, math.ceil(width / multiple) * multiple
        """, r"expected \(96, 96\)"),
    ],
    "ex06_flip_average": [
        ("return (predict(photo) + predict(photo[:, ::-1])) / 2", r"flip them back"),
        ("return (predict(photo) + predict(photo[::-1])[::-1]) / 2", r"upside down"),
        ("""
        labels = predict(photo) > 0.5
        return (labels + (predict(photo[:, ::-1])[:, ::-1] > 0.5)) / 2
        """, r"not labels"),
        ("return predict(photo[:, ::-1])[:, ::-1]", r"Not the average"),
        ("return predict(photo) + predict(photo[:, ::-1])[:, ::-1]", r"Not the average"),
    ],
    "ex07_scaled_gflops": [
        ("return gflops * width_factor * size_factor**2", r"linear in the width"),
        ("return gflops * width_factor**2 * size_factor", r"linear in the side"),
        ("return gflops * width_factor**2 + size_factor**2", r"expected"),
        ("return gflops * 2 * width_factor * size_factor", r"expected|linear"),
    ],
    "ex07_paired_interval": [
        ("""
        a, b = np.asarray(overlaps_a, float), np.asarray(overlaps_b, float)
        rng = np.random.default_rng(0)
        differences = []
        for _ in range(rounds):
            i, j = rng.integers(0, len(a), len(a)), rng.integers(0, len(b), len(b))
            differences.append(a[i, 0].sum() / a[i, 1].sum() - b[j, 0].sum() / b[j, 1].sum())
        return tuple(np.percentile(differences, [2.5, 97.5]))
        """, r"the \*same\* photos for a and b"),
        (_paired_bootstrap_with("a[i, 0].sum() / a[i, 1].sum() - b[i, 0].sum() / b[i, 1].sum()", "5, 95"), r"narrower than a 95 % interval"),
        (_paired_bootstrap_with("(a[i, 0] / a[i, 1]).mean() - (b[i, 0] / b[i, 1]).mean()", "2.5, 97.5"), r"mean of per-photo IoUs"),
        (_paired_bootstrap_with("b[i, 0].sum() / b[i, 1].sum() - a[i, 0].sum() / a[i, 1].sum()", "2.5, 97.5"), r"IoU\(b\) - IoU\(a\)"),
        ("""
        a, b = np.asarray(overlaps_a, float), np.asarray(overlaps_b, float)
        difference = a[:, 0].sum() / a[:, 1].sum() - b[:, 0].sum() / b[:, 1].sum()
        return difference - 0.01, difference + 0.01
        """, r"wide|Gave"),
    ],
}


# --- other right answers: written differently, each must pass its check ----------------------

EQUIVALENTS = {
    "ex01_conv_block": [
        # no biases before batch norm: its own shift does their job
        _conv_block_with('num_filters, 3, padding="same", use_bias=False'),
        # ReLU as a layer of its own kind, and keyword arguments
        """
        x = inputs
        for _ in range(2):
            x = layers.Conv2D(filters=num_filters, kernel_size=(3, 3), padding="same")(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
        return x
        """,
    ],
    "ex03_to_binary": [
        "return tf.cast(tf.not_equal(trimap, tf.constant(2, tf.uint8)), tf.uint8)",
        "return tf.where(trimap == 2, 0, 1)",
    ],
    "ex03_flip_pair": [
        """
        stacked = tf.concat([image, tf.cast(mask, image.dtype)], axis=-1)
        stacked = tf.image.stateless_random_flip_left_right(stacked, seed)
        return stacked[..., :3], tf.cast(stacked[..., 3:], mask.dtype)
        """,
    ],
    "ex06_network_input": [
        """
        if scale_to == "auto":
            return [train_size, train_size]
        side = 2**depth
        shape = photo_shape if scale_to is None else (scale_to, scale_to)
        return [-(-n // side) * side for n in shape]
        """,
    ],
    "ex06_flip_average": [
        "return (predict(photo) + tf.reverse(predict(tf.reverse(photo, [1])), [1])) / 2",
        "return np.mean([predict(photo), predict(photo[:, ::-1])[:, ::-1]], axis=0)",
    ],
    "ex07_scaled_gflops": [
        "return gflops * (width_factor * size_factor) ** 2",
    ],
    "ex07_paired_interval": [
        """
        a, b = np.asarray(overlaps_a, float), np.asarray(overlaps_b, float)
        draws = np.random.default_rng(1).multinomial(len(a), [1 / len(a)] * len(a), rounds)
        pooled_a = (draws @ a)[:, 0] / (draws @ a)[:, 1]
        pooled_b = (draws @ b)[:, 0] / (draws @ b)[:, 1]
        return tuple(np.quantile(pooled_a - pooled_b, [0.025, 0.975]))
        """,
    ],
}
