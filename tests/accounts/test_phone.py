import pytest

from marketplace.core.phone import InvalidPhone, format_vn_phone, normalise_vn_phone


@pytest.mark.parametrize(
    "typed",
    [
        "0912345678",
        "0912 345 678",
        "091.234.5678",
        "091-234-5678",
        "+84912345678",
        "+84 912 345 678",
        "84912 345 678",
        "0084912345678",
        " (091) 2345678 ",
    ],
)
def test_vietnamese_mobile_numbers_are_normalised(typed):
    assert normalise_vn_phone(typed) == "0912345678"


@pytest.mark.parametrize("prefix", ["03", "05", "07", "08", "09"])
def test_every_mobile_prefix_is_accepted(prefix):
    assert normalise_vn_phone(prefix + "12345678") == prefix + "12345678"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "abc",
        "091234567",
        "09123456789",
        "0241234567",
        "+1 912 345 678",
        "849123456789",
        "0912a45678",
        "+840912345678",
        "1912345678",
    ],
)
def test_other_numbers_are_refused(typed):
    with pytest.raises(InvalidPhone):
        normalise_vn_phone(typed)


@pytest.mark.parametrize(
    "stored, shown",
    [
        ("0912345678", "0912 345 678"),
        ("0387654321", "0387 654 321"),
        ("0204 3856 123", "0204 3856 123"),
        ("", ""),
        (None, ""),
    ],
)
def test_stored_mobile_numbers_are_shown_in_groups(stored, shown):
    assert format_vn_phone(stored) == shown
