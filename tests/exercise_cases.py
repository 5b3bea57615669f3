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


def _skip_taps_with(value: str, strides: str, size: str = "(height // stride,)") -> str:
    """A skip_taps answer right in every way except what it keeps, for which strides, at which size."""
    return f"""
    height = encoder.input.shape[1]
    last = {{}}
    for layer in encoder.layers:
        shape = layer.output.shape
        if len(shape) == 4:
            for stride in {strides}:
                if shape[1] in {size}:
                    last[stride] = {value}
    return [last[stride] for stride in {strides}]
    """


def _compile_with(rate="rate", optimizer="keras.optimizers.Adam(rate)",
                  loss="uh.losses.CrossEntropyDiceLoss(from_logits=False)",
                  schedule="keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps, alpha=0.01)",
                  metrics=None, jit="jit_compile", condition="decay_steps is not None"):
    """The model answer of exercise 4.1 with one part replaced (planted mistakes)."""
    metrics = metrics or """[
            uh.metrics.SegmentationIoU(class_id=1, num_classes=2, name="pet_iou"),
            uh.metrics.SegmentationIoU(num_classes=2, name="mean_iou"),
            uh.metrics.SegmentationDice(class_id=1, num_classes=2, name="pet_dice"),
            keras.metrics.BinaryAccuracy(name="pixel_accuracy"),
        ]"""
    return f"""
    rate = learning_rate
    if {condition}:
        rate = {schedule}
    model.compile(optimizer={optimizer}, loss={loss}, metrics={metrics}, jit_compile={jit})
    """ if rate == "rate" else f"""
    model.compile(optimizer={optimizer}, loss={loss}, metrics={metrics}, jit_compile={jit})
    """


def _loops_with(down="base_filters * 2**level", bridge="base_filters * 2**depth",
                up_order="reversed(range(depth))", up="base_filters * 2**level",
                levels="range(depth)",
                head='layers.Conv2D(1, 1, padding="same", activation="sigmoid")'):
    """The model answer of exercise 2.3 with one part replaced (planted mistakes)."""
    return f"""
    inputs = keras.Input(input_shape)
    skips, x = [], inputs
    for level in {levels}:
        skip, x = encoder_block(x, {down})
        skips.append(skip)
    x = conv_block(x, {bridge})
    for level in {up_order}:
        x = decoder_block(x, skips[level], {up})
    outputs = {head}(x)
    return keras.Model(inputs, outputs)
    """


