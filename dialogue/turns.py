"""What both engines share around the policy: slots derived from entities, response rendering and the
effects a response's ``custom`` block asks for. Keeping this in one place is what makes the embedded engine
and the Rasa server produce the same actions from the same files.

A response's ``custom`` block (domain.yml) may hold::

    disposition: promise_to_pay     # SetDisposition (VOCAB strings)
    record: promise | paid | callback
    opt_out: number | all
    transfer: agent                 # Transfer(target)
    hangup: true
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from dialogue.interfaces import (
    BotAction,
    CallContext,
    HangUp,
    OptOut,
    RecordCallback,
    RecordPaid,
    RecordPromise,
    Say,
    SetDisposition,
    Transfer,
)
from dialogue.script import Response, Variant

_WEEKDAYS_ZH = "一二三四五六日"
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
DERIVED_SLOTS = (
    "date",
    "date_text",
    "date_check",
    "callback_at",
    "callback_text",
    "amount_said",
    "promise_amount",
    "paid_method",
    "promise_limit",
)


def display_date(day: dt.date, language: str) -> str:
    if language.startswith("zh"):
        return f"{day.month}月{day.day}日（星期{_WEEKDAYS_ZH[day.weekday()]}）"
    return f"{day.strftime('%A')}, {day.strftime('%B')} {day.day}"


def display_time(at: dt.datetime, language: str) -> str:
    if language.startswith("zh"):
        part = "上午" if at.hour < 12 else ("下午" if at.hour < 18 else "晚上")
        hour = at.hour if at.hour <= 12 else at.hour - 12
        minute = f"{at.minute}分" if at.minute else ""
        return f"{display_date(at.date(), language)}{part}{hour}点{minute}"
    clock = at.strftime("%I:%M %p").lstrip("0").replace(":00", "")
    return f"{display_date(at.date(), language)} at {clock}"


def display_amount(value: Decimal, currency: str, language: str) -> str:
    text = f"{value:,.2f}".replace(".00", "")
    if language.startswith("zh"):
        return f"{text}元"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def initial_slots(context: CallContext, now: dt.datetime) -> dict[str, Any]:
    slots: dict[str, Any] = dict(context.slots())
    limit = now.date() + dt.timedelta(days=context.promise_max_days)
    slots.update(
        date=None,
        date_text=None,
        date_check=None,
        callback_at=None,
        callback_text=None,
        amount_said=None,
        promise_amount=context.amount,
        paid_method=None,
        promise_limit=display_date(limit, context.language),
    )
    return slots


def derive_slots(
    entities: tuple[tuple[str, str], ...], slots: dict[str, Any], now: dt.datetime
) -> dict[str, Any]:
    """Slot updates for one user turn. ``date_check`` (ok | too_far | past | missing) and the callback
    time are reset every turn: they describe this reply only; the promise date and amount persist."""
    language = str(slots.get("language") or "en")
    found = dict(entities)
    updates: dict[str, Any] = {"date_check": "missing", "callback_at": None, "callback_text": None}
    if "date" in found:
        day = dt.date.fromisoformat(found["date"])
        limit = now.date() + dt.timedelta(days=int(slots.get("promise_max_days") or 14))
        check = "past" if day < now.date() else ("too_far" if day > limit else "ok")
        updates.update(date=day.isoformat(), date_text=display_date(day, language), date_check=check)
        if "time" in found:
            at = dt.datetime.combine(day, dt.time.fromisoformat(found["time"]))
            updates.update(
                callback_at=at.isoformat(timespec="minutes"), callback_text=display_time(at, language)
            )
        else:
            updates.update(callback_at=day.isoformat(), callback_text=display_date(day, language))
    if "amount" in found:
        try:
            value = Decimal(found["amount"])
        except InvalidOperation:
            value = None
        if value is not None:
            currency = str(slots.get("currency") or "")
            updates.update(amount_said=str(value), promise_amount=display_amount(value, currency, language))
    if "method" in found:
        updates["paid_method"] = found["method"]
    return updates


def choose_variant(response: Response, slots: dict[str, Any]) -> Variant | None:
    """The first variant whose conditions hold; unconditional variants are the default (as in Rasa)."""
    for variant in response.variants:
        if variant.condition and all(_same(slots.get(name), value) for name, value in variant.condition):
            return variant
    plain = [v for v in response.variants if not v.condition]
    return plain[0] if plain else None


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(actual) == bool(expected) and actual is not None
    return str(actual) == str(expected)


def render(text: str, slots: dict[str, Any]) -> str:
    """Fill {slot} variables the way Rasa does (a missing value is left as written)."""

    def sub(match: re.Match[str]) -> str:
        value = slots.get(match.group(1))
        return match.group(0) if value is None else str(value)

    return re.sub(r"\{(\w+)\}", sub, text).strip()


def effects(custom: dict[str, Any], slots: dict[str, Any]) -> list[BotAction]:
    """Turn a response's custom block into bot actions, in the order the session should apply them."""
    out: list[BotAction] = []
    if custom.get("disposition"):
        out.append(SetDisposition(str(custom["disposition"])))
    record = custom.get("record")
    if record == "promise" and slots.get("date"):
        amount = Decimal(str(slots["amount_said"])) if slots.get("amount_said") else None
        out.append(RecordPromise(dt.date.fromisoformat(str(slots["date"])), amount))
    elif record == "paid":
        paid = dt.date.fromisoformat(str(slots["date"])) if slots.get("date") else None
        out.append(RecordPaid(paid, str(slots["paid_method"]) if slots.get("paid_method") else None))
    elif record == "callback":
        raw = slots.get("callback_at")
        at = dt.datetime.fromisoformat(str(raw)) if raw else None
        out.append(RecordCallback(at))
    if custom.get("opt_out"):
        out.append(OptOut(str(custom["opt_out"])))
    if custom.get("transfer"):
        out.append(Transfer(str(custom["transfer"])))
    if custom.get("hangup"):
        out.append(HangUp())
    return out


def say_and_effects(
    name: str, variant: Variant | None, slots: dict[str, Any], text: str | None = None
) -> list[BotAction]:
    """The actions one response produces; ``text`` overrides rendering (the Rasa server renders itself)."""
    if variant is None:
        return []
    actions: list[BotAction] = []
    spoken = text if text is not None else (render(variant.text, slots) if variant.text else "")
    if spoken:
        actions.append(Say(spoken, name))
    actions.extend(effects(variant.custom, slots))
    return actions
