"""Vietnamese analysis: accents kept or folded, đ, capitals, and no word too short."""

import pytest

from marketplace.search.analysis import (
    exact_analyzer,
    folded_analyzer,
    prefix_analyzer,
    words,
)


def tokens(analyzer, text):
    return [t.text for t in analyzer(text)]


def test_exact_keeps_accents_in_lower_case():
    assert tokens(exact_analyzer(), "Đường phèn VẢI THIỀU") == ["đường", "phèn", "vải", "thiều"]


def test_folded_drops_every_diacritic_including_d_stroke():
    assert tokens(folded_analyzer(), "Đường phèn VẢI THIỀU đđ ĐĐ") == ["duong", "phen", "vai", "thieu", "dd", "dd"]


@pytest.mark.parametrize("word", ["ô", "an", "to", "a", "và", "the", "of"])
def test_no_stop_words_and_no_minimum_length(word):
    assert tokens(exact_analyzer(), f"xx {word} yy") == ["xx", word.lower(), "yy"]


def test_decomposed_input_is_one_word():
    # "thiều" typed as e + circumflex + grave combining marks (as some phone keyboards send it).
    decomposed = "thie\u0302\u0300u"
    assert tokens(exact_analyzer(), decomposed) == ["thiều"]
    assert tokens(folded_analyzer(), decomposed) == ["thieu"]


def test_punctuation_and_query_syntax_are_not_words():
    assert words('Gà, "đồi"* AND name:mía! (100%)') == ["gà", "đồi", "and", "name", "mía", "100"]


def test_prefix_field_holds_the_start_of_each_folded_word():
    assert tokens(prefix_analyzer(), "Đồi") == ["d", "do", "doi"]
