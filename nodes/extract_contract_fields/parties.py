"""The parties, from the opening block ("בין: ... לבין: ...", "between ... and ...") or, in
policies and forms, from labelled lines ("המבוטח: ...", "Seller: ..."), or — in letters, quotes and
order forms, which have neither — from each ID number and the name written before it.

Each party gets its name as written, its role word (from "(להלן: "המשכיר")" or the
label), and its identification number with the type and check-digit validity that
:func:`nodes.text.find_ids` reports. Two people on one side ("1. ... 2. ... (להלן ביחד:
"המוכרים")") are two parties with the same role.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, replace
from itertools import pairwise

from nodes.text import Match, find_ids

from .clauses import AR_LETTERS, AR_MARKS

QC = "\"'\u05f3\u05f4\u2019\u201c\u201d\u201e"
Q = f"[{QC}]"
HE = "\u05d0-\u05ea"
#: a letter of a name, in any of its three scripts
_LETTER = rf"[{HE}A-Za-z{AR_LETTERS}]"

ROLE_WORDS = [
    "המשכירים", "המשכירה", "המשכיר", "השוכרים", "השוכרת", "השוכר", "המעסיקה", "המעסיק", "המעביד",
    "העובדת", "העובד", "הלקוחה", "הלקוח", "הספקית", "הספק", "נותנת", "השירותים", "נותן", "השירותים",
    "מקבל", "השירותים", "המזמין", "המזמינה", "החברה", "היועץ", "היועצת", "הקבלן", "המוכרים", "המוכרת",
    "המוכר", "הקונים", "הקונה", "הרוכשת", "הרוכש", "המלווה", "הלווים", "הלווה", "הלווה", "המבוטחת",
    "המבוטח", "המבטחת", "המבטח", "בעל", "הפוליסה", "המבקש", "הערב", "הצד", "המגלה", "הצד", "המקבל",
    "המגלה", "המקבל", "הנאמן", "המפיץ", "הזכיין", "הזכיין",
]
EN_ROLES = (
    "landlord lessor tenant lessee employer employee company consultant contractor client customer supplier "
    "provider service provider seller vendor buyer purchaser lender borrower insurer insured policyholder "
    "disclosing party receiving party recipient discloser licensor licensee guarantor"
)
_LABELLED = re.compile(
    rf"^[ \t]*(?:\d+\.\s*)?(?:שם\s+)?(?P<role>(?:ה[{HE}]+(?:\s+ה?(?:שירותים|פוליסה))?|בעל\s+הפוליסה|"
    rf"(?:the\s+)?(?:{EN_ROLES.replace(' ', '|')})))\s*(?:\([^)\n]{{0,20}}\))?(?P<sep>\s*[:|]|[ \t]+)[ \t]*(?P<r"
    rf"est>[^\n]+)",
    re.IGNORECASE | re.MULTILINE,
)
_LABEL_ROLES = frozenset(
    w.lower() for w in [*ROLE_WORDS, "נותן השירותים", "נותנת השירותים", "מקבל השירותים", "בעל הפוליסה",
                                      "הצד המגלה", "הצד המקבל"]
) | frozenset(r for r in EN_ROLES.split())
#: Arabic vowel marks, which may follow any letter ("ويُشار", "ويمثّلها")
_M = AR_MARKS
_BLOCK_START = re.compile(
    r"(?:^|\n|[\s:])(?:בין|between|بين)\s*:?|"
    r"(?:^|\n)[ \t]*(?:THE\s+)?PARTIES[ \t]*:?[ \t]*(?=\n)|"
    r"(?:^|\n)[ \t]*(?:ال)?أطراف(?:\s+(?:ال)?عقد)?[ \t]*:?[ \t]*(?=\n)",
    re.IGNORECASE,
)
_BLOCK_END = re.compile(
    r"(?:^|\n)\s*(?:הואיל|והואיל|WHEREAS|RECITALS|לפיכך|אשר\s+על\s+כן|הוסכם|NOW,?\s+THEREFORE|IT\s+IS\s+(?:HEREB"
    r"Y\s+)?AGREED|"
    r"THE\s+PARTIES\s+AGREE|מבוא|\d+\.\s+(?:מבוא|הגדרות|כללי|ה?מושכר|Definitions|Term|Services|The\s)|"
    r"تمهيد|مقدمة|حيث\s+إن|حيث\s+أن|وحيث|اتفق\s+الطرفان|لذلك|بيانات)",
    re.IGNORECASE,
)
#: where one party ends and the next begins; the spaces around "and:" are taken whole (what
#: follows them is never a space), as every way of splitting a long run was tried before
_SPLIT = re.compile(
    r"(?:^|\s|\n)(?:ל?בין|ו?לבין|ובין)\s*:?|מצד\s+(?:אחד|שני|שלישי)|of\s+the\s+(?:first|second|other|one)\s+part|"
    r"(?:^|\n)[ \t]*and[ \t]*+:?[ \t]*+(?=\n|\s*[A-Z])|[;)][ \t]*(?:,\s*)?\band\b|\bAND\b|"
    r"(?:^|\n)[ \t]*و[ \t]*+:?[ \t]*+(?=\n)|من\s+جهة(?:\s+(?:أولى|اولى|ثانية|أخرى))?|(?:^|\s)وبين\s*:?|"
    r"(?<!\S)(?:ال)?طرف\s+(?:أول|اول|الأول|الاول|ثان\S*|الثاني)(?=\s*[؛;.]?\s*\n)|"
    # "בין:" over a line a party's role labels ("המוכר: …", "הקונה: …"): each line is a party
    r"\n(?=[ \t]*(?:" + "|".join(sorted({w for w in ROLE_WORDS if len(w) > 3}, key=len, reverse=True))
    + r")[ \t]*:)",
)
#: a role in parentheses: '(להלן: "המשכיר")', "(hereinafter the Tenant)". The white space
#: before an unquoted role may be given back to the role (which may hold spaces) only for its
#: last 32 characters: every split of a longer run was tried against every length of the role
#: (minutes for a few thousand spaces), and a role never needs more of it
_ROLE_PAREN = re.compile(
    rf"\(\s*(?:להלן|hereinafter|יחד\s+ולחוד|להלן\s+ביחד)?[^()\n]{{0,40}}?{Q}(?:the\s+)?(?P<role>[^{QC}()\n]{{1,4"
    rf"0}}){Q}\s*\)"
    rf"|\(\s*(?:להלן|hereinafter)(?:\s*[:\-\u2013])?(?:\s(?=\s{{32}}))*+\s{{0,32}}(?:the\s+)?"
    rf"(?P<role2>[^(){QC}\n]{{2,30}}?)\s*\)",
    re.IGNORECASE,
)
#: what ends a party's name; a match starts only where a run of white space does (the first
#: place it can), as trying every space of a long run as a start took time quadratic in it
_NAME_STOP = re.compile(
    rf"(?<!\s)\s*(?:,|\u060c|\(|\n|;|\|"
    rf"|(?<![{AR_LETTERS}])(?:رقم\s+الهوية|هوية\s+رقم|رقم\s+هوية|ح\.\s?ف|ح\.\s?ش|ر\.\s?ش|ت\.\s?ز|عوسي?ك|رقم\s+الشركة|شركة\s+رقم|رقم|م(?:شتغل|شغ{_M}?ل)\s+مرخ{_M}?\S*|جواز|من\s+سكان|"
    rf"العنوان|عنوانه|عنوانها|ويمث{_M}ل{_M}ه{_M}ا?|المحترم[ةه]?)(?![{AR_LETTERS}])"
    rf"|(?<![{HE}])(?:נושא|נושאת|הנושא|הנושאת|ת\.?\s?ז|ת{Q}ז|ח\.?\s?פ|ח{Q}פ|ע\.?\s?ר|ע{Q}ר|ע\.?\s?מ|"
    rf"ע{Q}מ|עוסק\s+(?:מורשה|פטור)|מס{Q}|מספר|דרכון|מרח{Q}|מרחוב|מרחב|מרח'|מ?כתובת|שכתובת|מ-|ממושב|מקיבוץ)(?![{HE}])|"
    rf"\b(?:I\.?D\.?|ID\s+No|Company\s+(?:No|Number|Reg)|Co\.?\s+No|Licensed\s+Dealer|Authori[sz]ed\s+Dealer|Osek\s+Murshe|"
    rf"VAT\s+(?:No|Number|Reg)|Tax\s+ID|Reg(?:istration)?\.?\s+No|HR[AB]|EIN|KvK|RCS|"
    rf"passport|residing|of\s+\d|"
    rf"having|a\s+company|incorporated|holder|whose|with\s+(?:offices|address))\b)",
    re.IGNORECASE,
)
_NAME_PREFIX = re.compile(
    rf"^(?:[\s:\-\u2013.,]|\d+[.)]\s|\(\d+\)\s|ל?בין|ו?לבין|ובין|מצד\s+(?:אחד|שני|שלישי)|between|and|(?:ה)?(?:מר|גב{Q}|גברת|עו{Q}ד|ד{Q}ר)\s|"
    r"Mr\.?\s|Mrs\.?\s|Ms\.?\s|Dr\.?\s|و?بين|و(?=[\s:])|الطرف\s+(?:الأول|الاول|الثاني|الثالث)\s*:?|السيدة\s|السيد\s|"
    r"المحامي\s|الدكتور\s|د\.\s?|(?:THE\s+)?PARTIES\b|"
    r"من\s+جهة(?:\s+(?:أولى|اولى|ثانية|أخرى))?[،,؛;]?|" + f"كل{_M}\\s+من(?=[\\s:])" + r")+",
    re.IGNORECASE,
)
_REPRESENTATIVE = re.compile(
    rf"(?:באמצעות|ע{Q}י|על\s+ידי|מורש\w*\s+החתימה|represented\s+by|by\s+its|through\s+its|acting\s+by|"
    rf"و?ي{_M}م{_M}ث{_M}ل{_M}ه{_M}ا?|بواسطة|عن\s+طريق)[^\n]{{0,60}}$",
    re.IGNORECASE,
)


@dataclass
class FoundParty:
    """A party and where its name is in the text."""

    name: str
    role: str | None
    id_match: Match | None
    start: int
    end: int


def _clean_role(role: str) -> str:
    role = role.strip().strip(Q + " :-")
    role = re.sub(r"^(?:the)\s+", "", role, flags=re.IGNORECASE)
    return role


def _name_at(text: str, start: int, end: int) -> tuple[str, int, int] | None:
    chunk = text[start:end]
    pm = _NAME_PREFIX.match(chunk)
    offset = pm.end() if pm else 0
    # labelled: "המשכיר: ישראל ישראלי"
    lab = re.match(rf"(?:ה[{HE}]+|the\s+\w+|\w+)\s*:\s*", chunk[offset:], re.IGNORECASE)
    if lab and lab.group(0).strip(": ").lower() in _LABEL_ROLES:
        offset += lab.end()
    rest = chunk[offset:]
    stop = _NAME_STOP.search(rest)
    name = rest[: stop.start()] if stop else rest
    name = name.rstrip(" \t-:\u2013")
    if not name or not re.search(_LETTER, name) or len(name) > 80:
        return None
    s = start + offset
    return name, s, s + len(name)


def _role_in(text: str, start: int, end: int) -> str | None:
    for m in _ROLE_PAREN.finditer(text, start, end):
        role = m.group("role") or m.group("role2")
        if role:
            return _clean_role(role)
    # white space taken whole (what follows it never starts with white space): read every way,
    # a long run of spaces at the start of a segment cost time cubic in its length
    lab = re.match(rf"\s*+(?:\d+\.\s*+)?(?:ל?בין|ובין|between|and)?\s*+:?\s*+(?P<r>ה[{HE}]+|the\s+\w+)\s*:",
                   text[start:end], re.I)
    if lab and lab.group("r").lower() in _LABEL_ROLES:
        return _clean_role(lab.group("r"))
    return None


class _Ids:
    """The ID matches of a text in text order, to take those starting in a span by bisection
    (a long text has many spans and many IDs: not every ID is looked at for every span)."""

    def __init__(self, ids: list[Match]) -> None:
        self.ids = sorted(ids, key=lambda m: m.start)
        self.starts = [m.start for m in self.ids]

    def starting_in(self, start: int, end: int) -> list[Match]:
        """The IDs that start in ``[start, end)``."""
        return self.ids[bisect_left(self.starts, start):bisect_left(self.starts, end)]


#: how many lines below its name a party's number may be ("בין: ..." / address / phone / "ת.ז. ...")
_NAME_TO_NUMBER_LINES = 4


def _segment_parties(text: str, start: int, end: int, ids: _Ids) -> list[FoundParty]:
    seg_ids = ids.starting_in(start, end)
    role = _role_in(text, start, end)
    people: list[FoundParty] = []
    prev = start
    usable = []
    for m in seg_ids:
        if _REPRESENTATIVE.search(text[max(prev, m.start - 120):m.start]):
            continue
        usable.append(m)
    if not usable:
        named = _name_at(text, start, end)
        if named and role:
            people.append(FoundParty(named[0], role, None, named[1], named[2]))
        return people
    for m in usable:
        named = _name_at(text, prev, m.start)
        if named is not None and text.count("\n", named[2], m.start) > _NAME_TO_NUMBER_LINES:
            continue  # "ניגוד עניינים בין לקוחות ..." is a sentence, and the number far below it someone else's
        if named is None and people:
            prev = m.end
            continue
        if named is None:
            named = ("", m.start, m.start)
        people.append(FoundParty(named[0], role, m, named[1], named[2]))
        prev = m.end
        # the rest of this person's line (address, role) belongs to them
        nl = text.find("\n", prev, end)
        nxt = re.search(r"(?:^|\n)\s*\d+[.)]\s|\bו?-?\s*\d+[.)]\s", text[prev:end])
        if nxt:
            prev = prev + nxt.start()
        elif nl != -1:
            prev = nl
    # "מצד אחד" / "of the first part" leftovers have neither a role nor a number
    return [p for p in people if p.name and (p.role or p.id_match)]


#: a row of a parties table: "שם: משה כהן | ת.ז.: 0123… | כתובת: …", "الاسم: … | رقم الهوية: …"
_NAME_ROW = re.compile(
    r"^[ \t]*(?:שם(?:\s+מלא)?|الاسم(?:\s+الكامل)?|full\s+name|name)\s*:[ \t]*(?P<name>[^|\n]{2,80}?)"
    r"(?:[ \t]*\||[ \t]{3,})(?P<rest>[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
#: what stands between a name and an ID that is someone else's (the person signing for a company)
_SIGNATORY = re.compile(
    rf"שם\s+ה?חותמ|החותם|חתימה|מורש|באמצעות|(?<!full\s)\bname\s*:|\bby\s*:|signator|represented|"
    rf"و?ي{_M}م{_M}ث{_M}ل|الموقع|توقيع",
    re.IGNORECASE,
)


def _name_rows(text: str, head: str, ids: _Ids) -> list[FoundParty]:
    """Parties written as table rows, each with its ID in the row and its role on the line above."""
    out: list[FoundParty] = []
    for m in _NAME_ROW.finditer(head):
        found = ids.starting_in(m.start("rest"), m.end("rest"))
        if not found:
            continue
        name = m.group("name").strip()
        above = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
        role = _clean_role(above[:-1]) if above.endswith(":") and len(above) <= 30 else None
        start = m.start("name")
        out.append(FoundParty(name, role or None, found[0], start, start + len(name)))
    return out


#: a row of a table drawn with bars: "| שם מלא | רחל אבוטבול | דניאל שטרן |"
_TABLE_ROW = re.compile(r"^[ \t]*\|(?P<cells>[^\n]*)\|[ \t]*$", re.MULTILINE)
_TABLE_RULE = re.compile(r"^[ \t]*[+\-=|: \t]*$")
_NAME_CELL = re.compile(r"^(?:שם(?:\s+מלא)?|שם\s+(?:ה)?צד|name|full\s+name|party|الاسم(?:\s+الكامل)?)$", re.IGNORECASE)
_ID_CELL = re.compile(
    rf"ת{Q}?\.?\s?ז|ח{Q}?\.?\s?פ|ע{Q}?\.?\s?מ|מספר\s+מזהה|מס{Q}?\s+(?:זהות|חברה|עוסק)|\bID\b|\bno\.?$|number|"
    r"رقم\s+(?:ال)?(?:هوية|شركة)|رقم",
    re.IGNORECASE,
)


def _cells(text: str, m: re.Match[str]) -> list[tuple[int, int]]:
    """The spans of a table row's cells (stripped)."""
    spans = []
    start = m.start("cells")
    for part in m.group("cells").split("|"):
        a, b = start, start + len(part)
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        spans.append((a, b))
        start += len(part) + 1
    return spans


