"""Safetensors files whose header lies, each built from a valid file: name -> mutation.

A mutation takes the valid file's (header dict, data bytes) and returns (header dict or raw
header bytes, data bytes, header length to write or None for the true one). Shared by the
hostile-file tests and the fuzz test (which starts from these too).
"""

from __future__ import annotations

import json


def _by_offset(h: dict) -> list[str]:
    return sorted((k for k in h if k != "__metadata__"), key=lambda k: h[k]["data_offsets"][0])


def _first(h):
    return _by_offset(h)[0]


def _last(h):
    return _by_offset(h)[-1]


def offsets_out_of_range(h, d):
    k = _last(h)
    a, b = h[k]["data_offsets"]
    h[k]["data_offsets"] = [a + 4096, b + 4096]
    return h, d, None


def overlapping(h, d):
    k1, k2 = _by_offset(h)[:2]
    h[k2] = dict(h[k1])  # two names for the same bytes
    return h, d, None


def gap(h, d):
    k = _last(h)
    a, b = h[k]["data_offsets"]
    h[k]["data_offsets"] = [a + 8, b + 8]
    return h, d[:a] + b"\0" * 8 + d[a:], None


def start_after_end(h, d):
    k = _first(h)
    a, b = h[k]["data_offsets"]
    h[k]["data_offsets"] = [b, a]
    return h, d, None


def wrong_dtype_size(h, d):
    k = _first(h)
    h[k]["dtype"] = {"F32": "F16", "BF16": "F32", "F16": "F32"}.get(h[k]["dtype"], "F64")
    return h, d, None


def unknown_dtype(h, d):
    h[_first(h)]["dtype"] = "Q4_K"
    return h, d, None


def negative_shape(h, d):
    k = _first(h)
    rows, cols = h[k]["shape"]
    h[k]["shape"] = [-rows, -cols]  # the product is still right
    return h, d, None


def float_shape(h, d):
    k = _first(h)
    h[k]["shape"] = [x + 0.5 for x in h[k]["shape"]]
    return h, d, None


def string_shape(h, d):
    k = _first(h)
    h[k]["shape"] = [str(x) for x in h[k]["shape"]]
    return h, d, None


def huge_number(h, d):
    raw = json.dumps(h).replace('"shape": [', '"shape": [1e999, ', 1).encode()
    return raw, d, None


def bool_offsets(h, d):
    k = _first(h)
    h[k]["data_offsets"] = [False, True]
    h[k]["shape"] = [1]
    h[k]["dtype"] = "U8"
    return h, d, None


def entry_not_an_object(h, d):
    h[_first(h)] = 5
    return h, d, None


def missing_field(h, d):
    del h[_first(h)]["data_offsets"]
    return h, d, None


def metadata_not_an_object(h, d):
    h["__metadata__"] = 5
    return h, d, None


def metadata_not_strings(h, d):
    h["__metadata__"] = {"format": ["pt"]}
    return h, d, None


def header_is_a_list(h, d):
    return b"[1, 2, 3]", d, None


def header_not_json(h, d):
    return b"{this is not json" + b" " * 7, d, None


def header_not_utf8(h, d):
    return b'{"\xff\xfe": 1}', d, None


def deeply_nested(h, d):
    return b"[" * 100_000 + b"]" * 100_000, d, None


def header_length_past_end(h, d):
    raw = json.dumps(h).encode()
    return raw, d, len(raw) + len(d) + 1


def header_length_huge(h, d):
    return json.dumps(h).encode(), d, 2 ** 63 + 5


def header_length_short(h, d):
    raw = json.dumps(h).encode()
    return raw, d, len(raw) // 2


def truncated_data(h, d):
    return h, d[: len(d) - 10], None


def no_data(h, d):
    return h, b"", None


LIES = {f.__name__: f for f in (
    offsets_out_of_range, overlapping, gap, start_after_end, wrong_dtype_size, unknown_dtype,
    negative_shape, float_shape, string_shape, huge_number, bool_offsets, entry_not_an_object,
    missing_field, metadata_not_an_object, metadata_not_strings, header_is_a_list, header_not_json,
    header_not_utf8, deeply_nested, header_length_past_end, header_length_huge, header_length_short,
    truncated_data, no_data)}
