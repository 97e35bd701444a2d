"""Check a merge by recomputing it from its inputs (``compare.verify``)."""
