"""The node registry: action name -> node.

Every folder under ``nodes/`` other than the shared layers (``core``, ``engine``,
``text``) is an action; its ``__init__.py`` calls :func:`register` with the action's name
and where its node class lives. :func:`discover` imports those ``__init__`` modules (cheap:
they import nothing but this module), and a node's own module is imported only when
:func:`get` first asks for it, so a broken optional dependency of one node cannot stop
the others from serving. The HTTP routes, batch routes, schema endpoints, OpenAPI entries
and CLI commands all come from here: adding an action is adding one folder.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nodes.core.node import Node

#: the packages under ``nodes/`` that are layers, not actions
LAYERS = frozenset({"core", "engine", "text"})


@dataclass(frozen=True)
class Entry:
    """One registered action."""

    name: str
    #: ``"package.module:ClassName"`` of the node
    path: str
    #: listed in discovery (``/v1/nodes``, OpenAPI, the CLI) or only routed when enabled (benchmarks)
    hidden: bool = False
    #: where it is listed: lower first, then by name
    order: int = 100


_entries: dict[str, Entry] = {}
_discovered = False
_lock = threading.Lock()


def register(name: str, path: str, *, hidden: bool = False, order: int = 100) -> None:
    """Register the node class at ``path`` (``"module:Class"``) as action ``name``.

    Raises ``ValueError`` when another path already has that name.
    """
    entry = Entry(name, path, hidden, order)
    known = _entries.get(name)
    if known is not None and known.path != path:
        raise ValueError(f"action {name!r} is registered twice: {known.path} and {path}")
    _entries[name] = entry


def discover() -> None:
    """Import every action package under ``nodes/`` once, so each registers itself."""
    global _discovered
    if _discovered:
        return
    with _lock:
        if _discovered:
            return
        import nodes

        for info in sorted(pkgutil.iter_modules(nodes.__path__), key=lambda i: i.name):
            if info.ispkg and info.name not in LAYERS:
                importlib.import_module(f"nodes.{info.name}")
        _discovered = True


def _ordered() -> list[Entry]:
    discover()
    return sorted(_entries.values(), key=lambda e: (e.order, e.name))


def names(include_hidden: bool = False) -> list[str]:
    """Return the registered action names in listing order."""
    return [e.name for e in _ordered() if include_hidden or not e.hidden]


def hidden(name: str) -> bool:
    """Whether ``name`` is an action kept out of discovery (see :attr:`Entry.hidden`)."""
    discover()
    entry = _entries.get(name)
    return entry is not None and entry.hidden


def exists(name: str) -> bool:
    """Whether ``name`` is a registered action."""
    discover()
    return name in _entries


def get(name: str) -> Node:
    """Return the node registered under ``name`` (built once per process); ``KeyError`` if there is none."""
    node = _instances.get(name)
    if node is None:
        discover()
        module_name, class_name = _entries[name].path.split(":")
        with _lock:
            node = _instances.get(name)
            if node is None:
                node = getattr(importlib.import_module(module_name), class_name)()
                _instances[name] = node
    return node


def built() -> list[Node]:
    """The nodes :func:`get` has built so far in this process, in listing order."""
    return [_instances[e.name] for e in _ordered() if e.name in _instances]


_instances: dict[str, Node] = {}
