"""Code that a notebook teaches inline must build exactly what the package builds."""

import ast

import keras
import nbformat
import pytest
from conftest import ROOT

from unet_helpers.blocks import conv_block, decoder_block, encoder_block
from unet_helpers.model import build_unet


def inline_functions(notebook: str, names: set, namespace: dict) -> dict:
    """Execute the notebook cells that define ``names`` and return the functions."""
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    found = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        if defined & names:
            exec(compile(tree, notebook, "exec"), namespace)
            found.update({name: namespace[name] for name in defined & names})
    assert set(found) == names, f"{notebook} no longer defines {names - set(found)}"
    return found


def layer_configs(model: keras.Model) -> list:
    """Each layer's class and configuration, without the (auto-generated) names."""
    configs = []
    for layer in model.layers:
        config = {k: v for k, v in layer.get_config().items() if k != "name"}
        configs.append((type(layer).__name__, config))
    return configs


@pytest.fixture(scope="module")
def notebook01():
    namespace = {"keras": keras, "layers": keras.layers}
    return inline_functions("01_building_blocks.ipynb",
                            {"conv_block", "encoder_block", "decoder_block"}, namespace)


def test_conv_block_matches(notebook01):
    x = keras.Input((16, 16, 5))
    inline = keras.Model(x, notebook01["conv_block"](x, 7))
    package = keras.Model(x, conv_block(x, 7))
    assert layer_configs(inline) == layer_configs(package)


def test_encoder_block_matches(notebook01):
    x = keras.Input((16, 16, 5))
    inline = keras.Model(x, list(notebook01["encoder_block"](x, 6)))
    package = keras.Model(x, list(encoder_block(x, 6)))
    assert layer_configs(inline) == layer_configs(package)


def test_decoder_block_matches(notebook01):
    below, skip = keras.Input((8, 8, 12)), keras.Input((16, 16, 6))
    inline = keras.Model([below, skip], notebook01["decoder_block"](below, skip, 6))
    package = keras.Model([below, skip], decoder_block(below, skip, 6))
    assert layer_configs(inline) == layer_configs(package)


def test_the_comparison_can_fail(notebook01):
    """A package block with another option must not compare equal to the inline one."""
    x = keras.Input((16, 16, 5))
    inline = keras.Model(x, notebook01["conv_block"](x, 7))
    different = keras.Model(x, conv_block(x, 7, batch_norm=False))
    assert layer_configs(inline) != layer_configs(different)


def test_notebook02_classic_unet_matches_build_unet():
    namespace = {"keras": keras, "layers": keras.layers, "conv_block": conv_block,
                 "encoder_block": encoder_block, "decoder_block": decoder_block}
    classic = inline_functions("02_assembling_the_unet.ipynb", {"build_unet_classic"},
                               namespace)["build_unet_classic"]
    inline = classic((32, 32, 3))
    package = build_unet((32, 32, 3))
    assert layer_configs(inline) == layer_configs(package)
    assert inline.count_params() == package.count_params()


@pytest.fixture(scope="module")
def notebook03():
    import tensorflow as tf

    import unet_helpers as uh

    return inline_functions("03_pet_data.ipynb", {"pet_pipeline"},
                            {"tf": tf, "uh": uh})["pet_pipeline"]


def batches(dataset, epochs=2):
    """Every batch of ``epochs`` passes, as arrays (the second pass reshuffles and re-augments)."""
    return [[(x.numpy(), y.numpy()) for x, y in dataset] for _ in range(epochs)]


def test_notebook03_pipeline_is_what_load_pets_builds(notebook03):
    """Notebook 03 writes the tf.data chain out; uh.load_pets("train") is that chain."""
    import numpy as np

    import unet_helpers as uh

    options = dict(source="generated", limit=20, verbose=False)
    mine = notebook03(uh.raw_pairs("train", **options), 32, 8)
    package = uh.load_pets("train", image_size=32, batch_size=8, augment=True,
                           drop_remainder=True, **options)
    ours, theirs = batches(mine), batches(package)
    assert [len(epoch) for epoch in ours] == [len(epoch) for epoch in theirs] == [2, 2]
    for epoch_ours, epoch_theirs in zip(ours, theirs):
        for (x, y), (x2, y2) in zip(epoch_ours, epoch_theirs):
            np.testing.assert_array_equal(x, x2)
            np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(ours[0][0][0], ours[1][0][0]), "each epoch is new"
    other = batches(notebook03(uh.raw_pairs("train", **options), 32, 8, seed=1), epochs=1)
    assert not np.array_equal(other[0][0][0], theirs[0][0][0]), "the comparison can fail"
    for name in ("cache", "prefetch"):  # the notebook's knobs change speed, not batches
        changed = batches(notebook03(uh.raw_pairs("train", **options), 32, 8, **{name: False}))
        np.testing.assert_array_equal(changed[1][1][0], theirs[1][1][0])


