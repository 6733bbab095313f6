"""Times as the journal and the reports write them: ISO-8601 with offset, or epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def parse_time(text: str, default_tz: tzinfo = UTC) -> float:
    """Epoch seconds from ISO-8601 (with offset, else `default_tz`) or from epoch seconds."""
    text = text.strip()
    if not text:
        raise ValueError("empty time")
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        # Years 1970..9999: anything else is a typo, and datetime cannot show it anyway.
        if not 0 <= value < 253402300800:
            raise ValueError(f"{text!r} is not a time (epoch seconds out of range)")
        return value
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO-8601 time or epoch seconds") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    return dt.timestamp()


def iso(ts: float, tz: tzinfo = UTC) -> str:
    """ISO-8601 with offset, whole seconds unless the time has a fraction."""
    dt = datetime.fromtimestamp(ts, tz)
    spec = "seconds" if dt.microsecond == 0 else "milliseconds"
    return dt.isoformat(timespec=spec)
