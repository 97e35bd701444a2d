"""Classes that run code when unpickled, importable in the test process on purpose.

If Mergesmith's unpickler ever imported and built them, the marker file named in the
``MERGESMITH_TEST_MARKER`` environment variable would appear.
"""

import collections
import os


def _touch():
    open(os.environ["MERGESMITH_TEST_MARKER"], "w").close()


class EvilOrderedDict(collections.OrderedDict):
    """Looks like the OrderedDict every state_dict is, but runs code on ``__setstate__``."""

    def __setstate__(self, state):
        _touch()

    def __reduce__(self):
        return (EvilOrderedDict, (), {"x": 1}, None, iter(self.items()))


class EvilInit:
    def __init__(self, *args):
        _touch()

    def __reduce__(self):
        return (EvilInit, (1,))


class EvilNew:
    def __new__(cls, *args):
        _touch()
        return object.__new__(cls)

    def __reduce_ex__(self, protocol):
        import copyreg

        return (copyreg.__newobj__, (EvilNew, 1), None)
