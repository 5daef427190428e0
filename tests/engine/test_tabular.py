"""A business's labelled messages as it exports them: JSONL, CSV (Hebrew headers, a BOM), XLSX;
what cannot be trained on is an error naming the rows, what can be worked around a warning."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from nodes.engine.tabular import TrainingDataError, read_training_file, stratified_split

ROWS = [("כמה עולה טיפול?", "מחירים"), ("אפשר לקבוע תור?", "תור"), ("מה המחיר של הלבנה", "מחירים"),
        ("רוצה תור למחר", "תור"), ("כמה זה עולה", "מחירים"), ("יש תור פנוי?", "תור")]


def _csv(path: Path, rows: list[tuple[str, str]], header: str = "הודעה,סיווג") -> Path:
    path.write_text(header + "\n" + "".join(f'"{t}",{label}\n' for t, label in rows), encoding="utf-8-sig")
    return path


def test_csv_with_hebrew_headers_and_a_bom(tmp_path: Path) -> None:
    data = read_training_file(_csv(tmp_path / "leads.csv", ROWS))
    assert [(r["text"], r["category"]) for r in data.rows] == ROWS
    assert data.labels == {"מחירים": 3, "תור": 3} and len(data.sha256) == 64
    assert data.rows[0]["row"] == 2  # the header is row 1, as in a spreadsheet


def test_xlsx_and_jsonl_read_the_same_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["message", "label", "human"])
    for (text, label), human in zip(ROWS, ["כן", "לא", "no", "yes", "1", "0"], strict=True):
        sheet.append([text, label, human])
    book.save(tmp_path / "leads.xlsx")
    xlsx = read_training_file(tmp_path / "leads.xlsx", handoff_col="human")
    assert [r["handoff"] for r in xlsx.rows] == [True, False, False, True, True, False]
    (tmp_path / "leads.jsonl").write_text("".join(json.dumps({"text": t, "category": c}, ensure_ascii=False) + "\n"
                                                  for t, c in ROWS), encoding="utf-8")
    assert read_training_file(tmp_path / "leads.jsonl").sha256 == read_training_file(
        _csv(tmp_path / "leads.csv", ROWS)).sha256


def test_problems_are_named(tmp_path: Path) -> None:
    conflict = _csv(tmp_path / "c.csv", [*ROWS, ("כמה עולה טיפול?", "תור")])
    with pytest.raises(TrainingDataError, match=r"rows 2 and 8 give 'כמה עולה טיפול\?' the labels 'מחירים' and 'תור'"):
        read_training_file(conflict)
    with pytest.raises(TrainingDataError, match="no column 'text'"):
        read_training_file(_csv(tmp_path / "d.csv", ROWS), text_col="text")
    with pytest.raises(TrainingDataError, match="1 labels"):
        read_training_file(_csv(tmp_path / "e.csv", [(t, "x") for t, _ in ROWS]))
    (tmp_path / "f.xlsx").write_text("not a workbook", encoding="utf-8")
    with pytest.raises(TrainingDataError, match="not an Excel workbook"):
        read_training_file(tmp_path / "f.xlsx")
    with pytest.raises(TrainingDataError, match=r"\.jsonl, \.csv or \.xlsx"):
        read_training_file(tmp_path / "g.pdf")


def test_what_can_be_worked_around_is_a_warning(tmp_path: Path) -> None:
    rows = [*ROWS, ("", "תור"), ("כמה עולה טיפול?", "מחירים"), ("ביטול", "ביטולים")]
    data = read_training_file(_csv(tmp_path / "w.csv", rows))
    assert len(data.rows) == 7
    text = " | ".join(data.warnings)
    assert "empty text or label: rows 8" in text and "1 repeated rows" in text and "'ביטולים': 1" in text
    assert "tzomet synth" in text


def test_the_split_holds_out_a_fifth_of_each_label_reproducibly(tmp_path: Path) -> None:
    rows = [{"text": f"{label} {i}", "category": label} for label in "ab" for i in range(10)]
    train, held = stratified_split(rows)
    assert sorted(r["category"] for r in held) == ["a", "a", "b", "b"] and len(train) == 16
    assert stratified_split(rows) == (train, held) and stratified_split(rows, seed=5) != (train, held)
