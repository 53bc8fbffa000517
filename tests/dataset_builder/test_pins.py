"""The pin table and the sha256 check."""

from __future__ import annotations

import re
import shutil

import pytest

from dataset_builder.pins import PINS, SourceFileError, build_files, sha256_file, verify
from dataset_builder.sources import source_files


def test_the_shared_sources_match_every_pin(sources_dir):
    for pin in PINS.values():
        path = sources_dir / pin.path
        assert path.stat().st_size == pin.size, pin.path
        assert sha256_file(path) == pin.sha256, pin.path


def test_pins_are_complete_and_well_formed():
    assert sorted(source_files()) == sorted(build_files())
    for pin in PINS.values():
        assert re.fullmatch(r"[0-9a-f]{64}", pin.sha256) and re.fullmatch(r"[0-9a-f]{40}", pin.commit)
        assert pin.raw_url().startswith(f"https://raw.githubusercontent.com/{pin.repo}/{pin.commit}/")


@pytest.mark.parametrize("damage", ["missing", "altered"])
def test_verify_names_the_file_the_hashes_and_the_fix(sources_dir, tmp_path, damage):
    rel = "apibank/benchmarks/API-Bank/level-3-api_processed.json"
    (tmp_path / rel).parent.mkdir(parents=True)
    if damage == "altered":
        shutil.copyfile(sources_dir / rel, tmp_path / rel)
        (tmp_path / rel).write_bytes((tmp_path / rel).read_bytes()[:-1])
    with pytest.raises(SourceFileError) as info:
        verify(tmp_path, [rel])
    text = str(info.value)
    assert rel in text and str(tmp_path / rel) in text and PINS[rel].sha256 in text
    assert "robustbench-tc fetch-sources --out DIR" in text
    if damage == "altered":
        assert sha256_file(tmp_path / rel) in text
