"""Chunking: exact offsets, full coverage, bounded size and overlap, correct pages."""

from __future__ import annotations

import itertools
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coderai.extraction.chunker import Chunk, chunk_text, count_tokens, page_of

WORDS = [
    *("the", "court", "held", "that", "municipal", "budget", "of", "2024"),
    *("was", "unlawful", "because", "notice", "lacked"),
]


def prose(rng: random.Random, paragraphs: int, sentences: int = 5) -> str:
    return "\n\n".join(
        " ".join(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18))).capitalize() + "."
            for _ in range(sentences)
        )
        for _ in range(paragraphs)
    )


def tokens_between(text: str, start: int, end: int) -> int:
    return count_tokens(text[start:end])


class TestCountTokens:
    def test_empty(self) -> None:
        assert count_tokens("") == 0

    def test_english_prose_is_about_four_characters_per_token(self) -> None:
        text = "The committee reviewed the proposal and approved it without changes. " * 20
        assert count_tokens(text) == -(-len(text) // 4)

    def test_digits_and_punctuation_count_as_pieces(self) -> None:
        # "1234567" is split like cl100k's pre-tokenizer: 123 | 456 | 7.
        assert count_tokens("1234567") == 3
        assert count_tokens("a, b; c") == 5  # a | , | " b" | ; | " c"

    def test_cjk_characters_count_one_each(self) -> None:
        assert count_tokens("数据分析") >= 4


class TestPageOf:
    @pytest.mark.parametrize(
        ("offset", "page"), [(0, 1), (9, 1), (10, 2), (24, 2), (25, 3), (10_000, 3)]
    )
    def test_bisect(self, offset: int, page: int) -> None:
        assert page_of(offset, [0, 10, 25]) == page

    def test_empty_page_is_skipped_for_offsets_but_spanned_by_chunks(self) -> None:
        assert page_of(10, [0, 10, 10, 20]) == 3


class TestChunkText:
    def test_empty_text(self) -> None:
        assert chunk_text("", [0]) == []

    def test_short_text_is_one_chunk(self) -> None:
        [chunk] = chunk_text("Hello world.", [0])
        assert chunk == Chunk(0, 0, 12, "Hello world.", count_tokens("Hello world."), [1])

    def test_rejects_bad_limits(self) -> None:
        with pytest.raises(ValueError):
            chunk_text("x", [0], max_tokens=15)
        with pytest.raises(ValueError):
            chunk_text("x", [0], max_tokens=100, overlap_tokens=60)

    def test_prefers_paragraph_breaks(self) -> None:
        text = prose(random.Random(1), paragraphs=40, sentences=2)
        chunks = chunk_text(text, [0], max_tokens=200, overlap_tokens=0)
        assert len(chunks) > 5
        for chunk in chunks[:-1]:
            assert chunk.text.endswith(".\n\n")
            assert chunk.token_count >= 100

    def test_falls_back_to_sentence_breaks(self) -> None:
        text = prose(random.Random(2), paragraphs=1, sentences=80)
        chunks = chunk_text(text, [0], max_tokens=150, overlap_tokens=20)
        for chunk in chunks[:-1]:
            assert chunk.text.endswith(". ")
        # Overlaps start at a word, and at a sentence when one lies near the overlap target.
        assert all(text[after.char_start - 1] == " " for after in chunks[1:])
        at_sentence = [
            text[after.char_start - 2 : after.char_start] == ". " for after in chunks[1:]
        ]
        assert sum(at_sentence) >= 0.75 * len(at_sentence)

    def test_a_word_longer_than_a_chunk_is_cut(self) -> None:
        text = "start " + "x" * 5000 + " end"
        chunks = chunk_text(text, [0], max_tokens=100, overlap_tokens=10)
        assert all(chunk.token_count <= 100 for chunk in chunks)
        assert chunks[-1].char_end == len(text)

    def test_two_hundred_pages_chunk_well_under_a_second(self) -> None:
        rng = random.Random(3)
        pages = [prose(rng, paragraphs=4) for _ in range(200)]
        offsets, position = [], 0
        for page in pages:
            offsets.append(position)
            position += len(page) + 2
        text = "\n\n".join(pages)

        started = time.perf_counter()
        chunks = chunk_text(text, offsets)
        elapsed = time.perf_counter() - started

        assert elapsed < 1.0, f"{elapsed:.2f} s"
        assert chunks[-1].char_end == len(text)
        assert chunks[-1].pages[-1] == 200
        assert all(2000 <= chunk.token_count <= 2500 for chunk in chunks[:-1])
        overlaps = [
            tokens_between(text, b.char_start, a.char_end) for a, b in itertools.pairwise(chunks)
        ]
        assert all(125 <= overlap <= 375 for overlap in overlaps)


# Text made of the pieces that stress boundaries: words, numbers, punctuation, paragraph and
# line breaks, tabs, non-Latin scripts, long unbroken runs and arbitrary Unicode.
ATOMS = st.one_of(
    st.sampled_from([*WORDS, "12345678", "e.g.", "naïve", "数据分析", "—", "(", ")", ",", "'s"]),
    st.sampled_from([" ", " ", " ", "\n", "\n\n", ". ", "! ", "\t", " \n \n", "\r\n", "。"]),
    st.text(min_size=1, max_size=20),
    st.from_regex(r"[a-z]{30,300}", fullmatch=True),
)
TEXTS = st.lists(ATOMS, min_size=1, max_size=250).map("".join).filter(bool)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[int], int, int]:
    text = draw(TEXTS)
    inner = draw(st.lists(st.integers(0, len(text)), max_size=8))
    max_tokens = draw(st.integers(16, 120))
    overlap = draw(st.integers(0, max_tokens // 2))
    return text, sorted({0, *inner}), max_tokens, overlap


@settings(max_examples=250, deadline=None)
@given(documents())
def test_chunk_properties(document: tuple[str, list[int], int, int]) -> None:
    text, offsets, max_tokens, overlap = document
    chunks = chunk_text(text, offsets, max_tokens=max_tokens, overlap_tokens=overlap)

    assert chunks[0].char_start == 0
    assert chunks[-1].char_end == len(text)
    for index, chunk in enumerate(chunks):
        assert chunk.index == index
        assert chunk.char_start < chunk.char_end
        assert text[chunk.char_start : chunk.char_end] == chunk.text
        assert chunk.token_count == count_tokens(chunk.text) <= max_tokens
        # pages: every page that holds one of the chunk's characters, by brute force
        touched = {page_of(i, offsets) for i in range(chunk.char_start, chunk.char_end)}
        assert chunk.pages == list(range(min(touched), max(touched) + 1))

    for before, after in itertools.pairwise(chunks):
        assert before.char_start < after.char_start  # progress, in order
        assert before.char_end < after.char_end
        if overlap == 0:
            assert after.char_start == before.char_end
            continue
        assert after.char_start < before.char_end  # no gap: the chunks overlap
        shared = tokens_between(text, after.char_start, before.char_end)
        assert shared <= overlap * 3 // 2 + 2
        assert shared >= overlap // 2 - 3  # the planning estimate may run three over
