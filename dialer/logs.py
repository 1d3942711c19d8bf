"""Logging that keeps personal data out: phone numbers are masked before any handler sees them.

Transcripts and DTMF digits never go to log messages at all (they belong in the ledger); the masking
filter is the safety net for numbers that slip into a message or an exception text.
"""

from __future__ import annotations

import logging
import re

# E.164 or national-looking digit runs of 7+ digits, with optional separators.
_PHONE = re.compile(r"(?<![\w])(\+?\d[\d\s().-]{5,}\d)(?![\w])")


def mask_number(number: str) -> str:
    """Keep the country/area prefix and the last two digits: +1617*****00."""
    digits = [c for c in number if c.isdigit()]
    if len(digits) < 7:
        return number
    head = 4 if number.startswith("+") else 3
    masked = "".join(digits[:head]) + "*" * (len(digits) - head - 2) + "".join(digits[-2:])
    return ("+" if number.startswith("+") else "") + masked


_DATE_OR_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}:\d{2}")


def _mask_match(match: re.Match[str]) -> str:
    text = match.group(1)
    return text if _DATE_OR_TIME.match(text) else mask_number(text)


def mask_text(text: str) -> str:
    return _PHONE.sub(_mask_match, text)


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(level, logging.DEBUG))