def notebook04_cells(*starts: str) -> list[str]:
    nb = nbformat.read(ROOT / "notebooks" / "04_training.ipynb", as_version=4)
    found = [next((c.source for c in nb.cells if c.cell_type == "code"
                   and c.source.startswith(start)), None) for start in starts]
    assert None not in found, f"notebook 04 no longer has a cell starting with {starts}"
    return found


def compile_settings(model) -> dict:
    """``model.get_compile_config()`` without the optimizer's auto-numbered name (adam_1)."""
    config = model.get_compile_config()
    config["optimizer"]["config"].pop("name")
    return config


@pytest.mark.parametrize("decay_steps,jit_compile", [(37, False), (None, True), (5, "auto")])
def test_notebook04_compile_is_what_compile_model_does(decay_steps, jit_compile):
    """Notebook 04's answer to exercise 4.1 and uh.compile_model compile the same way."""
    import unet_helpers as uh

    namespace = {"keras": keras, "uh": uh}
    exec(notebook04_cells("def compile_unet")[0], namespace)
    mine = build_unet((32, 32, 3), base_filters=4, depth=2)
    namespace["compile_unet"](mine, 0.004, decay_steps, jit_compile=jit_compile)
    package = uh.compile_model(build_unet((32, 32, 3), base_filters=4, depth=2),
                               learning_rate=0.004, decay_steps=decay_steps,
                               jit_compile=jit_compile)
    assert compile_settings(mine) == compile_settings(package)
    other = uh.compile_model(build_unet((32, 32, 3), base_filters=4, depth=2),
                             learning_rate=0.004, decay_steps=decay_steps, loss="dice")
    assert compile_settings(other) != compile_settings(package), "the comparison can fail"


def callback_settings(callbacks) -> list:
    """Each callback's class and what decides its behaviour (paths, monitor, patience...)."""
    keys = ("backup_dir", "filepath", "monitor", "mode", "save_best_only", "best",
            "patience", "filename", "append", "seconds", "state_file", "floor")
    return [(type(c).__name__, {k: str(getattr(c, k)) for k in keys if hasattr(c, k)})
            for c in callbacks]


@pytest.mark.parametrize("profile_name,resuming", [("cpu", False), ("cpu", True),
                                                   ("gpu", False)])
def test_notebook04_callbacks_are_what_make_callbacks_builds(tmp_path, profile_name, resuming):
    """The callbacks list written out in notebook 04 is uh.make_callbacks's (preview apart)."""
    import unet_helpers as uh

    profile, epochs = uh.get_profile(profile_name), 30
    listing, clock = notebook04_cells("MONITOR = ", "clock = None")

    def fresh_folder():
        folder = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        (folder / "clock.json").write_text('{"seconds_spent": 5.0}')
        (folder / "log.csv").write_text("epoch,val_pet_iou\n0,0.25\n1,0.5\n")
        if resuming:
            (folder / "backup").mkdir()
        return folder

    mine_dir, package_dir = fresh_folder(), fresh_folder()
    namespace = {"keras": keras, "uh": uh, "RUN_DIR": mine_dir, "EPOCHS": epochs,
                 "profile": profile}
    exec(listing + "\n" + clock, namespace)
    package = uh.make_callbacks(package_dir, patience=max(10, epochs // 3),
                                minutes=profile.train_minutes)
    mine = callback_settings(namespace["callbacks"])
    theirs = callback_settings(package)
    assert [row[0] for row in mine] == [row[0] for row in theirs]
    assert str(mine).replace(str(mine_dir), "RUN") == str(theirs).replace(str(package_dir), "RUN")
    for name in ("log.csv", "clock.json"):
        assert (mine_dir / name).exists() == (package_dir / name).exists() == resuming
    assert (namespace["clock"] is None) == (profile.train_minutes is None)
