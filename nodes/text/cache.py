"""The one cache of what the finders compute from a whole text, bounded in bytes.

Every finder normalises the text it is given, and several need the phones or the dates
of the same text (the ID, amount and redaction finders all step around the phones), so
within one request the same text is worked on many times. :func:`text_cache` keeps
those results so that each is computed once.

The values are as big as the texts they come from and they *are* customer text: a
normalised copy of the message, matches that quote it, phone numbers. So the cache

* is keyed by a BLAKE2b digest of the text and its length (plus the function and its
  other arguments), never by the text itself;
* keeps the results of a text longer than :data:`MAX_TEXT_CHARS` (a whole contract) apart,
  in one slot per thread that holds one such text only: a request's finders still share
  their work on it (the ID, amount and redaction finders each need its phones), it never
  pushes the short texts out, and the next long text or :func:`clear` drops it;
* holds values of at most :data:`MAX_BYTES` in all (by an estimate of their size), dropping
  the least recently used first;
* forgets everything on :func:`clear` (``nodes.text.forget_texts``), meant to be called
  after each request, so that no customer text outlives its request here (that includes
  the one text it holds besides the values: the last one digested, kept with its digest
  because the finders of a request ask for the same text object again and again). The
  long-text slot is the calling thread's: the runner calls :func:`clear` on the thread that
  served the request.

Safe to use from several threads: the entries are changed under a lock; two threads
that miss the same key both compute it and the second store wins.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import sys
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

#: texts longer than this are not cached at all
MAX_TEXT_CHARS = 100_000
#: what the cached values may add up to (estimated by :func:`approx_size`)
MAX_BYTES = 4 * 1024 * 1024

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
#: key -> (value, its estimated size in bytes); least recently used first
_entries: OrderedDict[tuple[Hashable, ...], tuple[Any, int]] = OrderedDict()
_bytes = 0
#: the last text digested, and its digest (held until the next text or :func:`clear`)
_last: tuple[str, bytes] | None = None
#: per thread, ``slot``: the (length, digest) of one long text and its values by function
_long = threading.local()

#: bytes of an int in a list of ints (the pointer and the int object)
_INT_IN_LIST = 8 + 32
#: the types whose ``sys.getsizeof`` is their whole size
_FLAT = frozenset({str, bytes, array, range, int, float, bool, type(None), dt.date})


def digest(text: str) -> bytes:
    """A 16-byte BLAKE2b digest of ``text`` (lone surrogates included, so any ``str`` works)."""
    global _last
    last = _last
    if last is not None and last[0] is text:
        return last[1]
    value = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    _last = (text, value)
    return value


def approx_size(value: object) -> int:
    """Roughly how many bytes ``value`` holds: strings, numbers, tuples, lists, dicts and
    objects with a ``__dict__`` (such as :class:`~nodes.text.match.Match`), counted through.

    A list or tuple that starts with an int is taken to be all ints (an index map), so a
    long one is not walked element by element.
    """
    size = sys.getsizeof(value)
    if type(value) in _FLAT:
        return size
    if isinstance(value, tuple | list):
        if value and type(value[0]) is int:
            return size + _INT_IN_LIST * len(value)
        return size + sum(map(approx_size, value))
    if isinstance(value, dict):
        return size + sum(approx_size(k) + approx_size(v) for k, v in value.items())
    attributes = getattr(value, "__dict__", None)
    if attributes is not None:  # the attribute names are shared strings: only the values count
        return size + sys.getsizeof(attributes) + sum(map(approx_size, attributes.values()))
    return size


def text_cache(fn: Callable[Concatenate[str, P], R]) -> Callable[Concatenate[str, P], R]:
    """Cache ``fn(text, *args)`` by the digest of ``text`` (see the module docstring).

    ``fn`` must take the text first and only hashable positional arguments after it, and
    its value must not be changed by callers (it is shared).
    """
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def cached(text: str, *args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs:
            return fn(text, *args, **kwargs)
        if len(text) > MAX_TEXT_CHARS:
            return _long_text_value(fn, name, text, args)
        key = (name, len(text), digest(text), *args)
        with _lock:
            hit = _entries.get(key)
            if hit is not None:
                _entries.move_to_end(key)
                return hit[0]  # type: ignore[no-any-return]
        value = fn(text, *args, **kwargs)
        _store(key, value, approx_size(value))
        return value

    return cached


def _long_text_value(fn: Callable[..., R], name: str, text: str, args: tuple[Any, ...]) -> R:
    """``fn(text, *args)`` from the calling thread's long-text slot, computed on a miss."""
    mark = (len(text), digest(text))
    slot: tuple[tuple[int, bytes], dict[tuple[Hashable, ...], Any]] | None = getattr(_long, "slot", None)
    if slot is None or slot[0] != mark:
        slot = _long.slot = (mark, {})
    key = (name, *args)
    if key in slot[1]:
        return slot[1][key]  # type: ignore[no-any-return]
    value = slot[1][key] = fn(text, *args)
    return value


def _store(key: tuple[Hashable, ...], value: object, size: int) -> None:
    """Hold ``value`` under ``key``, dropping the least recently used entries to stay within
    :data:`MAX_BYTES` (a value bigger than that is not held)."""
    global _bytes
    if size > MAX_BYTES:
        return
    with _lock:
        old = _entries.pop(key, None)
        if old is not None:
            _bytes -= old[1]
        _entries[key] = (value, size)
        _bytes += size
        while _bytes > MAX_BYTES:
            _, (_, dropped) = _entries.popitem(last=False)
            _bytes -= dropped


def clear() -> None:
    """Forget every cached value (and the last text digested)."""
    global _bytes, _last
    with _lock:
        _entries.clear()
        _bytes = 0
        _last = None
    _long.__dict__.pop("slot", None)


def held_bytes() -> int:
    """The estimated size of the values held now (at most :data:`MAX_BYTES`)."""
    return _bytes


def held_entries() -> int:
    """How many values are held now (the calling thread's long text's included)."""
    slot = getattr(_long, "slot", None)
    return len(_entries) + (len(slot[1]) if slot is not None else 0)


#: the longest word the word caches hold
MAX_CACHED_WORD = 64

_W = TypeVar("_W")


class WordCache(Generic[_W]):
    """``fn`` of one word, cached for words of at most :data:`MAX_CACHED_WORD` characters.

    A text repeats its vocabulary, so caching what is derived from each word (its stem, its readings, its
    trigrams) pays; but a "word" can be a whole message without spaces, and a cache bounded only by its
    count would keep 65,536 of those (gigabytes) for good. Longer words are computed each time. The words
    held are single words, never a text.
    """

    def __init__(self, fn: Callable[[str], _W], maxsize: int = 65_536) -> None:
        self.fn = fn
        self.cached = functools.lru_cache(maxsize=maxsize)(fn)
        functools.update_wrapper(self, fn)

    def __call__(self, word: str) -> _W:
        """``fn(word)``, from the cache when the word is short enough to be held."""
        return self.cached(word) if len(word) <= MAX_CACHED_WORD else self.fn(word)
