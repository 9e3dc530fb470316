"""UTC timestamps: parsing any ISO-8601 offset, and the output forms each API uses.

Stored form: fixed-width `YYYY-MM-DDTHH:MM:SS.ffffffZ`, so string order is time
order in SQLite and in DynamoDB sort keys alike.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_ISO = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?)?"
    r"\s*(Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)


class InvalidTimestamp(ValueError):
    def __init__(self, text: object):
        super().__init__(f"'{text}' is not a valid timestamp value")
        self.text = text


def parse(text: object) -> datetime:
    """Parse an ISO-8601 date/time; a missing offset means UTC. Returns aware UTC."""
    if not isinstance(text, str):
        raise InvalidTimestamp(text)
    match = _ISO.match(text.strip())
    if not match:
        raise InvalidTimestamp(text)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        value = datetime(int(year), int(month), int(day), int(hour or 0),
                         int(minute or 0), int(second or 0), micros,
                         tzinfo=_zone(offset))
        # Year 9999 at -12:00 is year 10000 in UTC: beyond datetime's range.
        return value.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise InvalidTimestamp(text) from None


def _zone(offset: str | None) -> timezone:
    if not offset or offset in ("Z", "z"):
        return timezone.utc
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def now() -> datetime:
    return datetime.now(timezone.utc)


# Offsets that mean UTC: a time given in UTC (Puppet's `+00:00`, or `Z`) is put in the
# stored form from its digits, without the datetime round trip (docs/performance.md).
_UTC_OFFSETS = frozenset((None, "Z", "z", "+00:00", "+0000", "+00", "-00:00", "-0000", "-00"))


def stored(value: datetime | str) -> str:
    """The fixed-width stored form of a time (or of an ISO string)."""
    if isinstance(value, str):
        match = _ISO.match(value.strip())
        if match and match.group(8) in _UTC_OFFSETS:
            year, month, day, hour, minute, second, fraction, _ = match.groups()
            try:    # validates the date and the time of day as parse() does
                datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                         int(second or 0))
            except ValueError:
                raise InvalidTimestamp(value) from None
            return (f"{year}-{month}-{day}T{hour or '00'}:{minute or '00'}:{second or '00'}"
                    f".{(fraction or '')[:6].ljust(6, '0')}Z")
        value = parse(value)
    value = value.astimezone(timezone.utc)
    # Not strftime: its %Y drops leading zeros before year 1000 on glibc.
    return f"{value.year:04d}-{value:%m-%dT%H:%M:%S.%f}Z"


_STORED = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$")


def is_stored(text: str) -> bool:
    """Whether `text` is in the stored form (`stored()`'s output)."""
    return _STORED.match(text) is not None


def stored_millis(value: datetime | str) -> str:
    """The stored form truncated to the millisecond, as PuppetDB keeps times (Joda
    DateTime) and PE keeps activity commit times (so a commit's CSV Submit Time, its
    JSON and `after_service_commit_time` agree): `.000123` is `.000`. Same width, so
    stored order is unchanged."""
    return stored(value)[:23] + "000Z"


def from_epoch_millis(value: int) -> str:
    """Milliseconds since the epoch (a number PuppetDB reads as a time) -> stored form."""
    try:
        return stored(datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=value))
    except OverflowError:
        raise InvalidTimestamp(value) from None


def normalise(text: str) -> str:
    """Parse any ISO-8601 string and return the stored form."""
    return stored(parse(text))


def seconds(stored_value: str | None) -> str | None:
    """`2016-05-05T19:50:08Z`: orchestrator and activity responses."""
    return None if stored_value is None else stored_value[:19] + "Z"


def millis(stored_value: str | None) -> str | None:
    """`2012-10-30T19:01:05.000Z`: PuppetDB responses (clients parse this form)."""
    return None if stored_value is None else stored_value[:23] + "Z"


def csv_time(stored_value: str) -> str:
    """`2019-03-05 18:52:27.76`: activity CSV Submit Time (document 003): at most
    three fractional digits (PE's millisecond times), trailing zeros dropped."""
    fraction = stored_value[20:23].rstrip("0")
    return stored_value[:10] + " " + stored_value[11:19] + ("." + fraction if fraction else "")
