"""Report, model card part: a README.md whose metadata block the Hub would refuse.

A README without a metadata block is an ordinary README and fine. One with a block is read as
``huggingface_hub.ModelCard.load`` reads it; it gets

* ``bad-model-card`` when the block is not YAML, or not a mapping of keys to values
  (``ModelCard.load`` raises, the Hub refuses the push);
* ``bad-card-metadata`` when a field the Hub checks has the wrong type or value: ``base_model``
  not a string or a list of strings, ``base_model_relation`` not one the Hub knows (or given
  without a ``base_model``), ``tags`` not a list of strings, ``library_name``/``license``/
  ``pipeline_tag`` not text.

A ``base_model`` that is a local path rather than a Hub id is not reported: PEFT writes exactly
that into every adapter saved from a local base, and the model is fine.

Both are warnings: transformers loads the model all the same; publishing it fails or misleads.
"""

from __future__ import annotations

from pathlib import Path

from .. import formats
from ..io.frontmatter import read_front_matter
from .report import Report, join

TEXT_FIELDS = ("library_name", "license", "license_name", "license_link", "pipeline_tag")


def check_card(report: Report, folder: Path, rel: str = "") -> None:
    path = folder / formats.MODEL_CARD
    if not path.is_file():
        return
    file = join(rel, formats.MODEL_CARD)
    fm = read_front_matter(path)
    if fm.error is not None:
        report.problem("bad-model-card", file,
                       f"The metadata block at the top of {file} (between the --- lines) is unusable: {fm.error}. "
                       "The Hub refuses such a card and huggingface_hub cannot load it; correct the YAML, "
                       "or remove the block.")
        return
    if not fm.present:
        return
    report.summary_for(rel)["card"] = {k: fm.data.get(k) for k in ("base_model", "base_model_relation", "license")
                                       if k in fm.data}
    for sentence in metadata_problems(fm.data):
        report.problem("bad-card-metadata", file, f"In the metadata of {file}, {sentence}")


def metadata_problems(data: dict) -> list[str]:
    """A sentence for each field the Hub would refuse or misread (the start of each is lower case)."""
    out = []
    if "base_model" in data:
        out += _base_model_problems(data["base_model"])
    relation = data.get("base_model_relation")
    if "base_model_relation" in data:
        if relation not in formats.BASE_MODEL_RELATIONS:
            out.append(f"base_model_relation is {relation!r}, which the Hub does not know; use one of "
                       f"{', '.join(formats.BASE_MODEL_RELATIONS)}.")
        elif not data.get("base_model"):
            out.append(f"base_model_relation is {relation!r} but no base_model is given; name the base "
                       "model's Hub id, or remove the relation.")
    tags = data.get("tags")
    if "tags" in data and tags is not None and not (
            isinstance(tags, str) or (isinstance(tags, list) and all(isinstance(t, str) for t in tags))):
        out.append("tags must be a list of words; make each tag a string.")
    for key in TEXT_FIELDS:
        value = data.get(key)
        if key in data and value is not None and not isinstance(value, str):
            out.append(f"{key} is a {type(value).__name__}, not text; write it as a single string.")
    return out


def _base_model_problems(value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if value is None or not values:
        return ["base_model is empty; name the base model's Hub id (ORG/NAME), or remove the field."]
    bad_types = [v for v in values if not isinstance(v, str)]
    if bad_types:
        return [f"base_model must be a Hub id or a list of them, but it holds {bad_types[0]!r} "
                f"({type(bad_types[0]).__name__}); write each base model as ORG/NAME."]
    return []
