"""A small read-only Qt model over a :class:`mergesmith.gui.tree.Node` tree.

Three columns: name (with a status or kind icon), details, size. The model never copies the
tree: indexes point at the nodes themselves (``createIndex(row, column, node)``), which the root
keeps alive; :meth:`NodeTreeModel.set_root` swaps the whole tree in one reset. ``NodeRole``
returns the node, ``PayloadRole`` the core object behind it, ``StatusRole`` its status.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QT_TRANSLATE_NOOP, QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QHeaderView, QStyledItemDelegate, QTreeView, QWidget


from .i18n import severity_word, size_text, translate
from .icons import icon, status_icon
from .tree import Node

NodeRole = Qt.ItemDataRole.UserRole + 1
PayloadRole = Qt.ItemDataRole.UserRole + 2
StatusRole = Qt.ItemDataRole.UserRole + 3


Index = QModelIndex | QPersistentModelIndex


class NodeTreeModel(QAbstractItemModel):
    """Show a :class:`Node` tree (its root is invisible; its children are the top rows)."""

    HEADERS = (QT_TRANSLATE_NOOP("TreeModel", "Name"), QT_TRANSLATE_NOOP("TreeModel", "Details"),
               QT_TRANSLATE_NOOP("TreeModel", "Size"))

    def __init__(self, root: Optional[Node] = None, parent: Optional[QObject] = None,
                 headers: tuple[str, str, str] = HEADERS) -> None:
        super().__init__(parent)
        self._root = root or Node("")
        self._headers = headers

    # -- the tree
    @property
    def root(self) -> Node:
        return self._root

    def set_root(self, root: Optional[Node]) -> None:
        """Show another tree (or an empty one)."""
        self.beginResetModel()
        self._root = root or Node("")
        self.endResetModel()

    def node(self, index: Index) -> Node:
        """The node behind ``index`` (the root for an invalid index)."""
        if index.isValid():
            found = index.internalPointer()
            if isinstance(found, Node):
                return found
        return self._root

    def index_of(self, node: Node, column: int = 0) -> QModelIndex:
        if node is self._root or node.parent is None:
            return QModelIndex()
        return self.createIndex(node.row(), column, node)

    # -- QAbstractItemModel
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        if column < 0 or column >= len(self._headers) or row < 0:
            return QModelIndex()
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        p = self.node(parent)
        if row >= len(p.children):
            return QModelIndex()
        # Nodes are kept alive by the root: a raw reference is safe here (see napari's
        # QtNodeTreeModel.index on why createIndex must never get a temporary object).
        return self.createIndex(row, column, p.children[row])

    def parent(self, index: Index = None) -> QModelIndex:  # type: ignore[override]
        if index is None:  # QObject.parent()
            return super().parent()  # type: ignore[return-value]
        if not index.isValid():
            return QModelIndex()
        node = self.node(index)
        p = node.parent
        if p is None or p is self._root:
            return QModelIndex()
        return self.createIndex(p.row(), 0, p)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self.node(parent).children)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(self._headers)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:
        return self.rowCount(parent) > 0

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < len(self._headers):
                return translate("TreeModel", self._headers[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        node = self.node(index)
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return node.name
            if col == 1:
                return node.details
            return "" if node.size is None else size_text(node.size)
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            if node.status:
                return status_icon(node.status)
            if node.icon:
                return icon(node.icon)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(node)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            word = severity_word(node.status) if node.status else ""
            parts = [word, node.name, node.details,
                     "" if node.size is None else size_text(node.size)]
            return ", ".join(p for p in parts if p)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == NodeRole:
            return node
        if role == PayloadRole:
            return node.payload
        if role == StatusRole:
            return node.status
        return None

    @staticmethod
    def _tooltip(node: Node) -> str:
        text = node.tooltip or node.details or node.name
        if node.size is not None:
            text += "\n" + translate("TreeModel", "{0} bytes").format(f"{node.size:,}")
        return text


class WrappingDelegate(QStyledItemDelegate):
    """Rows as tall as their wrapped text at the column's current width (QTreeView's own size hint
    measures text on one line, so a long sentence would be cut off with an ellipsis)."""

    def __init__(self, view: QTreeView) -> None:
        super().__init__(view)
        self._view = view

    def sizeHint(self, option, index) -> QSize:
        hint = super().sizeHint(option, index)
        if index.column() != 1:
            return hint
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        width = self._view.header().sectionSize(1) - 8
        if not text or width <= 0:
            return hint
        rect = option.fontMetrics.boundingRect(QRect(0, 0, width, 100_000),
                                               int(Qt.TextFlag.TextWordWrap), text)
        return QSize(hint.width(), max(hint.height(), rect.height() + 4))


def node_tree_view(parent: QWidget, model: NodeTreeModel, name: str, tooltip: str,
                   first_width: int) -> QTreeView:
    """A read-only tree view over ``model``: name column sized by hand, details stretching."""
    view = QTreeView(parent)
    view.setModel(model)
    view.setAccessibleName(name)
    view.setToolTip(tooltip)
    # long details (a problem's sentence in a Status column) wrap onto more lines instead of being
    # cut off with an ellipsis; rows are laid out again when a column's width changes
    view.setWordWrap(True)
    view.setUniformRowHeights(False)
    view.setItemDelegate(WrappingDelegate(view))
    view.setAlternatingRowColors(True)
    header = view.header()
    header.sectionResized.connect(lambda *_: view.doItemsLayout())
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
    header.resizeSection(0, first_width)
    return view