def _threshold_by(score=None, choose="np.argmax", empty="1.0"):
    """An exercise 6.2 answer with its score of one threshold (or its choice) replaced."""
    score = score or f"""
            predicted = scores > t
            inter, union = (truth & predicted).sum(axis=(1, 2)), (truth | predicted).sum(axis=(1, 2))
            return np.where(union > 0, inter / np.maximum(union, 1), {empty}).mean()
            """
    return f"""
    truth, scores = np.asarray(truths) == 1, np.asarray(scores)[..., 0]

    def mean_iou(t):{score}
    return candidates[int({choose}([mean_iou(t) for t in candidates]))]
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
        # all four numbers of batch norm, as section 1 counted them
        ("""
        biases = filters if use_bias else 0
        return (kernel_size**2 * (in_channels + filters) * filters + 2 * biases
                + 2 * 4 * filters)
        """, r"only gamma and beta are trained"),
        # biases whatever use_bias says
        ("return kernel_size**2 * (in_channels + filters) * filters + 2 * filters + 4 * filters",
         r"use_bias=False the convolutions have no biases"),
        # no biases ever
        ("return kernel_size**2 * (in_channels + filters) * filters + 4 * filters",
         r"left out the biases"),
        # 3 x 3 whatever kernel_size says
        ("""
        biases = filters if use_bias else 0
        return 9 * (in_channels + filters) * filters + 2 * biases + 4 * filters
        """, r"use kernel_size"),
        # k weights per channel pair instead of k * k
        ("""
        biases = filters if use_bias else 0
        return kernel_size * (in_channels + filters) * filters + 2 * biases + 4 * filters
        """, r"kernel_size\*\*2 weights"),
        # the second convolution fed in_channels
        ("""
        biases = filters if use_bias else 0
        return 2 * (kernel_size**2 * in_channels * filters + biases) + 4 * filters
        """, r"second convolution sees `filters` channels"),
        # batch norm left out
        ("""
        biases = filters if use_bias else 0
        return kernel_size**2 * (in_channels + filters) * filters + 2 * biases
        """, r"left out batch norm"),
    ],
    "ex02_build_unet_loop": [
        # the skips in the order they were made: the shallowest meets the deepest decoder
        (_loops_with(up_order="range(depth)"), r"walk the skips in reverse"),
        # four levels whatever depth says
        (_loops_with(levels="range(4)", up_order="reversed(range(4))"), r"pool `depth`"),
        # the classic 64 filters whatever base_filters says
        (_loops_with(down="64 * 2**level", bridge="64 * 2**depth", up="64 * 2**level"),
         r"`base_filters`"),
        # the bridge as wide as the deepest encoder
        (_loops_with(bridge="base_filters * 2**(depth - 1)"), r"the bridge"),
        # every decoder with the bridge's filters
        (_loops_with(up="base_filters * 2**depth"), r"each decoder the filters"),
        # doubling one level too early
        (_loops_with(down="base_filters * 2**(level + 1)"), r"`base_filters`"),
        # no sigmoid: logits out of a head the loss reads as probabilities
        (_loops_with(head='layers.Conv2D(1, 1, padding="same")'), r"with a sigmoid"),
        # a softmax over two channels instead of one sigmoid channel
        (_loops_with(head='layers.Conv2D(2, 1, padding="same", activation="softmax")'),
         r"to one channel"),
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
        # the library call the exercise asks you to write yourself, with its default: bilinear
        ("return tf.image.resize(mask, (size, size))", r"no class"),
        # the output pixel's corner instead of its centre
        ("""
        rows = (np.arange(size) * mask.shape[0] / size).astype(int)
        cols = (np.arange(size) * mask.shape[1] / size).astype(int)
        return mask[rows][:, cols]
        """, r"half a pixel off"),
        # rounded instead of floored: the last row reaches one past the end
        ("""
        rows = np.round((np.arange(size) + 0.5) * mask.shape[0] / size).astype(int)
        cols = np.round((np.arange(size) + 0.5) * mask.shape[1] / size).astype(int)
        return mask[np.minimum(rows, mask.shape[0] - 1)][:, np.minimum(cols, mask.shape[1] - 1)]
        """, r"Row i takes input row floor"),
        # the rows' scale used for the columns too
        ("""
        rows = np.floor((np.arange(size) + 0.5) * mask.shape[0] / size).astype(int)
        return mask[rows][:, rows]
        """, r"W of the"),
        # a new array of floats, filled pixel by pixel
        ("""
        out = np.zeros((size, size, 1))
        for i in range(size):
            for j in range(size):
                out[i, j] = mask[int((i + 0.5) * mask.shape[0] / size),
                                 int((j + 0.5) * mask.shape[1] / size)]
        return out
        """, r"keep the mask's dtype"),
        # a fixed size
        ("""
        rows = np.floor((np.arange(24) + 0.5) * mask.shape[0] / 24).astype(int)
        cols = np.floor((np.arange(24) + 0.5) * mask.shape[1] / 24).astype(int)
        return mask[rows][:, cols]
        """, r"Asked for size 80, the shape is \(24, 24, 1\)"),
        # the channel axis dropped
        ("""
        rows = np.floor((np.arange(size) + 0.5) * mask.shape[0] / size).astype(int)
        cols = np.floor((np.arange(size) + 0.5) * mask.shape[1] / size).astype(int)
        return mask[rows][:, cols][..., 0]
        """, r"channel kept"),
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
    "ex04_compile_unet": [
        # a constant rate although decay_steps is given
        (_compile_with(rate="const", optimizer="keras.optimizers.Adam(learning_rate)"), r"must follow a cosine"),
        # CosineDecay's default floor: the rate ends at zero
        (_compile_with(schedule="keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps)"), r"alpha=0.01"),
        # a rate typed in instead of the argument
        (_compile_with(schedule="keras.optimizers.schedules.CosineDecay(1e-3, decay_steps, alpha=0.01)"), r"use the `learning_rate` argument"),
        # the decay over a fixed number of steps
        (_compile_with(schedule="keras.optimizers.schedules.CosineDecay(learning_rate, 1000, alpha=0.01)"), r"use the `decay_steps` argument"),
        # another optimizer
        (_compile_with(optimizer="keras.optimizers.SGD(rate)"), r"keras.optimizers.Adam"),
        # cross-entropy alone
        (_compile_with(loss='"binary_crossentropy"'), r"cross-entropy \+ Dice"),
        # the sigmoid head's probabilities taken for logits
        (_compile_with(loss="uh.losses.CrossEntropyDiceLoss(from_logits=True)"), r"from_logits=False"),
        # Keras's generic accuracy instead of the segmentation metrics
        (_compile_with(metrics='["accuracy"]'), r"Missing metric\(s\) pet_iou"),
        # the background's IoU under the pet's name
        (_compile_with(metrics="""[
            uh.metrics.SegmentationIoU(class_id=0, num_classes=2, name="pet_iou"),
            uh.metrics.SegmentationIoU(num_classes=2, name="mean_iou"),
            uh.metrics.SegmentationDice(class_id=1, num_classes=2, name="pet_dice"),
            keras.metrics.BinaryAccuracy(name="pixel_accuracy"),
        ]"""), r"class_id=1"),
        # jit_compile left at Keras's default
        (_compile_with(jit='"auto"'), r"not compiled with XLA"),
        # the cosine even without a step count
        (_compile_with(condition="True", schedule="keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps or 1, alpha=0.01)"), r"decay_steps=None the rate must stay"),
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
    "ex05_cosine_rate": [
        # a straight line from peak to floor * peak
        ("return peak * (floor + (1 - floor) * (1 - min(1.0, fraction)))", r"straight line"),
        # the cosine down to zero, no floor
        ("return peak * 0.5 * (1 + math.cos(math.pi * min(1.0, fraction)))", r"not at zero"),
        # cos(pi * f) without 0.5 * (1 + ...): ends at -peak
        ("return peak * math.cos(math.pi * min(1.0, fraction))", r"negative"),
        # no clamp: after the end the cosine climbs again
        ("return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * fraction)))",
         r"min\(1, fraction\)"),
        # a fixed floor of 0.01 instead of the argument
        ("return peak * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, fraction))))",
         r"use the `floor` argument"),
        # the floor taken as a rate, not a share of the peak
        ("return floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, fraction)))",
         r"share of the peak"),
        # a cosine over a quarter period: never reaches the floor on time
        ("return peak * (floor + (1 - floor) * math.cos(math.pi / 2 * min(1.0, fraction)))",
         r"expected"),
    ],
    "ex05_pet_outline": [
        # the argmax: background where pet and border together outweigh it
        ("return (np.argmax(probabilities, axis=-1) != 1).astype(np.uint8)", r"add the two"),
        # the pet alone: the border left out of the outline
        ("return (np.asarray(probabilities)[..., 0] > 0.5).astype(np.uint8)",
         r"border \(channel 2\) is part"),
        # channel 0 taken for the background
        ("return (1 - np.asarray(probabilities)[..., 0] > 0.5).astype(np.uint8)",
         r"Channel 0 is the pet"),
        # pet and background added
        ("""
        p = np.asarray(probabilities)
        return (p[..., 0] + p[..., 1] > 0.5).astype(np.uint8)
        """, r"add channels 0 and 2"),
        # >= instead of >
        ("""
        p = np.asarray(probabilities)
        return (p[..., 0] + p[..., 2] >= 0.5).astype(np.uint8)
        """, r"use > 0.5"),
        # the channel axis kept
        ("""
        p = np.asarray(probabilities)
        return (p[..., 0:1] + p[..., 2:3] > 0.5).astype(np.uint8)
        """, r"drop the channel axis"),
        # written for one image: the batch's first axis taken for rows
        ("""
        p = np.asarray(probabilities)
        return (p[:, :, 0] + p[:, :, 2] > 0.5).astype(np.uint8)
        """, r"\[\.\.\., k\]"),
        # probabilities instead of a mask
        ("""
        p = np.asarray(probabilities)
        return p[..., 0] + p[..., 2]
        """, r"0 \(background\) and 1"),
    ],
    "ex05_balanced_weights": [
        # proportional to the counts, not inversely
        ("""
        counts = np.asarray(counts, dtype=float)
        return counts / counts.mean()
        """, r"\*inversely\*"),
        # inverse shares, not scaled to mean 1
        ("""
        counts = np.maximum(np.asarray(counts, dtype=float), 1)
        return counts.sum() / counts
        """, r"have mean"),
        # scaled to sum 1 instead of mean 1
        ("""
        counts = np.maximum(np.asarray(counts, dtype=float), 1)
        weights = 1 / counts
        return weights / weights.sum()
        """, r"sum to 1"),
        # no guard for an empty class: an infinite weight
        ("""
        counts = np.asarray(counts, dtype=float)
        weights = counts.sum() / counts
        return weights / weights.mean()
        """, r"count it as one"),
        # written for two classes only
        ("""
        pet, background = counts[0], counts[1]
        weights = np.array([background, pet], dtype=float) / (pet + background) * 2
        return weights
        """, r"for 3 classes"),
        # the empty class dropped to weight 0 instead of counted as one pixel
        ("""
        counts = np.asarray(counts, dtype=float)
        weights = np.where(counts > 0, counts.sum() / np.where(counts > 0, counts, 1), 0)
        return weights / weights.mean()
        """, r"count the empty class"),
    ],
    "ex06_iou_from_confusion": [
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
    "ex06_best_threshold": [
        # the pooled IoU of all pixels: section 5's question, not this one
        (_threshold_by("""
            predicted = scores > t
            return (truth & predicted).sum() / (truth | predicted).sum()
            """), r"best \*pooled\* IoU"),
        # the argmin
        (_threshold_by(choose="np.argmin"), r"\*lowest\* mean IoU"),
        # the best mean itself instead of its threshold
        ("""
        truth, scores = np.asarray(truths) == 1, np.asarray(scores)[..., 0]
        means = []
        for t in candidates:
            predicted = scores > t
            inter, union = (truth & predicted).sum(axis=(1, 2)), (truth | predicted).sum(axis=(1, 2))
            means.append(np.where(union > 0, inter / np.maximum(union, 1), 1.0).mean())
        return max(means)
        """, r"return the threshold that gives"),
        # a loop that keeps the last of a tie
        ("""
        truth, scores = np.asarray(truths) == 1, np.asarray(scores)[..., 0]
        best, chosen = -1.0, None
        for t in candidates:
            predicted = scores > t
            inter, union = (truth & predicted).sum(axis=(1, 2)), (truth | predicted).sum(axis=(1, 2))
            mean = np.where(union > 0, inter / np.maximum(union, 1), 1.0).mean()
            if mean >= best:
                best, chosen = mean, t
        return chosen
        """, r"return the first of them"),
        # an image without pet, predicted without pet, counted as 0
        (_threshold_by(empty="0.0"), r"count its IoU as 1.0"),
        # the mean over the pixels' axis instead of the images'
        (_threshold_by("""
            predicted = scores > t
            inter, union = (truth & predicted).sum(axis=0), (truth | predicted).sum(axis=0)
            return np.where(union > 0, inter / np.maximum(union, 1), 1.0).mean()
            """), r"each image's IoU first"),
    ],
    "ex07_network_input": [
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
    "ex07_flip_average": [
        ("return (predict(photo) + predict(photo[:, ::-1])) / 2", r"flip them back"),
        ("return (predict(photo) + predict(photo[::-1])[::-1]) / 2", r"upside down"),
        ("""
        labels = predict(photo) > 0.5
        return (labels + (predict(photo[:, ::-1])[:, ::-1] > 0.5)) / 2
        """, r"not labels"),
        ("return predict(photo[:, ::-1])[:, ::-1]", r"Not the average"),
        ("return predict(photo) + predict(photo[:, ::-1])[:, ::-1]", r"Not the average"),
    ],
    "ex08_scaled_gflops": [
        ("return gflops * width_factor * size_factor**2", r"linear in the width"),
        ("return gflops * width_factor**2 * size_factor", r"linear in the side"),
        ("return gflops * width_factor**2 + size_factor**2", r"expected"),
        ("return gflops * 2 * width_factor * size_factor", r"expected|linear"),
    ],
    "ex08_paired_interval": [
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
    "ex09_skip_taps": [
        ("""
        height = encoder.input.shape[1]
        first = {}
        for layer in encoder.layers:
            shape = layer.output.shape
            if len(shape) == 4:
                for stride in strides:
                    if shape[1] == height // stride and stride not in first:
                        first[stride] = layer.name
        return [first[stride] for stride in strides]
        """, r"\*first\* layer"),
        (_skip_taps_with("layer.name", "strides[::-1]"), r"deepest first"),
        (_skip_taps_with("layer", "strides"), r"returned layers"),
        (_skip_taps_with("layer.name", "(1,) + tuple(strides)"), r"returned 6 names"),
        (_skip_taps_with("layer.name", "strides[1:]"), r"returned 4 names"),
        (_skip_taps_with("layer.name", "strides", size="(height // stride, height // stride + 1)"), r"ZeroPadding2D"),
    ],
    "ex09_unfreeze_encoder": [
        ("""
        model.get_layer("encoder").trainable = True
        return model
        """, r"Every batch norm of the encoder is trainable"),
        ("""
        encoder = model.get_layer("encoder")
        for layer in encoder.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
        encoder.trainable = True
        return model
        """, r"\*after\* encoder.trainable = True"),
        ("""
        encoder = model.get_layer("encoder")
        encoder.trainable = True
        for layer in encoder.layers:
            if "bn" in layer.name:
                layer.trainable = False
        return model
        """, r"still trainable.*by type"),
        ("""
        for layer in model.get_layer("encoder").layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
        return model
        """, r"still cannot learn"),
        ("""
        encoder = model.get_layer("encoder")
        encoder.trainable = True
        for layer in encoder.layers + model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
        return model
        """, r"decoder's batch norm"),
        ("""
        for layer in model.get_layer("encoder").layers:
            layer.trainable = isinstance(layer, keras.layers.BatchNormalization)
        return model
        """, r"still cannot learn"),
        ("""
        model.trainable = True
        return model
        """, r"still cannot learn"),
    ],
}


# --- other right answers: written differently, each must pass its check ----------------------

EQUIVALENTS = {
    "ex04_compile_unet": [
        # the package's loss and metrics by name, keyword arguments, another test for None
        """
        if decay_steps:
            learning_rate = keras.optimizers.schedules.CosineDecay(
                initial_learning_rate=learning_rate, decay_steps=decay_steps, alpha=0.01)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                      loss=uh.losses.make_loss("crossentropy+dice"),
                      metrics=uh.metrics.segmentation_metrics("binary"),
                      jit_compile=jit_compile)
        """,
        # the package's own call
        """
        uh.compile_model(model, learning_rate=learning_rate, decay_steps=decay_steps,
                         jit_compile=jit_compile)
        """,
    ],
    "ex01_conv_block_params": [
        # layer by layer, with the notebook's own helpers
        """
        def trained_conv(c_in, c_out):
            return kernel_size * kernel_size * c_in * c_out + (c_out if use_bias else 0)

        batch_norm = 2 * filters
        return (trained_conv(in_channels, filters) + batch_norm
                + trained_conv(filters, filters) + batch_norm)
        """,
    ],
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
    "ex02_build_unet_loop": [
        # the package's own network
        "return uh.build_unet(input_shape, base_filters=base_filters, depth=depth)",
        # a list of filters, and the skips popped from the end
        """
        filters = [base_filters * 2**level for level in range(depth + 1)]
        x = inputs = keras.Input(input_shape)
        skips = []
        for width in filters[:-1]:
            skip, x = encoder_block(x, width)
            skips.append(skip)
        x = conv_block(x, filters[-1])
        for width in reversed(filters[:-1]):
            x = decoder_block(x, skips.pop(), width)
        return keras.Model(inputs, layers.Conv2D(1, 1, activation="sigmoid")(x))
        """,
    ],
    "ex03_resize_mask": [
        # the rows and columns chosen with np.ix_, the indices clipped for safety
        """
        height, width = mask.shape[:2]
        rows = np.minimum(((np.arange(size) + 0.5) * height / size).astype(int), height - 1)
        cols = np.minimum(((np.arange(size) + 0.5) * width / size).astype(int), width - 1)
        return mask[np.ix_(rows, cols)]
        """,
        # TensorFlow's own, for comparison
        'return tf.image.resize(mask, (size, size), method="nearest")',
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
    "ex05_cosine_rate": [
        # the package's own curve
        "return uh.training.TimeBudget(1, peak=peak, floor=floor).rate(fraction)",
        # a cosine from peak to the end rate, written with numpy
        """
        end = floor * peak
        fraction = np.clip(fraction, 0, 1)
        return float(end + (peak - end) * (1 + np.cos(np.pi * fraction)) / 2)
        """,
    ],
    "ex05_pet_outline": [
        # one minus the background, as a boolean mask
        "return 1 - np.asarray(probabilities)[..., 1] > 0.5",
        # in TensorFlow
        """
        p = tf.convert_to_tensor(probabilities)
        return tf.cast(p[..., 0] + p[..., 2] > 0.5, tf.uint8).numpy()
        """,
    ],
    "ex05_balanced_weights": [
        # n / (k * n_c), the formula scikit-learn calls "balanced", then mean 1
        """
        counts = np.clip(np.array(counts, dtype=float), 1, None)
        weights = counts.sum() / (len(counts) * counts)
        return list(weights / np.mean(weights))
        """,
        "return uh.training.balanced_weights(counts)",
    ],
    "ex06_best_threshold": [
        # image by image in a loop
        """
        best, chosen = -1.0, None
        for t in candidates:
            ious = []
            for truth, score in zip(truths, scores):
                pet, predicted = truth == 1, score[..., 0] > t
                union = (pet | predicted).sum()
                ious.append((pet & predicted).sum() / union if union else 1.0)
            if np.mean(ious) > best:
                best, chosen = np.mean(ious), t
        return chosen
        """,
    ],
    "ex07_network_input": [
        """
        if scale_to == "auto":
            return [train_size, train_size]
        side = 2**depth
        shape = photo_shape if scale_to is None else (scale_to, scale_to)
        return [-(-n // side) * side for n in shape]
        """,
    ],
    "ex07_flip_average": [
        "return (predict(photo) + tf.reverse(predict(tf.reverse(photo, [1])), [1])) / 2",
        "return np.mean([predict(photo), predict(photo[:, ::-1])[:, ::-1]], axis=0)",
    ],
    "ex08_scaled_gflops": [
        "return gflops * (width_factor * size_factor) ** 2",
    ],
    "ex08_paired_interval": [
        """
        a, b = np.asarray(overlaps_a, float), np.asarray(overlaps_b, float)
        draws = np.random.default_rng(1).multinomial(len(a), [1 / len(a)] * len(a), rounds)
        pooled_a = (draws @ a)[:, 0] / (draws @ a)[:, 1]
        pooled_b = (draws @ b)[:, 0] / (draws @ b)[:, 1]
        return tuple(np.quantile(pooled_a - pooled_b, [0.025, 0.975]))
        """,
    ],
    "ex09_skip_taps": [
        """
        height = encoder.input.shape[1]
        names = []
        for stride in strides:
            there = [layer.name for layer in encoder.layers
                     if len(layer.output.shape) == 4 and layer.output.shape[1] == height // stride]
            names.append(there[-1])
        return names
        """,
    ],
    "ex09_unfreeze_encoder": [
        """
        encoder = model.get_layer("encoder")
        encoder.trainable = True
        for layer in encoder.layers:
            layer.trainable = not isinstance(layer, keras.layers.BatchNormalization)
        """,
        """
        model.get_layer("encoder").trainable = True
        for layer in model.get_layer("encoder").layers:
            if "bn" in layer.name.lower():
                layer.trainable = False
        return model
        """,
    ],
}
