"""A business's own labelled messages, as it exports them: JSON lines, CSV or an Excel sheet.

:func:`read_training_file` reads a text column and a label column (and, when named, a handoff
and an urgency column) by header — Hebrew headers such as ``הודעה``/``סיווג`` work — and checks
what it reads. Problems that make the data unusable are a :class:`TrainingDataError` naming the
rows; problems it can work around are warnings in :attr:`TrainingData.warnings`:

* errors: a file that is not what its name says, a missing column, fewer than 2 or more than
  50 labels, the same text under two labels (a conflict: which one is right?);
* warnings: rows with an empty text or label (skipped), repeated rows (kept once), labels with
  fewer than :data:`RARE` examples (``tzomet synth`` can add variants).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: fewer examples than this for a label: a warning
RARE = 5
MIN_LABELS, MAX_LABELS = 2, 50
_TRUE = {"1", "true", "yes", "y", "כן", "نعم", "x", "v", "✓"}
_FALSE = {"0", "false", "no", "n", "לא", "لا", ""}


class TrainingDataError(ValueError):
    """The file cannot be trained on; the message names the rows or the column."""


@dataclass
class TrainingData:
    """Rows of ``{"text", "category"[, "handoff"][, "urgency"]}``, what was skipped, and a hash."""

    rows: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    #: sha256 of the rows as read (text, label and the optional columns), for the model version
    sha256: str = ""

    @property
    def labels(self) -> dict[str, int]:
        """Each label and its number of rows, most frequent first."""
        return dict(Counter(r["category"] for r in self.rows).most_common())


def _records(path: Path) -> list[dict[str, Any]]:
    """The file's records as dicts keyed by header (JSON lines: by key)."""
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".json", ".ndjson", ".csv", ".tsv", ".txt", ".xlsx", ".xlsm"):
        raise TrainingDataError(f"{path.name}: use a .jsonl, .csv or .xlsx file")
    data = path.read_bytes()
    if suffix in (".jsonl", ".json", ".ndjson"):
        out = []
        for n, line in enumerate(data.decode("utf-8-sig", errors="strict").splitlines(), 1):
            if line.strip():
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as err:
                    raise TrainingDataError(f"{path.name}: row {n} is not valid JSON ({err.msg})") from None
                if not isinstance(value, dict):
                    raise TrainingDataError(f"{path.name}: row {n} is not a JSON object")
                out.append(value)
        return out
    if suffix in (".csv", ".tsv", ".txt"):
        try:
            text = data.decode("utf-8-sig")  # Excel's and Google Sheets' CSV, with or without a BOM
        except UnicodeDecodeError:
            raise TrainingDataError(f"{path.name} is not UTF-8 text; export it as CSV UTF-8") from None
        # the delimiter is the header's (a sniffer guessing from quoted Hebrew text guesses wrong)
        first_line = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=first_line.count) if any(d in first_line for d in ",;\t") else ","
        return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    if suffix in (".xlsx", ".xlsm"):
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise TrainingDataError(f"{path.name} is not an Excel workbook (.xlsx is a zip file)")
        import openpyxl  # only here: reading a sheet is its one use

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as err:  # openpyxl raises many kinds on a damaged file
            raise TrainingDataError(f"{path.name} is not a readable Excel workbook ({type(err).__name__})") from None
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        return [{h: ("" if v is None else v) for h, v in zip(header, row, strict=False) if h} for row in rows[1:]]
    raise TrainingDataError(f"{path.name}: use a .jsonl, .csv or .xlsx file")


def _column(records: list[dict[str, Any]], wanted: str | None, guesses: tuple[str, ...], what: str,
            path: Path) -> str | None:
    headers = list(records[0]) if records else []
    if wanted is not None:
        if wanted not in headers:
            raise TrainingDataError(f"{path.name}: no column {wanted!r} for the {what}; the columns are {headers}")
        return wanted
    lowered = {str(h).strip().lower(): h for h in headers}
    return next((lowered[g] for g in guesses if g in lowered), None)


def _flag(value: Any, row: int, what: str, path: Path) -> bool:
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise TrainingDataError(f"{path.name}: row {row}: {what} must be yes/no (or 1/0, כן/לא), got {value!r}")


