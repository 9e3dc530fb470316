import pytest

from chalicelib import timestamps


@pytest.mark.parametrize("text, stored", [
    ("2011-01-01T12:00:01-03:00", "2011-01-01T15:00:01.000000Z"),
    ("2024-05-01T12:00:04.512+02:00", "2024-05-01T10:00:04.512000Z"),
    ("2026-11-22T05:06:51.428171308+00:00", "2026-11-22T05:06:51.428171Z"),
    ("2019-11-01T21:32:39Z", "2019-11-01T21:32:39.000000Z"),
    ("2019-11-01", "2019-11-01T00:00:00.000000Z"),
    ("2019-11-01 21:32:39", "2019-11-01T21:32:39.000000Z"),
    ("0099-01-01T00:00:00Z", "0099-01-01T00:00:00.000000Z"),      # fixed width before 1000
])
def test_any_offset_is_normalised_to_fixed_width_utc(text, stored):
    assert timestamps.normalise(text) == stored
    # stored() of a string takes a shortcut for UTC offsets: same result as the datetime path
    assert timestamps.stored(text) == stored == timestamps.stored(timestamps.parse(text))


@pytest.mark.parametrize("text", ["2026-11-22T05:06:51.4+00:00", "2026-11-22T05:06-00:00",
                                  "2026-11-22T05:06:51,123456789z", " 2024-02-29T23:59:59+0000 ",
                                  "2026-11-22T05:06:51.000001+00"])
def test_the_utc_shortcut_agrees_with_the_datetime_path(text):
    assert timestamps.stored(text) == timestamps.stored(timestamps.parse(text))


@pytest.mark.parametrize("text", ["foo", "", "2019-13-01T00:00:00Z", "2019-11-01T25:00:00Z", None, 5,
                                  "2019-11-01T00:00:00+25:00",
                                  "9999-12-31T23:59:59-12:00",      # year 10000 in UTC
                                  "0001-01-01T00:00:00+14:00",      # year 0 in UTC
                                  "\u0662\u0660\u0661\u0669-11-01"])  # non-ASCII digits
def test_invalid_timestamps_name_the_value(text):
    with pytest.raises(timestamps.InvalidTimestamp, match="is not a valid timestamp value"):
        timestamps.normalise(text)
    if isinstance(text, str):
        with pytest.raises(timestamps.InvalidTimestamp, match="is not a valid timestamp value"):
            timestamps.stored(text)


@pytest.mark.parametrize("text", ["2023-02-29T00:00:00Z", "2019-11-01T23:60:00+00:00",
                                  "2019-11-01T23:59:60Z", "0000-01-01T00:00:00Z"])
def test_the_utc_shortcut_rejects_what_parse_rejects(text):
    with pytest.raises(timestamps.InvalidTimestamp):
        timestamps.stored(text)


def test_output_forms():
    stored = timestamps.normalise("2019-03-05T18:52:27.76Z")
    assert timestamps.seconds(stored) == "2019-03-05T18:52:27Z"
    assert timestamps.millis(stored) == "2019-03-05T18:52:27.760Z"
    assert timestamps.csv_time(stored) == "2019-03-05 18:52:27.76"
    assert timestamps.csv_time(timestamps.normalise("2019-03-05T18:52:27Z")) == "2019-03-05 18:52:27"
