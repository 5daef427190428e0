"""Blocks become chunks on the document's own structure.

A chunk never crosses a heading; paragraphs and list items under one heading are grouped up to
:data:`TARGET_CHARS`; every table row is a chunk of its own, read with its header row
("מחיר: 290 ₪"), so a price in one cell is found with the name of what it prices. Each chunk keeps
its heading path and its character span in the document's text (the blocks joined by new lines).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from nodes.text.tokens import split_sentences

from .readers import Block

#: paragraphs under one heading are grouped up to about this many characters
TARGET_CHARS = 300


@dataclass
class Chunk:
    """A passage of a document: its text as shown, its heading path and its span in the document text."""

    text: str
    heading: str
    start: int
    end: int
    kind: str  # text | row

    def as_dict(self) -> dict[str, object]:
        """The stored form."""
        return asdict(self)


def _row_text(block: Block) -> str:
    if block.header and len(block.header) == len(block.cells):
        return " | ".join(f"{h}: {c}" if h else c for h, c in zip(block.header, block.cells, strict=True) if c)
    return block.text


def document_text(blocks: list[Block]) -> str:
    """The document's text as its spans count it: one line per block (rows as "header: value" pairs)."""
    return "\n".join(_row_text(b) if b.kind == "row" else b.text for b in blocks)


def chunk_blocks(blocks: list[Block]) -> list[Chunk]:
    """Group ``blocks`` into chunks (see the module docstring)."""
    chunks: list[Chunk] = []
    path: list[tuple[int, str]] = []
    pending: list[tuple[str, int, int]] = []
    offset = 0

    def heading() -> str:
        return " > ".join(text for _, text in path)

    def flush() -> None:
        if pending:
            chunks.append(Chunk("\n".join(t for t, _, _ in pending), heading(), pending[0][1], pending[-1][2],
                                "text"))
            pending.clear()

    for block in blocks:
        line = _row_text(block) if block.kind == "row" else block.text
        start, end = offset, offset + len(line)
        offset = end + 1
        if block.kind == "heading":
            flush()
            while path and path[-1][0] >= block.level:
                path.pop()
            path.append((block.level, block.text))
            continue
        if block.kind == "row":
            flush()
            chunks.append(Chunk(line, heading(), start, end, "row"))
            continue
        if pending and sum(len(t) for t, _, _ in pending) + len(line) > TARGET_CHARS:
            flush()
        pending.append((line, start, end))
    flush()
    return chunks


def sentence_spans(text: str, kind: str) -> list[tuple[int, int]]:
    """The sentences of a chunk's text as spans: a table row is one sentence, whatever its cells say."""
    if kind == "row":
        return [(0, len(text))]
    return [(s, e) for s, e in split_sentences(text) if e - s > 1]


def sentence_texts(chunk: dict[str, object]) -> list[str]:
    """What each of a chunk's sentences is embedded as: the nearest heading, then the sentence
    ("שעות פתיחה: ו' 9:00–13:00"), so a bare line is read with what it is about."""
    text, heading = str(chunk["text"]), str(chunk.get("heading") or "")
    label = heading.split(" > ")[-1]
    return [f"{label}: {text[s:e].strip()}" if label else text[s:e].strip()
            for s, e in sentence_spans(text, str(chunk["kind"]))]