def read_training_file(path: Path, text_col: str | None = None, label_col: str | None = None,
                       handoff_col: str | None = None, urgency_col: str | None = None) -> TrainingData:
    """Read and check a labelled file (see the module docstring). Rows are numbered as a person
    sees them: the header is row 1 of a CSV or a sheet, the first line row 1 of JSON lines."""
    records = _records(path)
    if not records:
        raise TrainingDataError(f"{path.name} holds no rows")
    text_key = _column(records, text_col, ("text", "message", "הודעה", "טקסט", "תוכן", "الرسالة", "نص"),
                       "text", path)
    label_key = _column(records, label_col, ("category", "label", "סיווג", "קטגוריה", "תווית", "التصنيف", "الفئة"),
                        "label", path)
    if text_key is None or label_key is None:
        raise TrainingDataError(f"{path.name}: name the text and label columns (--text-col, --label-col); "
                                f"the columns are {list(records[0])}")
    handoff_key = _column(records, handoff_col, (), "handoff", path)
    urgency_key = _column(records, urgency_col, (), "urgency", path)
    first = 1 if path.suffix.lower() in (".jsonl", ".json", ".ndjson") else 2
    rows: list[dict[str, Any]] = []
    empty: list[int] = []
    seen: dict[str, tuple[str, int]] = {}
    conflicts: list[str] = []
    repeated = 0
    for n, record in enumerate(records, first):
        text = str(record.get(text_key) or "").strip()
        label = str(record.get(label_key) or "").strip()
        if not text or not label:
            empty.append(n)
            continue
        if text in seen:
            if seen[text][0] != label:
                conflicts.append(f"rows {seen[text][1]} and {n} give {text[:40]!r} the labels "
                                 f"{seen[text][0]!r} and {label!r}")
            else:
                repeated += 1
            continue
        seen[text] = (label, n)
        row: dict[str, Any] = {"text": text, "category": label, "row": n}
        if handoff_key is not None:
            row["handoff"] = _flag(record.get(handoff_key, ""), n, handoff_key, path)
        if urgency_key is not None:
            row["urgency"] = str(record.get(urgency_key) or "normal").strip().lower()
        rows.append(row)
    if conflicts:
        raise TrainingDataError(f"{path.name}: the same text has two labels — " + "; ".join(conflicts[:5])
                                + (f"; and {len(conflicts) - 5} more" if len(conflicts) > 5 else ""))
    counts = Counter(r["category"] for r in rows)
    if not MIN_LABELS <= len(counts) <= MAX_LABELS:
        raise TrainingDataError(f"{path.name}: {len(counts)} labels; a model tells {MIN_LABELS} to {MAX_LABELS} "
                                f"apart ({sorted(counts)[:10]})")
    warnings = []
    if empty:
        warnings.append(f"skipped {len(empty)} rows with an empty text or label: rows {_ranges(empty)}")
    if repeated:
        warnings.append(f"{repeated} repeated rows kept once")
    rare = {label: n for label, n in counts.items() if n < RARE}
    if rare:
        warnings.append(f"labels with fewer than {RARE} examples: {rare}; add examples, or variants with "
                        "`tzomet synth classify-lead --tenant … --data FILE`")
    digest = hashlib.sha256()
    for r in rows:
        digest.update(json.dumps([r["text"], r["category"], r.get("handoff"), r.get("urgency")],
                                 ensure_ascii=False).encode())
    return TrainingData(rows, warnings, digest.hexdigest())


def _ranges(numbers: list[int]) -> str:
    """``[2, 3, 4, 9]`` -> ``"2-4, 9"`` (at most ten ranges)."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    text = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans[:10])
    return text + (" …" if len(spans) > 10 else "")


def hash_text(text: str, seed: int = 13) -> str:
    """A seeded hash of a text: a reproducible order that does not follow the file's."""
    return hashlib.sha256(f"{seed}|{text}".encode()).hexdigest()


def stratified_split(rows: list[dict[str, Any]], share: float = 0.2, seed: int = 13
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(train, held_out)``: about ``share`` of each label held out (at least one when a label has
    three or more rows), chosen by a seeded hash of the text so that the split is reproducible."""
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_label[row["category"]].append(row)
    train: list[dict[str, Any]] = []
    held: list[dict[str, Any]] = []
    for label_rows in by_label.values():
        ordered = sorted(label_rows, key=lambda r: hash_text(r["text"], seed))
        k = max(1, round(len(ordered) * share)) if len(ordered) >= 3 else 0
        held += ordered[:k]
        train += ordered[k:]
    return train, held
