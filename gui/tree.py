"""A Qt-free tree of labelled rows: what the preview and result views show.

The builders (:mod:`.preview`, :mod:`.results`) turn core objects into :class:`Node` trees with
plain Python; :class:`mergesmith.gui.tree_model.NodeTreeModel` shows any such tree in a Qt view.
Keeping the tree free of Qt lets the builders be tested without a display, and keeps every node
alive for as long as the root is (the model hands raw references to Qt in ``createIndex``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from mergesmith.core.problems import ERROR, INFO, WARNING

# statuses a row can carry (drawn as icons): the core's severities and OK; None means "no status"
OK = "ok"
STATUS_ORDER = {ERROR: 0, WARNING: 1, INFO: 2, OK: 3}


@dataclass(eq=False)
class Node:
    """One row: a name, a line of details, an optional size in bytes, a status and children.

    ``icon`` names an SVG in ``mergesmith.resources/icons`` (used when there is no status);
    ``payload`` carries the core object the row stands for (a Component, a Problem, a path).
    """

    name: str
    details: str = ""
    size: Optional[int] = None
    status: Optional[str] = None
    icon: Optional[str] = None
    tooltip: str = ""
    payload: Any = None
    children: list["Node"] = field(default_factory=list)
    parent: Optional["Node"] = field(default=None, repr=False)
    _row: int = field(default=0, repr=False)

    def add(self, child: "Node") -> "Node":
        """Append ``child`` and return it (so builders can chain)."""
        child.parent = self
        child._row = len(self.children)
        self.children.append(child)
        return child

    def row(self) -> int:
        """This node's index among its parent's children."""
        return self._row

    def walk(self) -> Iterator["Node"]:
        """This node and every descendant, depth first."""
        yield self
        for c in self.children:
            yield from c.walk()

    def find(self, name: str) -> Optional["Node"]:
        """The first descendant (or self) called ``name``."""
        return next((n for n in self.walk() if n.name == name), None)

    def path(self) -> list[str]:
        """Names from the top-level row down to this one (the invisible root excluded)."""
        names = []
        node: Optional[Node] = self
        while node is not None and node.parent is not None:
            names.append(node.name)
            node = node.parent
        return names[::-1]


def worst(statuses) -> Optional[str]:
    """The most severe of ``statuses`` (None when there are none)."""
    found = [s for s in statuses if s in STATUS_ORDER]
    return min(found, key=STATUS_ORDER.__getitem__) if found else None
