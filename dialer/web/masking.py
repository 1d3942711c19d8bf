"""Phone numbers as a viewer of the console may see them: the one place that decides.

Admins see the full international format; everyone else sees the country code, the first group (area
code or mobile prefix) and the last two digits: ``+1 617 ***-**00``. Every page, JSON response, CSV
export and audit detail goes through `display_number` or `mask_free_text`; tests render each page as each
role and search the output for the full numbers they inserted.
"""

from __future__ import annotations

import re

import phonenumbers

from dialer.logs import mask_text
from dialer.web.roles import Permission, can

_SEPARATOR = re.compile(r"[\s\-]")


def format_full(e164: str) -> str:
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask_display(e164: str) -> str:
    """`+16175550100` -> `+1 617 ***-**00`; anything unparseable keeps only its last two digits."""
    digits = [c for c in e164 if c.isdigit()]
    try:
        parsed = phonenumbers.parse(e164, None)
        formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return "*" * max(len(digits) - 2, 3) + "".join(digits[-2:])
    country, _, national = formatted.partition(" ")
    parts = _SEPARATOR.split(national, maxsplit=1)
    if len(parts) < 2 or sum(c.isdigit() for c in parts[1]) < 3:
        head, rest = "", national  # no group to keep: mask everything but the last two digits
    else:
        head, rest = parts[0] + " ", parts[1]
    total = sum(c.isdigit() for c in rest)
    seen = 0
    out = []
    for c in rest:
        if c.isdigit():
            seen += 1
            out.append(c if seen > total - 2 else "*")
        else:
            out.append(c)
    return f"{country} {head}{''.join(out)}"


def visible_digits(e164: str) -> str:
    """The digits a masked viewer sees, with "*" where a digit is hidden: what a search by such a viewer
    may match against, so that no sequence of searches can reveal a hidden digit."""
    return "".join(c for c in mask_display(e164) if c.isdigit() or c == "*")


def display_number(e164: str | None, role: str) -> str:
    if not e164:
        return ""
    return format_full(e164) if can(role, Permission.see_full_numbers) else mask_display(e164)


def mask_free_text(text: str, role: str) -> str:
    """Raw import lines and other free text: digit runs that look like numbers are masked for non-admins."""
    return text if can(role, Permission.see_full_numbers) else mask_text(text)
