"""The optional C extension ``nodes._native`` (built from ``nodes/_native.c`` by setup.py).

``native`` is the module, or ``None`` when it was not built (no C compiler when the
package was installed). It holds the per-character and per-n-gram loops of the hot
paths: classify-lead's featurizer (``Scorer``), the rules' 3-gram prefilter (``Grams``),
feature-text tidying (``tidy``) and counting letters per script for language
detection (``count_in``). Every use has a pure-Python path with the same results, which the
tests check the C one against; the C one is what keeps a busy server fast.
"""

from __future__ import annotations

from types import ModuleType

native: ModuleType | None
try:
    import nodes._native as native
except ImportError:  # pragma: no cover - an install without a C compiler
    native = None

__all__ = ["native"]
