"""The disk cache of checked layers: a hit gives the same data without checking the files again; a changed file,
a damaged or foreign entry and an unwritable folder all fall back to checking the files."""
from __future__ import annotations

import pytest
import shapely

from euphrates import geodata, geodata_cache
from euphrates.geodata import DEFAULT_GEODATA_DIR, directory_signature

LOAD = geodata._load_cached.__wrapped__  # without the in-process cache


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EUPHRATES_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def load():
    return LOAD(DEFAULT_GEODATA_DIR, directory_signature(DEFAULT_GEODATA_DIR))


def no_checking(monkeypatch):
    def refuse(*_args):
        raise AssertionError("the files were checked again")
    monkeypatch.setattr(geodata, "_load_layer", refuse)


def assert_same(first: geodata.GeoData, second: geodata.GeoData) -> None:
    assert first.ok and second.ok
    assert list(first.layers) == list(second.layers)
    for name, layer in first.layers.items():
        other = second.layers[name]
        assert layer.records == other.records, name
        assert all(shapely.equals_exact(a, b, 0) for a, b in zip(layer.frame.geometry, other.frame.geometry)), name
        assert layer.frame.drop(columns="geometry").equals(other.frame.drop(columns="geometry")), name


def test_a_second_process_reads_the_checked_layers_from_the_cache(cache_dir, monkeypatch):
    checked = load()
    assert len(list(cache_dir.glob("geodata-*.bin"))) == 1
    no_checking(monkeypatch)
    assert_same(checked, load())


def test_the_key_changes_with_any_byte_of_a_data_file(tmp_path):
    data = tmp_path / "towns.geojson"
    data.write_text('{"type": "FeatureCollection", "features": []}')
    before = geodata_cache.key([data])
    data.write_text('{"type": "FeatureCollection", "features": [] }')
    assert geodata_cache.key([data]) != before
    assert geodata_cache.key([tmp_path / "missing.geojson"]) is None


@pytest.mark.parametrize("damage", [
    lambda entry: entry.write_bytes(b"not an entry"),
    lambda entry: entry.write_bytes(entry.read_bytes()[:-100]),  # cut short
    lambda entry: entry.write_bytes(entry.read_bytes().replace(b'"controller":"isis"', b'"controller":"ISIS"', 1)),
])
def test_a_damaged_entry_is_checked_again_and_replaced(cache_dir, damage):
    checked = load()
    (entry,) = cache_dir.glob("geodata-*.bin")
    damage(entry)
    assert_same(checked, load())
    assert geodata_cache.read(entry.name.removeprefix("geodata-").removesuffix(".bin")) is not None


def test_an_entry_missing_a_layer_is_checked_again(cache_dir):
    checked = load()
    (entry,) = cache_dir.glob("geodata-*.bin")
    key = entry.name.removeprefix("geodata-").removesuffix(".bin")
    layers = geodata_cache.read(key)
    del layers["towns"]
    geodata_cache.write(key, layers)
    assert_same(checked, load())


def test_a_cache_folder_that_cannot_be_written_only_costs_time(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("EUPHRATES_CACHE_DIR", str(blocker / "cache"))
    assert load().ok
    assert "cannot write the geodata cache" in caplog.text


def test_other_folders_are_not_cached(cache_dir, small_geodata):
    assert geodata.load_geodata(small_geodata).ok
    assert not cache_dir.exists()
