"""Safetensors files whose header lies, truncated or empty: a clear error naming the file, never
a traceback or a hang, from the header reader, from ``merge`` (adapter or base) and ``inspect``."""

import copy

import pytest

from fixtures.lies import LIES
from mergesmith.core.io.safetensors import CorruptFileError, SafetensorsFile, read_header
from fixtures.cli import assert_clean_failure, run_cli
from fixtures.files import copy_folder, split_safetensors, write_raw_safetensors


def _lie(valid, name, dest):
    h, d = split_safetensors(valid)
    header, data, length = LIES[name](copy.deepcopy(h), d)
    return write_raw_safetensors(dest, header, data, length)


@pytest.mark.parametrize("name", sorted(LIES))
def test_read_header_refuses_lies(adapter, tmp_path, name):
    path = _lie(adapter / "adapter_model.safetensors", name, tmp_path / "adapter_model.safetensors")
    with pytest.raises(CorruptFileError) as err:
        with SafetensorsFile(path) as f:  # reading the header and every tensor
            for t in f.header.tensors:
                f.tensor(t)
    msg = str(err.value)
    assert "adapter_model.safetensors" in msg and "\n" not in msg and len(msg) < 400


@pytest.mark.parametrize("content", [b"", b"\x01\x02\x03", b"\x00" * 8])
def test_empty_and_tiny_files(tmp_path, content):
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    with pytest.raises(CorruptFileError, match="model.safetensors"):
        read_header(path)


def test_header_length_over_100_mb_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "big.safetensors"
    with open(path, "wb") as f:  # a sparse 150 MB file claiming a 120 MB header
        f.write((120 << 20).to_bytes(8, "little"))
        f.truncate(150 << 20)
    with pytest.raises(CorruptFileError, match="header"):
        read_header(path)


def test_an_empty_header_is_a_valid_empty_file(tmp_path):
    path = write_raw_safetensors(tmp_path / "e.safetensors", {})
    assert read_header(path).tensors == {}


@pytest.mark.parametrize("name", ["overlapping", "negative_shape", "gap", "truncated_data",
                                  "header_not_json", "deeply_nested", "metadata_not_an_object"])
def test_merge_with_a_lying_adapter_file(adapter, base, tmp_path, name):
    bad = copy_folder(adapter, tmp_path / "adapter")
    _lie(adapter / "adapter_model.safetensors", name, bad / "adapter_model.safetensors")
    out = tmp_path / "out"
    code, _, err = run_cli("merge", bad, "--base", base, "--out", out)
    assert_clean_failure(code, err, "adapter_model.safetensors")
    assert not out.exists()
    code, out_text, err = run_cli("inspect", bad)
    assert code in (1, 2) and "Traceback" not in err + out_text
    assert "adapter_model.safetensors" in err + out_text


@pytest.mark.parametrize("name", ["offsets_out_of_range", "overlapping", "wrong_dtype_size",
                                  "string_shape", "header_length_huge", "truncated_data", "huge_number"])
def test_merge_into_a_lying_base(adapter, base, tmp_path, name):
    bad = copy_folder(base, tmp_path / "base")
    _lie(base / "model.safetensors", name, bad / "model.safetensors")
    out = tmp_path / "out"
    code, _, err = run_cli("merge", adapter, "--base", bad, "--out", out)
    assert_clean_failure(code, err, "model.safetensors")
    assert not out.exists()
    code, out_text, err = run_cli("inspect", bad)
    assert code == 1 and "corrupt-shard" in out_text and "Traceback" not in err + out_text
