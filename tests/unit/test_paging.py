import pytest

from chalicelib import paging


@pytest.mark.parametrize("raw, expected", [(None, 7), ("0", 0), ("12", 12), (" 3 ", 3)])
def test_integer_accepts_decimal_integers(raw, expected):
    assert paging.integer("offset", raw, default=7) == expected


@pytest.mark.parametrize("raw", ["-1", "1.5", "abc", "", "1e3", "\u00b2", "\u0663",
                                 str(paging.MAX_INTEGER + 1)])
def test_integer_rejects_the_rest_naming_the_parameter(raw):
    with pytest.raises(paging.InvalidParameter) as caught:
        paging.integer("offset", raw)
    assert caught.value.name == "offset" and "non-negative integer" in str(caught.value)


def test_positive_and_bounded_integers():
    with pytest.raises(paging.InvalidParameter, match="positive integer"):
        paging.integer("limit", "0", minimum=1)
    with pytest.raises(paging.InvalidParameter, match="no greater than 10"):
        paging.integer("limit", "11", minimum=1, maximum=10)


def test_order_is_asc_or_desc_case_insensitively():
    assert paging.order("order", "DESC", default="asc") == "desc"
    assert paging.order("order", None, default="asc") == "asc"
    with pytest.raises(paging.InvalidParameter):
        paging.order("order", "up", default="asc")


def test_link_encodes_parameters():
    assert paging.link("https://h", "/p", start=3, skip=None) == "https://h/p?start=3"
