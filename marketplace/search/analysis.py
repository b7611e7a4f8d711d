"""Vietnamese text analysis for the search index and for user queries.

Vietnamese words are syllables separated by spaces, so a Unicode-aware `\\w+`
tokenizer finds them. Nothing is dropped: no stop words (English ones make no
sense here) and no minimum length ("ô", "an", "to" are real words). Two
variants of each text are indexed:

- exact: lower-case, NFC (one code point per accented letter), accents kept;
- folded: lower-case, accents removed and đ -> d, as people type on a phone.

A match on the exact form ranks above one on the folded form.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from whoosh.analysis import Filter, LowercaseFilter, NgramFilter, RegexTokenizer

from marketplace.core.text import fold_accents

WORD = re.compile(r"\w+")
# Longest as-you-type prefix kept in the edge n-gram field; longer prefixes are cut.
MAX_PREFIX = 12


def normalize(text: str) -> str:
    """NFC, so 'ề' typed as e + two combining marks is one letter (\\w would split it)."""
    return unicodedata.normalize("NFC", text or "")


def words(text: str) -> list[str]:
    """The exact (lower-case, accented) words of `text`, as the analyzers see them."""
    return [w.lower() for w in WORD.findall(normalize(text))]


@lru_cache(maxsize=65_536)
def fold(word: str) -> str:
    """Lower-case, accents and đ folded. Cached: Vietnamese has only a few thousand syllables."""
    return fold_accents(word).lower()


class NormalizingTokenizer(RegexTokenizer):
    """`\\w+` tokens of the NFC-normalised text."""

    def __init__(self):
        super().__init__(expression=WORD, gaps=False)

    def __call__(self, value, **kwargs):
        return super().__call__(normalize(value), **kwargs)


class FoldFilter(Filter):
    """'đường' -> 'duong': drop every diacritic, đ included."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold(token.text)
            yield token


def exact_analyzer():
    return NormalizingTokenizer() | LowercaseFilter()


def folded_analyzer():
    return NormalizingTokenizer() | LowercaseFilter() | FoldFilter()


def prefix_analyzer():
    """Every leading part of each folded word: 'thieu' -> t, th, thi, thie, thieu."""
    return folded_analyzer() | NgramFilter(1, MAX_PREFIX, at="start")