def _column_parties(text: str, ids: _Ids) -> list[FoundParty]:
    """Parties written as the columns of a table — a header row of roles, a row of names, a row of numbers
    ("| | המשכירה | השוכר |", "| שם מלא | רחל אבוטבול | דניאל שטרן |", "| מס' ת.ז. | 395827199 | 024426868 |"),
    as in forms and signature tables."""
    out: list[FoundParty] = []
    table: list[list[tuple[int, int]]] = []
    rows = list(_TABLE_ROW.finditer(text))
    for i, m in enumerate(rows):
        table.append(_cells(text, m))
        between = text[m.end():rows[i + 1].start()] if i + 1 < len(rows) else "x"
        if all(_TABLE_RULE.match(line) for line in between.split("\n")):
            continue  # the same table goes on
        out += _columns_of(text, table, ids)
        table = []
    return out


#: a row of a table aligned with spaces: "שם מלא:          עומר שלום                      אורטל ביטון"
_ALIGNED_ROW = re.compile(r"^[ \t]*(?P<label>[^\s:|][^:|\n]{0,24}):[ \t]{2,}(?P<rest>\S[^|\n]*)$", re.MULTILINE)
_COLUMN_GAP = re.compile(r"[ \t]{3,}")


def _gap_cells(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The spans of ``text[start:end]`` (no white space at either end) split at gaps of three spaces or more."""
    cells, at = [], start
    for gap in _COLUMN_GAP.finditer(text, start, end):
        cells.append((at, gap.start()))
        at = gap.end()
    cells.append((at, end))
    return cells


def _aligned_parties(text: str, ids: _Ids) -> list[FoundParty]:
    """Parties written as columns aligned with spaces: a line of roles over labelled lines of names and
    numbers ("המוכר      הקונה" / "שם מלא:   עומר שלום   אורטל ביטון" / "ת.ז.:   041267386   20873419-4")."""
    out: list[FoundParty] = []
    table: list[list[tuple[int, int]]] = []
    last_end = -1
    for m in _ALIGNED_ROW.finditer(text):
        cells = _gap_cells(text, m.start("rest"), m.start("rest") + len(m.group("rest").rstrip()))
        if last_end != -1 and text[last_end:m.start()].strip():
            out += _aligned_table(text, table, ids)
            table = []
        if len(cells) >= 2:
            table.append([(m.start("label"), m.end("label")), *cells])
        last_end = m.end()
    return out + _aligned_table(text, table, ids)


def _aligned_table(text: str, table: list[list[tuple[int, int]]], ids: _Ids) -> list[FoundParty]:
    """:func:`_columns_of` for rows aligned with spaces, with the line of roles above them as the header."""
    if len(table) < 2:
        return []
    first = table[0][0][0]
    line_start = text.rfind("\n", 0, first) + 1
    above_end = line_start - 1
    while above_end > 0 and not text[text.rfind("\n", 0, above_end) + 1:above_end].strip():
        above_end = text.rfind("\n", 0, above_end)  # blank lines between the roles and the rows
    above_start = text.rfind("\n", 0, max(0, above_end)) + 1
    header: list[tuple[int, int]] = [(above_start, above_start)]
    line = text[above_start:max(above_start, above_end)]
    if ":" not in line and "|" not in line:
        header += _gap_cells(text, above_start + len(line) - len(line.lstrip()), above_start + len(line.rstrip()))
    rows = [header, *table] if len(header) == len(table[0]) else table
    return _columns_of(text, rows, ids)


def _labelled_number(text: str, cell: tuple[int, int], label: str) -> list[Match]:
    """The number in a table cell read under its row's label ("מס' ת.ז." over "024426868", which alone could
    be a Jerusalem phone number)."""
    found = find_ids(f"{label} {text[cell[0]:cell[1]]}")
    shift = cell[0] - len(label) - 1
    return [replace(m, start=m.start + shift, end=m.end + shift) for m in found if m.start > len(label)]


def _columns_of(text: str, table: list[list[tuple[int, int]]], ids: _Ids) -> list[FoundParty]:
    """The parties of one table (its rows' cell spans): each column's name, number and, from a header row
    whose first cell is empty, role; none when the table has no row of names and row of numbers."""
    names = next((r for r in table if len(r) >= 3 and _NAME_CELL.match(text[r[0][0]:r[0][1]])), None)
    numbers = next((r for r in table if len(r) >= 3 and _ID_CELL.search(text[r[0][0]:r[0][1]])), None)
    if names is None or numbers is None or len(names) != len(numbers):
        return []
    header = next((r for r in table if len(r) == len(names) and r[0][0] == r[0][1]
                   and all(b > a for a, b in r[1:])), None)
    out = []
    label = text[numbers[0][0]:numbers[0][1]]
    for j in range(1, len(names)):
        found = ids.starting_in(*numbers[j]) or _labelled_number(text, numbers[j], label)
        a, b = names[j]
        if not found or b - a < 2:
            continue
        role = _clean_role(text[header[j][0]:header[j][1]]) if header else None
        out.append(FoundParty(text[a:b], role or None, found[0], a, b))
    return out


def _ids_further_on(text: str, parties: list[FoundParty], ids: _Ids) -> None:
    """Give a party named without its number the number written right after its name further on (the
    signature block: "קוונטה אנליטיקס בע"מ / ח.פ. 519793673"), unless someone signing for it stands between."""
    taken = {p.id_match.start for p in parties if p.id_match}
    for party in parties:
        if party.id_match is not None or len(party.name) < 4:
            continue
        for mention in re.finditer(re.escape(party.name), text[party.end:], re.IGNORECASE):
            after = party.end + mention.end()
            found = [m for m in ids.starting_in(after, after + 120) if m.start not in taken]
            if found and not _SIGNATORY.search(text, after, found[0].start):
                party.id_match = found[0]
                taken.add(found[0].start)
                break


#: someone whose number is written but who is not a party: a witness
_WITNESS = re.compile(rf"(?<![{HE}])(?:עד|עדה|עדים|בנוכחות)(?![{HE}])|\bwitness|شاهد|بحضور", re.IGNORECASE)
#: how a letter names its addressee ("לכבוד", "Dear", "حضرة"): not part of the name
_ADDRESSED = re.compile(r"\s*(?:ו?לכבוד|to|dear|attn\.?|attention|و?حضرة|إلى|الى|السادة)\s*:?\s*(?:السيد[ةه]?\s+)?",
                        re.IGNORECASE)

#: a line that says where a company is registered ("Registered with the Amtsgericht München under"),
#: which is not its name
_REGISTERED = re.compile(r"\bregistered\b(?!\s+partnership)|\bunder\b|"
                         r"\b(?:Amtsgericht|Handelsregister|Registergericht)\b|(?<!שותפות\s)רשומה|רשום\s+ב|במרשם|مسجل",
                         re.IGNORECASE)
#: what a company's name ends with, to find it above the lines of its address and register
_COMPANY = re.compile(
    rf"בע{Q}מ|שותפות\s+רשומה|\b(?:Ltd|Limited|GmbH|Inc|LLC|B\.?V|S\.?A|SAS|SARL|AG|PLC|Corp|Partnership)\b\.?|"
    r"م\.ض|شركة", re.IGNORECASE)
#: where a sentence hands over to the name it gives ("ניתנת על ידי שמעון אזולאי", "on which Noa Ben-Haim",
#: "אני, דנה לוי", "on behalf of Van der Berg Foods B.V.") — at the start of a line too
_NAME_INTRO = re.compile(
    rf"(?<!\S)(?:על\s+ידי|ע{Q}י|מאת|ל?בין|בשם|אני(?:\s+הח{Q}מ)?|הח{Q}מ|by|from|between|which|whom|"
    rf"(?:for\s+and\s+)?on\s+behalf\s+of|من\s+قبل|بواسطة|نيابة\s+عن|انا|أنا)\s*,?\s+",
    re.IGNORECASE,
)
#: a name written after its number, to the end of the line ("עוסק מורשה 058392416 – יוסי בן חמו")
_NAME_AFTER = re.compile(rf"[ \t]*[\-\u2013\u2014][ \t]*(?P<name>{_LETTER}[^\d\n:|,()]{{1,40}}?)[ \t.]*(?=\n|$)")
#: how far before its number a party's name may start, on the number's line
_NAME_REACH = 200
#: the numbers of a letter read for its parties, in text order (a letter has a few; a text with thousands
#: is not a letter, and reading them all would cost a second)
_MAX_NUMBERS = 40


#: words before a parenthesis that make a sentence rather than a name
_SENTENCE_WORDS = 5


def _name_before(text: str, line_start: int, end: int, last: bool = True) -> tuple[str, int, int] | None:
    """The name written in ``text[line_start:end]``, after a label ("הפרטים שלי: נועה שגיא"): in the last
    table cell that holds one (before an ID on its line: "| צד א' | נגב קוד בע"מ | ח.פ."), or the first
    (``last=False``: a letterhead, "שמעוני ייעוץ בע"מ | רואי חשבון")."""
    cells: list[tuple[int, int]] = []
    start = line_start
    for bar in re.finditer(r"\|", text[line_start:end]):
        cells.append((start, line_start + bar.start()))
        start = line_start + bar.end()
    cells.append((start, end))
    for a, b in reversed(cells) if last else cells:
        colon = text.rfind(":", a, b)
        if colon != -1 and re.search(_LETTER, text[colon + 1:b]):
            a = colon + 1
        # a sentence that gives the name ("ניתנת על ידי שמעון אזולאי"): what follows its last "על ידי", "by"
        intro = max((m.end() for m in _NAME_INTRO.finditer(text, a, b)), default=None)
        if intro is not None and re.search(_LETTER, text[intro:b]):
            a = intro
        # "אני מסכמת את התנאים … לייצוגך (גיל ששון, ת.ז. …": after a sentence, not a name, the name opens the
        # parenthesis its number is in ("Brightwave Inc. (a Delaware corporation, EIN …" keeps its name)
        paren = text.rfind("(", a, b)
        if paren != -1 and ")" not in text[paren:b] and re.search(f"{_LETTER}{{2}}", text[paren + 1:b]):
            intro = max((m.end() for m in _NAME_INTRO.finditer(text, a, paren)), default=a)
            if len(text[intro:paren].split()) >= _SENTENCE_WORDS and _name_at(text, paren + 1, b):
                a = paren + 1
        addressed = _ADDRESSED.match(text, a, b)
        if addressed:
            a = addressed.end()
        named = _name_at(text, a, b)
        if named and not named[0].endswith(":") and not _REGISTERED.search(named[0]):
            return named
    return None


def _lines_above(text: str, line_start: int, n: int) -> list[tuple[int, int]]:
    """The spans of the (up to) ``n`` non-empty lines right above the line starting at ``line_start``."""
    out: list[tuple[int, int]] = []
    end = line_start - 1
    while end > 0 and len(out) < n:
        start = text.rfind("\n", 0, end) + 1
        if text[start:end].strip():
            out.append((start, min(end, start + _NAME_REACH)))  # a name starts its line
        elif out:
            break  # a blank line ends the block the number belongs to
        end = start - 1
    return out


#: a line that names a person's business, not the person ("שם העסק: "גן עדן" – גינון", "Business: …")
_BUSINESS_NAME = re.compile(
    r"\s*(?:שם\s+(?:ה)?(?:עסק|חברה|מותג)|business(?:\s+name)?|company(?:\s+name)?|trading\s+as|"
    r"اسم\s+(?:ال)?(?:مصلحة|شركة|محل))\s*:",
    re.IGNORECASE,
)


def _named_ids(text: str, ids: _Ids) -> list[FoundParty]:
    """Parties of a letter, a quote or a form, where no "between" block names them: each ID with the name
    written before it on its line ("אבי דהן | עוסק מורשה 058742131") or, alone on its line, on the line
    above (the letterhead, the addressee: "גב' רונית אלמוג / ת.ז. 03366501-9"). A witness's number, or the
    number of someone signing for a company, names no party."""
    out: list[FoundParty] = []
    for m in ids.ids[:_MAX_NUMBERS]:
        line_start = max(text.rfind("\n", 0, m.start) + 1, m.start - _NAME_REACH)
        line_end = text.find("\n", m.end, m.end + _NAME_REACH)
        line_end = min(len(text), m.end + _NAME_REACH) if line_end == -1 else line_end
        before = text[line_start:m.start]
        after = _NAME_AFTER.match(text, m.end, line_end + 1)
        named: tuple[str, int, int] | None
        # "מעוסק מורשה 058392416 – יוסי בן חמו": a number its ID word names (find_ids' context), and the name after it
        if after and m.extra.get("context"):
            named = (after.group("name"), after.start("name"), after.end("name"))
        else:
            named = _name_before(text, line_start, m.start)
        if named is None and _REGISTERED.search(before):
            # "Registered … under HRB 204518": the company is named a few lines above, over its address
            company = [line for line in _lines_above(text, line_start, 3) if _COMPANY.search(text, *line)]
            if company:
                named = _name_before(text, *company[0], last=False)
        elif named is None and not re.search(f"{_LETTER}{{2}}", _NAME_STOP.split(before, 1)[0]):
            # alone on its line: the name is on the line above — for a company, the nearest of the three
            # above that reads as one (a letterhead: name, profession, number)
            above = _lines_above(text, line_start, 3)
            if m.extra.get("id_type") in ("company", "amuta", "partnership", "foreign"):
                above = [line for line in above if _COMPANY.search(text, *line)][:1] or above[:1]
                named = _name_before(text, *above[0], last=False) if above else None
            else:  # a person's: the addressee ("حضرة السيد سامر عودة" over "صاحب مخبز…"), else the line right above
                addressee = None
                for line in above:  # this number's block: up to the line of the number before it
                    if ids.starting_in(*line):
                        break
                    if _ADDRESSED.match(text, *line) and (named := _name_before(text, *line, last=False)):
                        addressee = line
                        break
                if addressee is None:  # the line right above, but the business's name ("שם העסק: …")
                    above = [line for line in above if not _BUSINESS_NAME.match(text, *line)][:1]
                    named = _name_before(text, *above[0], last=False) if above else None
                else:
                    above = [addressee]
            if above:
                before = text[above[0][0]:above[0][1]] + "\n" + before
        if named is None or _WITNESS.search(before):
            continue
        # a signatory or a representative is a person: a business's own number is the business's
        personal = m.extra.get("id_type") in ("israeli_id", "passport")
        said = re.sub(r"עוסק\s+מורשה", "", before)  # an osek's title, not someone authorised to sign
        if personal and (_SIGNATORY.search(said) or _REPRESENTATIVE.search(said)):
            continue
        out.append(FoundParty(named[0], _role_in(text, line_start, line_end), m, named[1], named[2]))
    return out


def find_parties(text: str, ids: list[Match]) -> list[FoundParty]:
    """Find the parties of the contract (see the module docstring)."""
    by_start = _Ids(ids)
    limit = min(len(text), max(6000, len(text) // 3))
    head = text[:limit]
    block = _BLOCK_START.search(head)
    parties: list[FoundParty] = []
    if block:
        bstart = block.start() if text[block.start()] not in "\n " else block.start() + 1
        endm = _BLOCK_END.search(text, block.end(), min(len(text), block.end() + 2500))
        bend = endm.start() if endm else min(len(text), block.end() + 1500)
        # Without recitals, the block ends at the first numbered clause after the second role.
        roles = list(_ROLE_PAREN.finditer(text, block.end(), bend))
        if len(roles) >= 2:
            numbered = re.compile(r"\n[ \t]*\d+[.)][ \t]").search(text, roles[1].end(), bend)
            if numbered:
                bend = numbered.start()
        cuts = [bstart]
        for m in _SPLIT.finditer(text, block.end(), bend):
            cuts.append(m.start() if text[m.start()] not in ";)" else m.start() + 1)
        cuts.append(bend)
        segments = [(a, b) for a, b in pairwise(cuts) if b - a > 2]
        for a, b in segments:
            parties.extend(_segment_parties(text, a, b, by_start))
    # "between" may be only a word of the preamble ("between the Operator and the Member whose details …")
    numbered_block = any(p.id_match for p in parties)
    if not any(p.id_match or p.role for p in parties):
        parties = []
        for m in _LABELLED.finditer(head):
            role = m.group("role").strip()
            if role.lower() not in _LABEL_ROLES:
                continue
            rest_start = m.start("rest")
            line_end = m.end("rest")
            if re.match(r"(?:no\b|number|reg)", m.group("rest"), re.IGNORECASE):
                continue  # "Company No. 516358991" is a number's label, not a party's
            nxt = text[line_end:line_end + 120].split("\n")
            scope_end = line_end
            id_label = rf"\s*(?:ת\.?\s?ז|ת{Q}ז|ח\.?\s?פ|ח{Q}פ|ע{Q}ר|מס|I\.?D|ID|Company|Reg)"
            if len(nxt) > 1 and re.match(id_label, nxt[1], re.I):
                scope_end = line_end + 1 + len(nxt[1])
            seg_ids = by_start.starting_in(rest_start, scope_end)
            if not m.group("sep").strip() and not seg_ids:
                continue  # "המוכר מצהיר ..." is a sentence, not a label
            named = _name_at(text, rest_start, scope_end)
            if named is None:
                continue
            parties.append(FoundParty(named[0], _clean_role(role), seg_ids[0] if seg_ids else None, named[1], named[2]))
    if not [p for p in parties if p.id_match]:
        rows = _name_rows(text, head, by_start)
        if rows:
            parties = rows
    columns = (_column_parties(text, by_start) if "|" in text else []) + _aligned_parties(text, by_start)
    if columns:  # a table of the parties says who is who better than any line of it read alone
        parties = columns + parties
    _ids_further_on(text, parties, by_start)
    if not [p for p in parties if p.id_match]:
        by_number = _named_ids(text, by_start)
        if by_number:
            parties = by_number
    elif not numbered_block:  # a form with a labelled client, and the supplier's number in its letterhead
        taken = {p.id_match.value for p in parties if p.id_match}
        parties += [p for p in _named_ids(text, by_start) if p.id_match and p.id_match.value not in taken]
    # de-duplicate (same id or same name)
    seen: set[str] = set()
    out: list[FoundParty] = []
    for p in parties:
        key = p.id_match.value if p.id_match else p.name
        if key in seen:
            continue
        seen.add(key)
        out.append(p)
    return out[:12]
