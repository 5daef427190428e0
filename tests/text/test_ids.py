"""ID numbers written with spaces, and where an ID word wins over a phone reading."""

from __future__ import annotations

import pytest

from nodes.text import find_ids, find_phones


def test_an_id_written_with_spaces_is_an_id_when_its_word_names_it() -> None:
    text = 'לבין: דניאל אזולאי, ת"ז 077 635 266, מרח\' סוקולוב 60'
    (found,) = find_ids(text)
    assert (found.text, found.value, found.extra["id_type"], found.extra["valid"]) == \
        ("077 635 266", "077635266", "israeli_id", True)


def test_without_its_word_or_with_a_wrong_check_digit_it_stays_a_phone() -> None:
    assert find_ids("אפשר להתקשר 077 635 266 בערב") == []
    assert find_ids('ת"ז 077 635 267') == []  # the check digit is wrong: a phone that was mislabelled
    assert [m.value for m in find_phones("אפשר להתקשר 077 635 266 בערב")]


def test_foreign_register_numbers_keep_their_register_where_it_is_part_of_the_number() -> None:
    cases = {
        "eingetragen im Handelsregister unter HRB 204518": "HRB 204518",
        "KvK-nummer: 12345678": "KvK 12345678",
        "RCS Paris 812 345 678": "RCS Paris 812 345 678",
        "EIN 84-2917365": "84-2917365",
        "(Company No. 11427086, registered in England and Wales)": "11427086",
    }
    for text, value in cases.items():
        (found,) = find_ids(text)
        assert (found.value, found.extra["id_type"]) == (value, "foreign"), text
    (israeli,) = find_ids("Israeli company no. 518327168")  # nine digits: an Israeli company
    assert (israeli.value, israeli.extra["id_type"]) == ("518327168", "company")


def test_a_company_number_written_with_one_dash_after_its_two_first_digits() -> None:
    (found,) = find_ids("ח.פ.: 51-4770361")
    assert (found.value, found.extra["id_type"], found.extra["valid"]) == ("514770361", "company", True)
    assert find_ids("טלפון 03-1234567") == []  # the same shape without an ID word is a phone
    (osek,) = find_ids("مشغّل مرخّص (عوسيك مورشيه) رقم 028491637")
    assert osek.extra["id_type"] == "osek"


@pytest.mark.parametrize(("text", "value"), [
    ("Chamber of Commerce (KvK) No. 34218765", "KvK 34218765"),
    ("Partita IVA / Reg. Imprese Modena: 03518260364", "03518260364"),
    ("a Delaware corporation (Delaware file number 7391024), whose office", "7391024"),
])
def test_a_foreign_register_number_is_an_id(text: str, value: str) -> None:
    found = find_ids(text)
    assert [(m.value, m.extra["id_type"]) for m in found] == [(value, "foreign")]


def test_a_number_without_its_register_word_is_not_foreign() -> None:
    assert all(m.extra["id_type"] != "foreign" for m in find_ids("file 7391024, order 03518260364"))
