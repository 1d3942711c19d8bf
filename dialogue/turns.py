"""What both engines share around the policy: slots derived from entities, response rendering and the
effects a response's ``custom`` block asks for. Keeping this in one place is what makes the embedded engine
and the Rasa server produce the same actions from the same files.

A response's ``custom`` block (domain.yml) may hold::

    disposition: promise_to_pay     # SetDisposition (VOCAB strings)
    record: promise | paid | callback | plan   # plan: RecordSettlement? then one RecordPromise per part
    opt_out: number | all
    transfer: agent                 # Transfer(target)
    hangup: true
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from dialogue.calling_hours import within_calling_hours
from dialogue.interfaces import (
    BotAction,
    CallContext,
    HangUp,
    OptOut,
    ParseResult,
    RecordCallback,
    RecordPaid,
    RecordPromise,
    RecordSettlement,
    Say,
    SetDisposition,
    Transfer,
    UserSaid,
)
from dialogue.plan import PlanCheck, PlanLimits, check_plan
from dialogue.script import Response, Variant
from dialogue.understanding.amounts import find_amount
from dialogue.understanding.parts import REST, Part

_WEEKDAYS_ZH = "一二三四五六日"
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
DERIVED_SLOTS = (
    "date",
    "date_text",
    "date_check",
    "paid_check",
    "paid_date",
    "callback_at",
    "callback_text",
    "amount_said",
    "promise_amount",
    "paid_method",
    "promise_limit",
    "attorney_name",
    "attorney_phone",
    "attorney_given",
    "spoken_language",
    "plan_text",
    "plan_parts",
    "plan_problem",
    "plan_settlement",
    "plan_rules",
    "repeat_check",
)
REPEAT_LIMIT = 3  # a question asked this many times, and the callee still loops: offer a person or end
PAID_DATE_CHECK = "utter_check_paid_date"  # "have you already paid, or will you pay on {date_text}?"


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
        paid_check=None,
        paid_date=None,
        callback_at=None,
        callback_text=None,
        amount_said=None,
        promise_amount=context.amount,
        paid_method=None,
        promise_limit=display_date(limit, context.language),
        attorney_name=None,
        attorney_phone=None,
        attorney_given=False,
        spoken_language=None,
        plan_text=None,
        plan_parts=None,
        plan_problem=None,
        plan_settlement=None,
        plan_rules=None,
        repeat_check="ok",
    )
    return slots


def question_base(name: str) -> str:
    """A question and its reprompt count as the same question."""
    return name.replace("utter_reprompt_", "utter_")


def repeat_check(asked: dict[str, int], last_question: str) -> str:
    """``too_many`` once the question just asked has been asked REPEAT_LIMIT times in this call."""
    return "too_many" if asked.get(question_base(last_question), 0) >= REPEAT_LIMIT else "ok"


def promise_on_asked_date(
    intent: str, entities: tuple[tuple[str, str], ...], slots: dict[str, Any], last_question: str
) -> tuple[tuple[str, str], ...]:
    """The entities of a reply, with the day the bot just named when a promise answers its paid-date check.

    "Have you already paid, or will you pay on Friday?" - "I'll pay then" (到时候还) is a promise for that
    Friday: the question's day (the ``date`` slot) is the promise's, read back before anything is
    recorded. A reply naming a day of its own keeps it.
    """
    if intent != "promise_to_pay" or question_base(last_question) != PAID_DATE_CHECK:
        return entities
    if "date" in dict(entities) or not slots.get("date"):
        return entities
    return (*entities, ("date", str(slots["date"])), ("tense", "future"))


LANGUAGE_BARRIER = "language_barrier"


def heard_in_other_language(
    event: UserSaid, script_language: str, intents: Iterable[str]
) -> ParseResult | None:
    """A reply the recognizer heard in another language than the script's (Whisper's language spotting)
    is a language barrier, whatever its transcript in the script's language says: that transcript is
    the recognizer forcing foreign speech into the script's words ("hablo español" -> "Hello?"). Only
    for scripts that know the intent; the language is its entity, as when the callee names it."""
    spoken = event.language.split("-")[0]
    if not spoken or spoken == script_language.split("-")[0] or LANGUAGE_BARRIER not in intents:
        return None
    return ParseResult(LANGUAGE_BARRIER, 1.0, (("language", spoken),), top=LANGUAGE_BARRIER)


def derive_slots(
    entities: tuple[tuple[str, str], ...],
    slots: dict[str, Any],
    now: dt.datetime,
    limits: PlanLimits | None = None,
) -> dict[str, Any]:
    """Slot updates for one user turn. ``date_check`` (ok | too_far | past | missing | plan |
    plan_outside), ``paid_check`` (ok | future | promise | missing) and the callback time are reset every
    turn: they describe this reply only; the promise date and amount, the day a payment was made
    (``paid_date``: an ambiguous day read as one already gone), the plan and the attorney's details
    persist."""
    language = str(slots.get("language") or "en")
    found = dict(entities)
    updates: dict[str, Any] = {
        "date_check": "missing",
        "paid_check": "missing",
        "callback_at": None,
        "callback_text": None,
    }
    if "date" in found:
        day = dt.date.fromisoformat(found["date"])
        limit = now.date() + dt.timedelta(days=int(slots.get("promise_max_days") or 14))
        check = "past" if day < now.date() else ("too_far" if day > limit else "ok")
        updates.update(date=day.isoformat(), date_text=display_date(day, language), date_check=check)
        paid_day = dt.date.fromisoformat(found.get("paid_date") or found["date"])
        updates["paid_date"] = paid_day.isoformat()
        updates["paid_check"] = paid_check(paid_day, now.date(), found.get("tense") == "future")
        if "time" in found:
            at = within_calling_hours(dt.datetime.combine(day, dt.time.fromisoformat(found["time"])), slots)
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
    for name in ("attorney_name", "attorney_phone"):
        if name in found:
            updates[name] = found[name]
    if updates.get("attorney_name") or updates.get("attorney_phone"):
        updates["attorney_given"] = True
    if "language" in found:
        updates["spoken_language"] = found["language"]
    parts = tuple(
        Part(dt.date.fromisoformat(v.split("|")[0]), _part_amount(v.split("|")[1]))
        for k, v in entities
        if k == "part"
    )
    settle = "settle" in found
    if not parts and settle and "date" in found and "amount" in found:
        parts = (Part(dt.date.fromisoformat(found["date"]), Decimal(found["amount"])),)
    if parts:
        updates.update(plan_slots(parts, settle, slots, limits or PlanLimits(), now.date()))
    return updates


def paid_check(day: dt.date, today: dt.date, future_words: bool) -> str:
    """What a date means if the reply says the account is paid: a payment made today or before is ``ok``;
    one after today is not a payment: a ``promise`` for that day when the words say it is still to come,
    else ``future`` (the bot asks which was meant), never recorded as paid."""
    if day <= today:
        return "ok"
    return "promise" if future_words else "future"


def _part_amount(raw: str) -> Decimal | str:
    return REST if raw == REST else Decimal(raw)


def balance_of(slots: dict[str, Any]) -> Decimal | None:
    """The amount due as a number, read from its display form ("$120.50", 一千二百元)."""
    text = str(slots.get("amount") or "")
    language = str(slots.get("language") or "en")
    found = find_amount(text, language)
    if found is None:
        digits = re.sub(r"[^\d.]", "", text)
        try:
            found = Decimal(digits) if digits else None
        except InvalidOperation:
            found = None
    return found


def plan_slots(
    parts: tuple[Part, ...], settle: bool, slots: dict[str, Any], limits: PlanLimits, today: dt.date
) -> dict[str, Any]:
    """The slots a plan (or settlement) sets: its check, the read-back text, the problem and the rules."""
    language = str(slots.get("language") or "en")
    currency = str(slots.get("currency") or "")
    balance = balance_of(slots)
    checked = check_plan(parts, balance, settle, limits, today)
    zh = language.startswith("zh")

    def money(value: Decimal) -> str:
        return display_amount(value, currency, language)

    pieces = [
        (
            f"{display_date(day, language)}还{money(amount)}"
            if zh
            else f"{money(amount)} by {display_date(day, language)}"
        )
        for day, amount in checked.parts
    ]
    if zh:
        text = "，".join(pieces) + ("，结清全部欠款" if checked.settlement else "")
    else:
        text = (
            pieces[0] if len(pieces) == 1 else ", ".join(pieces[:-1]) + " and " + pieces[-1] if pieces else ""
        )
        text += " to settle the account in full" if checked.settlement else ""
    latest = today + dt.timedelta(days=limits.latest_days)
    first = limits.min_first_part.of(balance) or Decimal(0)
    if zh:
        by = display_date(latest, language)
        rules = f"最多可以分{limits.max_parts}期，首期不少于{money(first)}，最晚{by}前还清。"
    else:
        rules = (
            f"We can note up to {limits.max_parts} payments, the first of at least {money(first)}, "
            f"all by {display_date(latest, language)}."
        )
    return {
        "date_check": "plan" if checked.problem is None else "plan_outside",
        "plan_text": text,
        "plan_parts": json.dumps([[d.isoformat(), str(a)] for d, a in checked.parts]),
        "plan_problem": _problem_text(checked, currency, language),
        "plan_settlement": str(checked.total) if checked.settlement and checked.problem is None else None,
        "plan_rules": rules,
    }


_PROBLEMS_EN = {
    "parts": "we can note at most {limit} payments",
    "past": "a payment date has already passed",
    "late": "every payment must be made by {limit}",
    "first_part": "the first payment must be at least {limit}",
    "total": "the payments must add up to at least {limit}",
    "settlement": "we can't reduce the balance below {limit} on this call",
    "rest": "I couldn't work out the remaining amount",
}
_PROBLEMS_ZH = {
    "parts": "最多只能分{limit}期",
    "past": "有一期的日期已经过了",
    "late": "每一期都要在{limit}前还",
    "first_part": "首期至少要还{limit}",
    "total": "合计至少要还{limit}",
    "settlement": "本次通话不能减免到{limit}以下",
    "rest": "我没能算出剩余的金额",
}


def _problem_text(checked: PlanCheck, currency: str, language: str) -> str | None:
    if checked.problem is None:
        return None
    limit = checked.limit
    if checked.problem in ("late", "past") and limit:
        limit = display_date(dt.date.fromisoformat(limit), language)
    elif checked.problem in ("first_part", "total", "settlement") and limit:
        limit = display_amount(Decimal(limit), currency, language)
    table = _PROBLEMS_ZH if language.startswith("zh") else _PROBLEMS_EN
    return table[checked.problem].format(limit=limit)


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
    elif record == "plan" and slots.get("plan_parts"):
        if slots.get("plan_settlement"):
            out.append(RecordSettlement(Decimal(str(slots["plan_settlement"]))))
        for day, amount in json.loads(str(slots["plan_parts"])):
            out.append(RecordPromise(dt.date.fromisoformat(day), Decimal(amount)))
    elif record == "paid":
        said = slots.get("paid_date") or slots.get("date")
        paid = dt.date.fromisoformat(str(said)) if said else None
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


def respond(responses: dict[str, Response], name: str, slots: dict[str, Any]) -> list[BotAction]:
    """The actions of the script's response `name` (a variant chosen by the slots); none if it has none."""
    response = responses.get(name)
    if response is None:
        return []
    return say_and_effects(name, choose_variant(response, slots), slots)


def spoken_text(actions: list[BotAction], default: str) -> str:
    """The last sentence the actions say (what a repeat request repeats), else `default`."""
    return next((a.text for a in reversed(actions) if isinstance(a, Say)), default)


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
