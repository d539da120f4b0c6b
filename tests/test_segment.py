"""Segmentation of raw articles, pinned on the five seed articles."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stancecls import segment
from stancecls.segment import is_boilerplate

from conftest import LABELS, SEEDS

EXPECTED_COUNTS = {"000": 9, "001": 13, "002": 13, "003": 11, "004": 16}


def labelled_paragraphs():
    by_doc: dict[str, list[str]] = {}
    for line in (LABELS / "seeds.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        by_doc.setdefault(r["source"].split(":", 1)[1], []).append(r["text"])
    return by_doc


@pytest.mark.parametrize("key", sorted(EXPECTED_COUNTS))
def test_seed_paragraphs_are_pinned(key):
    (path,) = SEEDS.glob(f"{key}_*.txt")
    paragraphs = segment(path.read_text(encoding="utf-8"))
    assert len(paragraphs) == EXPECTED_COUNTS[key]
    assert [p.text for p in paragraphs] == labelled_paragraphs()[path.name]
    assert [p.index for p in paragraphs] == list(range(1, len(paragraphs) + 1))
    raw_lines = path.read_text(encoding="utf-8").splitlines()
    for p in paragraphs:  # verbatim, and its line number is right
        assert raw_lines[p.line - 1].strip() == p.text


def test_seed_boilerplate_is_gone():
    texts = [p.text for f in sorted(SEEDS.glob("*.txt")) for p in segment(f.read_text(encoding="utf-8"))]
    joined = "\n".join(texts)
    for junk in ("Penulis:", "Foto:", "aisylu@korea.kr", "Advertisement", "Baca Juga", "Berita Lainnya",
                 "sumber : Antara", "konten yang terkait", "2025.04.03", "Sabtu 22 Jun 2024 17:32 WIB"):
        assert junk not in texts and not any(t.startswith(junk) for t in texts), junk
    assert "Kebijakan" not in texts and "12 Juli 2023" not in texts
    # the caption printed twice in seed 000 is kept once
    assert sum(t.startswith("Menteri Luar Negeri Cho Tae-yul terlihat sedang berjabat") for t in texts) == 1
    assert "REPUBLIKA.CO.ID, WASHINGTON" in joined  # datelines inside paragraphs stay


@pytest.mark.parametrize(
    "line, junk",
    [("Penulis: A", True), ("Foto: EPA", True), ("x@y.id", True), ("12 Juli 2023", True), ("Advertisement", True),
     ("Baca Juga", True), ("sumber : Antara", True), ("Kebijakan", True),
     ("Penulis buku itu mendukung aliansi.", False), ("Kebijakan baru diumumkan hari ini.", False)],
)
def test_is_boilerplate(line, junk):
    assert is_boilerplate(line) is junk


def test_one_paragraph_per_line_and_hard_wrapped_lines():
    assert [p.text for p in segment("Satu.\nDua.")] == ["Satu.", "Dua."]
    assert [p.text for p in segment("Kalimat yang\ndipotong baris.\n\nLain.")] == ["Kalimat yang dipotong baris.", "Lain."]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_segment_never_crashes_and_keeps_text_verbatim(text):
    for p in segment(text):
        assert p.text and p.text == p.text.strip()
        squeeze = lambda s: "".join(s.split())  # noqa: E731
        assert squeeze(p.text) in squeeze(text)
