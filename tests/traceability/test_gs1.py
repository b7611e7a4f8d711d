"""GS1: GTIN check digits and the GS1 Digital Link of a batch, built and parsed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.traceability import gs1

CSET82 = sorted(gs1.CSET82)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("8934563138165", "08934563138165"),  # GTIN-13 (a Vietnamese 893 prefix)
        ("96385074", "00000096385074"),  # GTIN-8
        ("036000291452", "00036000291452"),  # GTIN-12 (UPC-A)
        ("10614141000415", "10614141000415"),  # GTIN-14
        ("893 4563 138165", "08934563138165"),  # spaces as printed under a barcode
    ],
)
def test_valid_gtins_are_normalised_to_14_digits(value, expected):
    assert gs1.normalise_gtin(value) == expected
    assert gs1.is_valid_gtin(value)


@pytest.mark.parametrize("value", ["8934563138164", "1234567", "123456789", "89345631381a4", "", "０８９３"])
def test_bad_gtins_are_refused(value):
    with pytest.raises(gs1.InvalidGtin):
        gs1.normalise_gtin(value)
    assert not gs1.is_valid_gtin(value)


def test_check_digit_of_the_gs1_example():
    assert gs1.check_digit("629104150021") == 3  # GS1 General Specifications' example 6291041500213


def test_building_a_link_pads_the_gtin_and_encodes_the_lot():
    assert gs1.build_digital_link("https://cho.vn/", "8934563138165", "LOT-2026.07_A") == (
        "https://cho.vn/01/08934563138165/10/LOT-2026.07_A"
    )


def test_reserved_characters_of_a_lot_are_percent_encoded():
    link = gs1.build_digital_link("https://cho.vn", "8934563138165", "A/B?C%&+'(\"")
    assert link == "https://cho.vn/01/08934563138165/10/A%2FB%3FC%25%26%2B%27%28%22"


def test_a_lot_outside_character_set_82_or_too_long_is_refused():
    for lot in ("", "with space", "lô-1", "X" * 21, "a#b"):
        with pytest.raises(ValueError):
            gs1.build_digital_link("https://cho.vn", "8934563138165", lot)
    assert gs1.is_valid_lot("X" * 20)


@pytest.mark.parametrize(
    "uri",
    [
        "https://cho.vn/01/08934563138165/10/L%2F1",
        "/01/8934563138165/10/L%2F1",  # GTIN-13, path only
        "https://id.example.com/shop/01/08934563138165/10/L%2F1/21/SERIAL9",  # a prefix, a further AI
        "https://cho.vn/01/08934563138165/10/L%2F1?17=261231&linkType=gs1:pip",  # a query
    ],
)
def test_parsing_accepts_padding_prefixes_further_ais_and_queries(uri):
    assert gs1.parse_digital_link(uri) == gs1.DigitalLink("08934563138165", "L/1")


def test_parsing_pads_gtin_8_and_12():
    assert gs1.parse_digital_link("/01/96385074/10/A1").gtin == "00000096385074"
    assert gs1.parse_digital_link("/01/036000291452/10/A1").gtin == "00036000291452"


def test_a_link_without_a_lot_has_none():
    assert gs1.parse_digital_link("https://cho.vn/01/08934563138165") == gs1.DigitalLink("08934563138165", None)


@pytest.mark.parametrize(
    "uri",
    [
        "https://cho.vn/01/08934563138164/10/A1",  # bad check digit
        "https://cho.vn/01/1234/10/A1",  # too short
        "https://cho.vn/02/08934563138165/10/A1",  # no AI 01
        "https://cho.vn/01/08934563138165/10/",  # empty lot
        "https://cho.vn/01/08934563138165/10",  # no lot after 10
        "https://cho.vn/01/08934563138165/10/" + "X" * 21,  # lot too long
        "https://cho.vn/01/08934563138165/10/l%C3%B4",  # "lô": not character set 82
        "https://cho.vn/01/08934563138165/10/A%2",  # broken percent-encoding
        "https://cho.vn/01/0893-4563138165/10/A1",  # no dashes in a link
        "",
    ],
)
def test_parsing_refuses_what_is_not_a_batch_link(uri):
    with pytest.raises(gs1.InvalidDigitalLink):
        gs1.parse_digital_link(uri)


def _gtin(body: str) -> str:
    return body + str(gs1.check_digit(body))


gtins = st.sampled_from([7, 11, 12, 13]).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)).map(_gtin)
lots = st.text(st.sampled_from(CSET82), min_size=1, max_size=20)


@given(gtin=gtins, lot=lots)
def test_build_then_parse_gives_back_the_gtin_and_lot(gtin, lot):
    link = gs1.build_digital_link("https://cho.vn", gtin, lot)
    assert gs1.parse_digital_link(link) == gs1.DigitalLink(gtin.zfill(14), lot)
    path = link.removeprefix("https://cho.vn")
    assert path.count("/") == 4  # a "/" in a lot is encoded: the link keeps its shape
    assert "?" not in link and "#" not in link


@given(gtin=gtins, lot=lots)
def test_a_link_s_lot_uses_only_unreserved_characters_and_escapes(gtin, lot):
    segment = gs1.build_digital_link("https://cho.vn", gtin, lot).rsplit("/", 1)[1]
    assert all(c.isalnum() and c.isascii() or c in "-._%" for c in segment)


@given(body=st.text("0123456789", min_size=12, max_size=12), wrong=st.integers(1, 9))
def test_any_wrong_check_digit_is_refused(body, wrong):
    bad = body + str((gs1.check_digit(body) + wrong) % 10)
    assert not gs1.is_valid_gtin(bad)
    with pytest.raises(gs1.InvalidDigitalLink):
        gs1.parse_digital_link(f"/01/{bad}/10/A")
