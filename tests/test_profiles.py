"""Profiles: chosen by UNET_PROFILE, sensible defaults, helpful errors."""

import pytest

from unet_helpers import get_profile, profiles
from unet_helpers.profiles import PROFILES


def test_env_var_chooses_the_profile(monkeypatch):
    monkeypatch.setenv("UNET_PROFILE", "Smoke ")
    assert get_profile().name == "smoke"
    assert get_profile("gpu").name == "gpu"  # an explicit name wins


@pytest.mark.parametrize("gpu, expected", [(False, "cpu"), (True, "gpu")])
def test_default_follows_the_hardware(monkeypatch, gpu, expected):
    monkeypatch.delenv("UNET_PROFILE", raising=False)
    monkeypatch.setattr(profiles, "gpu_available", lambda: gpu)
    assert get_profile().name == expected


def test_unknown_profile_lists_the_valid_ones(monkeypatch):
    monkeypatch.setenv("UNET_PROFILE", "huge")
    with pytest.raises(ValueError) as info:
        get_profile()
    message = str(info.value)
    assert "UNET_PROFILE='huge'" in message
    assert "cpu, gpu, smoke" in message


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_is_buildable(name):
    profile = PROFILES[name]
    assert profile.image_size % 2**profile.depth == 0
    assert profile.as_dict()["name"] == name


def test_profiles_grow_from_smoke_to_gpu():
    smoke, cpu, gpu = PROFILES["smoke"], PROFILES["cpu"], PROFILES["gpu"]
    assert smoke.image_size < cpu.image_size < gpu.image_size
    assert smoke.base_filters < cpu.base_filters < gpu.base_filters == 64
    assert smoke.data_source == "generated"


def test_describe_device_explains_the_cpu_case(monkeypatch):
    import tensorflow as tf

    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    text = profiles.describe_device()
    assert "no GPU" in text and "Change runtime type" in text
