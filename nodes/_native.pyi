"""Types of the C extension built from nodes/_native.c (see nodes/native.py)."""

from collections.abc import Sequence

from typing_extensions import Buffer

class Scorer:
    """classify-lead's TF-IDF features and linear decision values of one message."""

    def __init__(self, *, char_table: Buffer, char_keys: Buffer, bits: int, char_ngrams: tuple[int, int],
                 char_offset: int, char_sublinear: bool, char_l2: bool, terms: Sequence[str],
                 term_rows: Sequence[int], word_ngrams: tuple[int, int], word_sublinear: bool, word_l2: bool,
                 idf: Buffer, weights: Buffer, bias: Buffer) -> None: ...
    def features(self, char_doc: str, word_doc: str, /) -> tuple[list[int], list[float]]: ...
    def decision(self, char_doc: str, word_doc: str, /) -> list[float]: ...
