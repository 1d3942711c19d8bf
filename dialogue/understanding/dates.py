"""Dates and times people say on a reminder call, resolved against the call's local time.

"next Friday", "on the 15th", "end of the month", "in two weeks", "tomorrow at 5 pm"; 下周五, 月底, 15号,
3天后, 明天下午3点. Hand rules cover the spoken forms dateparser misses (it knows no 下周五 or 月底);
absolute month-day forms go through dateparser. Ambiguous dates resolve to the future, unless the
caller asks for the past: a payment said to be made "on Friday" or "on the 3rd" was made last Friday or on
the 3rd just gone ("next Friday" stays next Friday, whatever was asked).
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import re
from dataclasses import dataclass

import cn2an
import dateparser

from dialogue.understanding.numbers import replace_number_words

WEEKDAYS_EN = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WD_EN = r"(mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
_MONTHS_EN = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WD_ZH = {"1": 0, "一": 0, "2": 1, "二": 1, "3": 2, "三": 2, "4": 3, "四": 3, "5": 4, "五": 4, "6": 5,
          "六": 5, "日": 6, "天": 6, "7": 6, "末": 5}  # fmt: skip


@dataclass(frozen=True)
class When:
    """A resolved mention: the date, and the time of day when one was said."""

    date: dt.date
    time: dt.time | None = None

    def at(self) -> dt.datetime | None:
        return dt.datetime.combine(self.date, self.time) if self.time else None


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _next_month_first(day: dt.date) -> dt.date:
    return (_month_end(day) + dt.timedelta(days=1)).replace(day=1)


def _day_of_month(today: dt.date, dom: int, past: bool = False) -> dt.date | None:
    if not 1 <= dom <= 31:
        return None
    if past:
        year, month = today.year, today.month
        for _ in range(3):
            if dom <= calendar.monthrange(year, month)[1] and dt.date(year, month, dom) <= today:
                return dt.date(year, month, dom)
            month, year = (12, year - 1) if month == 1 else (month - 1, year)
        return None
    year, month = today.year, today.month
    for _ in range(3):
        if dom <= calendar.monthrange(year, month)[1]:
            candidate = dt.date(year, month, dom)
            if candidate >= today:
                return candidate
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return None


def _weekday(
    today: dt.date, weekday: int, next_week: bool, this_week: bool = False, past: bool = False
) -> dt.date:
    if past and not next_week:
        if this_week:
            return today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=weekday)
        return today - dt.timedelta(days=(today.weekday() - weekday) % 7)
    if next_week:
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7)
        return monday + dt.timedelta(days=weekday)
    if this_week:
        candidate = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=weekday)
        if candidate >= today:
            return candidate
    ahead = (weekday - today.weekday()) % 7
    return today + dt.timedelta(days=ahead or 7)


def _month_day(today: dt.date, month: int, dom: int, past: bool = False) -> dt.date | None:
    for year in (today.year, today.year - 1) if past else (today.year, today.year + 1):
        try:
            candidate = dt.date(year, month, dom)
        except ValueError:
            return None
        if (candidate <= today) if past else (candidate >= today):
            return candidate
    return None


# --- English -------------------------------------------------------------------------------------------


def _normalize_en(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"[,.!?;]", " ", text)
    text = re.sub(r"\b(uh+|um+|er+|hmm+)\b", " ", text)
    text = replace_number_words(text)
    return re.sub(r"\s+", " ", text).strip()


def _date_en(text: str, today: dt.date, past: bool = False) -> dt.date | None:
    if re.search(r"\byesterday\b", text):
        return today - dt.timedelta(days=1)
    if m := re.search(r"\b(\d{1,2}|a few|a couple of|couple of) (day|week)s? ago\b", text):
        n = int(m.group(1)) if m.group(1).isdigit() else (3 if "few" in m.group(1) else 2)
        return today - dt.timedelta(days=n * (7 if m.group(2) == "week" else 1))
    if m := re.search(rf"\blast {_WD_EN}\b", text):
        weekday = _weekday_index(m.group(1))
        if weekday is not None:
            back = (today.weekday() - weekday) % 7
            return today - dt.timedelta(days=back or 7)
    if re.search(r"\blast week\b", text):
        return today - dt.timedelta(days=7)
    if re.search(r"\bday after tomorrow\b", text):
        return today + dt.timedelta(days=2)
    if re.search(r"\b(tomorrow|tmrw|tomorow|tommorow)\b", text):
        return today + dt.timedelta(days=1)
    if re.search(r"\b(today|tonight|this (morning|afternoon|evening)|later on|later today)\b", text):
        return today
    if m := re.search(
        r"\bin (a|an|1|2|3|4|5|6|7|8|9|10|couple(?: of)?|a couple(?: of)?|a few|few) (day|week|month)s?\b",
        text,
    ):
        qty = {
            "a": 1,
            "an": 1,
            "couple": 2,
            "couple of": 2,
            "a couple": 2,
            "a couple of": 2,
            "a few": 3,
            "few": 3,
        }
        n = qty.get(m.group(1)) or int(m.group(1))
        unit = {"day": 1, "week": 7, "month": 30}[m.group(2)]
        return today + dt.timedelta(days=n * unit)
    if m := re.search(r"\b(\d{1,2}) (day|week)s? from (now|today)\b", text):
        return today + dt.timedelta(days=int(m.group(1)) * (7 if m.group(2) == "week" else 1))
    if re.search(r"\b(end of (the |this )?month|month end|end of month)\b", text):
        return _month_end(today)
    if re.search(r"\bend of (the |this )?week\b", text):
        return _weekday(today, 4, False, this_week=True)
    if m := re.search(
        r"\b(?:the )?(\d{1,2})(?:st|nd|rd|th)? of next month\b"
        r"|\bnext month on the (\d{1,2})(?:st|nd|rd|th)?\b",
        text,
    ):
        first = _next_month_first(today)
        dom = min(int(m.group(1) or m.group(2)), _month_end(first).day)
        return first.replace(day=dom) if dom >= 1 else None
    if re.search(r"\b(beginning|start) of next month|first of next month|next month\b", text):
        return _next_month_first(today)
    if re.search(r"\bnext week\b", text) and not re.search(_WD_EN, text):
        return _weekday(today, 0, True)
    if m := re.search(rf"\b(next|this|coming|on|by|til|till|until)? ?{_WD_EN}\b", text):
        weekday = _weekday_index(m.group(2))
        if weekday is not None:
            return _weekday(today, weekday, m.group(1) == "next", m.group(1) == "this", past)
    if m := re.search(
        rf"\b{_MONTHS_EN} (\d{{1,2}})(?:st|nd|rd|th)?\b|\b(\d{{1,2}})(?:st|nd|rd|th)? of {_MONTHS_EN}\b", text
    ):
        phrase = m.group(0)
        parsed = dateparser.parse(
            phrase,
            languages=["en"],
            settings={"RELATIVE_BASE": dt.datetime.combine(today, dt.time()), "PREFER_DATES_FROM": "future"},
        )
        if parsed is not None:
            return _month_day(today, parsed.month, parsed.day, past)
    if m := re.search(r"\b(\d{1,2})/(\d{1,2})\b", text):
        return _month_day(today, int(m.group(1)), int(m.group(2)), past)
    if m := re.search(r"\b(?:the )?(\d{1,2})(?:st|nd|rd|th)\b", text):
        return _day_of_month(today, int(m.group(1)), past)
    if m := re.search(r"\b(?:on|by) the (\d{1,2})\b", text):
        return _day_of_month(today, int(m.group(1)), past)
    return None


def _weekday_index(token: str) -> int | None:
    for index, name in enumerate(WEEKDAYS_EN):
        if name.startswith(token[:3]):
            return index
    return None


def _hour_of_day(hour: int, text: str) -> int:
    """An hour said without am/pm: the part of the day said with it decides ("at 7 in the morning" is
    07:00, "at 8 tonight" 20:00); alone, 1-7 are afternoon and evening hours (nobody asks for 3 a.m.)."""
    if hour >= 12:
        return hour
    if re.search(r"\bmorning\b", text):
        return hour
    if re.search(r"\b(afternoon|evening|tonight|night)\b", text):
        return hour + 12
    return hour + 12 if 1 <= hour <= 7 else hour


def _time_en(text: str) -> tuple[dt.time | None, dt.timedelta | None]:
    if m := re.search(r"\bin (an|a|1|2|3|4|5|6) hours?\b|\bin half an hour\b|\bin (\d{1,2}) minutes\b", text):
        if "half" in m.group(0):
            return None, dt.timedelta(minutes=30)
        if m.group(2):
            return None, dt.timedelta(minutes=int(m.group(2)))
        n = 1 if m.group(1) in ("a", "an") else int(m.group(1))
        return None, dt.timedelta(hours=n)
    if m := re.search(
        r"\b(?:at |around |after )?(\d{1,2})(?::(\d{2}))? ?(am|pm|a m|p m|o'clock|oclock)\b", text
    ) or re.search(
        r"\b(?:at|around|after) (\d{1,2})(?::(\d{2}))?()\b(?! ?(?:dollars|bucks|days|weeks))", text
    ):
        hour, minute, suffix = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").replace(" ", "")
        if hour > 23 or minute > 59:
            return None, None
        if suffix == "pm" and hour < 12:
            hour += 12
        elif suffix == "am" and hour == 12:
            hour = 0
        elif suffix not in ("am", "pm"):
            hour = _hour_of_day(hour, text)
        return dt.time(hour, minute), None
    if re.search(r"\bnoon|lunch ?time\b", text):
        return dt.time(12, 0), None
    if re.search(r"\bafternoon\b", text):
        return dt.time(15, 0), None
    if re.search(r"\bevening|tonight|after work\b", text):
        return dt.time(18, 0), None
    if re.search(r"\bmorning\b", text):
        return dt.time(10, 0), None
    return None, None


# --- Chinese -------------------------------------------------------------------------------------------


def _normalize_zh(text: str) -> str:
    text = re.sub(r"[，。！？、,.!?\s]", "", text)
    text = text.replace("礼拜", "星期").replace("周末", "周6").replace("两", "二")
    with contextlib.suppress(ValueError, KeyError, IndexError):
        text = cn2an.transform(text, "cn2an")
    return text


def _date_zh(text: str, today: dt.date, past: bool = False) -> dt.date | None:
    if "前天" in text:
        return today - dt.timedelta(days=2)
    if "昨天" in text or "昨晚" in text:
        return today - dt.timedelta(days=1)
    if m := re.search(r"(\d{1,2})(?:个)?(天|周|星期)(?:之?前|以前)", text):
        return today - dt.timedelta(days=int(m.group(1)) * (1 if m.group(2) == "天" else 7))
    if m := re.search(r"上(?:个)?(?:周|星期)([1-7一二三四五六日天])", text):
        monday = today - dt.timedelta(days=today.weekday() + 7)
        return monday + dt.timedelta(days=_WD_ZH[m.group(1)])
    if "上周" in text or "上个星期" in text:
        return today - dt.timedelta(days=7)
    if "大后天" in text:
        return today + dt.timedelta(days=3)
    if "后天" in text:
        return today + dt.timedelta(days=2)
    if "明天" in text or "明儿" in text or "明早" in text or "明晚" in text:
        return today + dt.timedelta(days=1)
    if m := re.search(r"(\d{1,2})(?:个)?(天|周|星期|礼拜|月)(?:之?后|以后|之内|内)", text) or re.search(
        r"过(\d{1,2})(?:个)?(天|周|星期|月)", text
    ):
        unit = {"天": 1, "周": 7, "星期": 7, "礼拜": 7, "月": 30}[m.group(2)]
        return today + dt.timedelta(days=int(m.group(1)) * unit)
    if re.search(r"月底|月末|这个月底|本月底", text):
        return _month_end(today)
    if m := re.search(r"下(?:个)?月(?:初|(\d{1,2})[号日])?", text):
        first = _next_month_first(today)
        if m.group(1):
            try:
                return first.replace(day=int(m.group(1)))
            except ValueError:
                return None
        return first
    if m := re.search(r"(下下|下|这|本)?(?:个)?(?:周|星期)([1-7一二三四五六日天末])", text):
        weekday = _WD_ZH[m.group(2)]
        if m.group(1) == "下下":
            return _weekday(today, weekday, True) + dt.timedelta(days=7)
        return _weekday(today, weekday, m.group(1) == "下", m.group(1) in ("这", "本"), past)
    if re.search(r"下(?:个)?(?:周|星期)", text):
        return _weekday(today, 0, True)
    if m := re.search(r"(\d{1,2})月(\d{1,2})[号日]?", text):
        return _month_day(today, int(m.group(1)), int(m.group(2)), past)
    if m := re.search(r"(\d{1,2})[号日]", text):
        return _day_of_month(today, int(m.group(1)), past)
    if re.search(r"今天|今晚|今天晚上|晚点|晚些|等会|一会", text):
        return today
    return None


def _time_zh(text: str) -> tuple[dt.time | None, dt.timedelta | None]:
    if m := re.search(r"(\d{1,2}|半)个?(小时|钟头)(?:之?后|以后)", text):
        return None, dt.timedelta(minutes=30) if m.group(1) == "半" else dt.timedelta(hours=int(m.group(1)))
    if m := re.search(r"(\d{1,2})分钟(?:之?后|以后)", text):
        return None, dt.timedelta(minutes=int(m.group(1)))
    if m := re.search(r"(早上|上午|中午|下午|傍晚|晚上)?(\d{1,2})[点:：](半|(\d{1,2})分?)?", text):
        hour = int(m.group(2))
        minute = 30 if m.group(3) == "半" else int(m.group(4) or 0)
        if (m.group(1) in ("下午", "傍晚", "晚上") and hour < 12) or (m.group(1) is None and 1 <= hour <= 6):
            hour += 12
        if hour > 23 or minute > 59:
            return None, None
        return dt.time(hour, minute), None
    for word, hour in (
        ("中午", 12),
        ("下午", 15),
        ("傍晚", 18),
        ("晚上", 19),
        ("今晚", 19),
        ("上午", 10),
        ("早上", 9),
    ):
        if word in text:
            return dt.time(hour, 0), None
    return None, None


def find_when(text: str, language: str, now: dt.datetime, past: bool = False) -> When | None:
    """The date (and time, if said) one utterance mentions, or None; ``past`` resolves an ambiguous day
    ("Friday", "the 3rd", 3号) to the latest one not after today."""
    today = now.date()
    if language.startswith("zh"):
        norm = _normalize_zh(text)
        day, (time, delta) = _date_zh(norm, today, past), _time_zh(norm)
    else:
        norm = _normalize_en(text)
        day, (time, delta) = _date_en(norm, today, past), _time_en(norm)
    if delta is not None:
        moment = now + delta
        return When(moment.date(), moment.time().replace(second=0, microsecond=0))
    if day is None and time is None:
        return None
    if day is None:
        day = today if time is None or time > now.time() else today + dt.timedelta(days=1)
    return When(day, time)
