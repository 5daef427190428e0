"""Tzomet's action nodes.

The layers, top to bottom (an import never points up; ``import-linter`` checks it):

- ``server.py`` and :mod:`nodes.cli`: HTTP and the command line only;
- one package per action (``classify_lead``, ``summarize_conversation``, ...), each
  registering itself with :mod:`nodes.core.registry` in its ``__init__.py``;
- :mod:`nodes.core` (the framework) and :mod:`nodes.engine` (shared machine learning);
- :mod:`nodes.text`, the Hebrew/Arabic/English text toolkit.

See ``docs/architecture.md``.
"""
