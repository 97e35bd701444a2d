"""Helpers for the safety tests: run the CLI, check its error contract, craft safetensors files."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """``mergesmith ARGV`` in this process: (exit code, stdout, stderr)."""
    from mergesmith.cli.main import main

    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_failure(code: int, err: str, names, expected=(2,)) -> str:
    """The CLI failed the way the contract says: the expected exit code, one sentence, no traceback.

    ``names`` (a string or several) must each appear in the message, so the user knows which file.
    """
    assert code in expected, (code, err)
    assert "Traceback" not in err and "internal error" not in err, err
    lines = [line for line in err.strip().splitlines() if line.startswith("mergesmith:")]
    assert len(lines) == 1, err
    for name in [names] if isinstance(names, str) else names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def split_safetensors(path: Path) -> tuple[dict, bytes]:
    """(header dict, data bytes) of a safetensors file."""
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def write_safetensors(path: Path, header, data: bytes = b"", length: int | None = None) -> Path:
    """Write a safetensors file from a header (dict, or raw bytes) and data; ``length`` may lie."""
    body = header if isinstance(header, bytes) else json.dumps(header).encode()
    n = len(body) if length is None else length
    Path(path).write_bytes(struct.pack("<Q", n) + body + data)
    return Path(path)


def copy_folder(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst
