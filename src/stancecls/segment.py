"""Raw article text to paragraphs, with news boilerplate removed.

Articles arrive either with blank lines between paragraphs or with one
paragraph per line; both are handled, and hard-wrapped lines inside a block
are joined again. Kept paragraphs are verbatim (only surrounding white space
is stripped). What is dropped, and why, is in :data:`BOILERPLATE_PATTERNS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Paragraph", "segment", "is_boilerplate", "BOILERPLATE_PATTERNS"]

_MONTHS = (
    r"jan(?:uari|uary)?|feb(?:ruari|ruary)?|mar(?:et|ch)?|apr(?:il)?|mei|may|jun(?:i|e)?|jul(?:i|y)?|"
    r"agu(?:stus)?|ags|aug(?:ust)?|sep(?:t|tember)?|okt(?:ober)?|oct(?:ober)?|nov(?:ember)?|des(?:ember)?|dec(?:ember)?"
)
_DAYS = r"senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad"

#: Lines that are boilerplate as a whole (matched against the stripped line,
#: case-insensitively). Each pattern is anchored at both ends, so a content
#: paragraph that merely *contains* these words is never dropped.
BOILERPLATE_PATTERNS: dict[str, str] = {
    # bylines and photo credits: "Penulis: X", "Foto: Kementerian ...", "Editor : X"
    "byline": r"(penulis|foto|editor|reporter|pewarta|redaktur|sumber foto|fotografer)\s*:.*",
    # wire credit at the end: "sumber : Antara"
    "source": r"sumber\s*:\s*\S.{0,40}",
    # a line that is only an e-mail address
    "email": r"[\w.+-]+@[\w-]+(\.[\w-]+)+",
    # dates alone: "2025.04.03", "12 Juli 2023", "Sabtu 22 Jun 2024 17:32 WIB"
    "date": (
        rf"((({_DAYS}),?\s+)?\d{{1,2}}\s+({_MONTHS})\.?\s+\d{{4}}(,?\s+\d{{1,2}}[:.]\d{{2}}(\s+(wib|wita|wit))?)?"
        r"|\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{4})"
    ),
    # rubric words alone on a line
    "rubric": r"(kebijakan|berita|nasional|internasional|politik|ekonomi|dunia|opini|global|hukum|olahraga)",
    # site furniture
    "furniture": (
        r"(advertisement|iklan|baca juga(\s*:.*)?|berita lainnya|berita terkait|konten yang terkait|"
        r"artikel terkait|scroll to continue with content|simak juga.*|lihat juga.*)"
    ),
}
_BOILERPLATE = re.compile("|".join(f"(?:{p})" for p in BOILERPLATE_PATTERNS.values()), re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;\"'”’)\]]\s*$")


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of an article.

    Attributes
    ----------
    index : int
        1-based position among the article's kept paragraphs.
    line : int
        1-based line number where the paragraph starts in the raw text.
    text : str
        The paragraph, verbatim.
    """

    index: int
    line: int
    text: str


def is_boilerplate(line: str) -> bool:
    """True when a whole line is news boilerplate (byline, date, credit...)."""
    return _BOILERPLATE.fullmatch(line.strip()) is not None


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Split into blocks of consecutive non-empty lines, with their start line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            if not current:
                start = n
            current.append(line.strip())
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _unwrap(start: int, lines: list[str]) -> list[tuple[int, str]]:
    """Lines of a block as paragraphs; a hard-wrapped line is joined to the next.

    A line is taken as wrapped when it does not end a sentence and the next
    line starts in lower case: "...kerja sama\\nmiliter antara..." is one
    paragraph, while a caption followed by "Foto: ..." is two.
    """
    out: list[tuple[int, str]] = []
    for offset, line in enumerate(lines):
        if (
            out
            and not _SENTENCE_END.search(out[-1][1])
            and line[:1].islower()
            and not is_boilerplate(out[-1][1])
        ):
            out[-1] = (out[-1][0], f"{out[-1][1]} {line}")
        else:
            out.append((start + offset, line))
    return out


def segment(text: str) -> list[Paragraph]:
    """Split a raw article into content paragraphs.

    Drops bylines and photo credits (``Penulis:``, ``Foto:``), e-mail lines,
    dates or rubric words alone on a line, ``Advertisement``, ``Baca Juga``,
    ``Berita Lainnya``, ``sumber : Antara``, ``konten yang terkait``, and exact
    repeats (a photo caption printed twice is kept once, where it first
    appears). Everything else is kept verbatim.

    Parameters
    ----------
    text : str
        The raw article.

    Returns
    -------
    list of Paragraph

    Examples
    --------
    >>> [p.text for p in segment("Kebijakan\\n\\nPenulis: A\\n\\nIsi berita.\\n\\nIsi berita.")]
    ['Isi berita.']
    """
    seen: set[str] = set()
    paragraphs: list[Paragraph] = []
    for start, lines in _blocks(text.replace("\r\n", "\n").replace("\r", "\n")):
        for line_no, para in _unwrap(start, lines):
            if is_boilerplate(para):
                continue
            key = " ".join(para.split())
            if key in seen:
                continue
            seen.add(key)
            paragraphs.append(Paragraph(index=len(paragraphs) + 1, line=line_no, text=para))
    return paragraphs
