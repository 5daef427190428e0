"""classify-lead's optional C extension, ``_fastgrams`` (built from ``_fastgrams.c`` by setup.py).

``fastgrams`` is the module, or ``None`` when it was not built (no C compiler when the
package was installed). Every use has a pure-Python path with the same results, which
the tests check the C one against; the C one is what keeps a busy server fast.
"""

from __future__ import annotations

from types import ModuleType

fastgrams: ModuleType | None
try:
    import nodes.classify_lead._fastgrams as fastgrams
except ImportError:  # pragma: no cover - an install without a C compiler
    fastgrams = None

__all__ = ["fastgrams"]
