"""plot_architecture draws with Graphviz, or explains and prints text without it."""

import pytest

import unet_helpers
from unet_helpers import diagram
from unet_helpers.model import build_unet


def test_without_graphviz_prints_help_and_outline(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(diagram, "graphviz_available", lambda: False)
    model = build_unet((32, 32, 3), base_filters=4, depth=2)
    assert diagram.plot_architecture(model, tmp_path / "unet.png") is None
    printed = capsys.readouterr().out
    assert "Graphviz is not available" in printed and "apt-get install graphviz" in printed
    assert "bridge" in printed and "total" in printed
    assert not (tmp_path / "unet.png").exists()


@pytest.mark.skipif(not diagram.graphviz_available(), reason="Graphviz's dot is not installed")
def test_with_graphviz_writes_a_png(tmp_path):
    model = build_unet((32, 32, 3), base_filters=4, depth=2)
    target = tmp_path / "figs" / "unet.png"
    image = diagram.plot_architecture(model, target)
    assert image is not None
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_stage_table_adds_up():
    model = build_unet((32, 32, 3), base_filters=4, depth=2)
    rows = unet_helpers.model.stage_table(model)
    assert sum(row["params"] for row in rows) == model.count_params()
    bridge = next(row for row in rows if row["stage"] == "bridge")
    assert bridge["params"] == (9 * 8 * 16 + 16) + (9 * 16 * 16 + 16) + 4 * 16 * 2
    assert [row["stage"] for row in rows][:3] == ["image", "enc1", "enc2"]
    assert rows[-1]["output_shape"] == (None, 32, 32, 1)
    assert f"{model.count_params():,}" in unet_helpers.model.format_stage_table(model)
