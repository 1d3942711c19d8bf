"""Carrier announcements -> number status, in English and Chinese.

The session transcribes what the network says before (early media) or instead of a person; this table
turns that text into a disposition and a number status. Rows are checked in order and the first match
wins, so the specific phrases ("no longer in service") come before the general ones ("not in service"
is vacant, "no longer" is a line that once worked). Chinese rows carry the simplified and the traditional
spelling, since a recognizer may produce either, and the main Chinese phrases are also found in
homophones (`SOUNDS`, after every row's characters).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from scheduler.vocabulary import Disposition, NumberStatus
from voice.pinyin import sounds_in


@dataclass(frozen=True, slots=True)
class Announcement:
    """What a carrier message says about the number. `phrase` is the table's label, never the transcript."""

    disposition: Disposition
    number_status: NumberStatus | None
    phrase: str


@dataclass(frozen=True, slots=True)
class _Row:
    pattern: re.Pattern[str]
    disposition: Disposition
    number_status: NumberStatus | None
    phrase: str


def _row(regex: str, disposition: Disposition, status: NumberStatus | None, phrase: str) -> _Row:
    return _Row(re.compile(regex), disposition, status, phrase)


D, S = Disposition, NumberStatus
ROWS: tuple[_Row, ...] = (
    # out of service: the line existed and was cut off or suspended
    _row(r"no longer in service", D.out_of_service, S.out_of_service, "no longer in service"),
    # "the number you dialed is out of service" (Chinese carriers' English); "out of service area" is
    # the phone out of coverage (below)
    _row(r"\bis out of service(?! area)", D.out_of_service, S.out_of_service, "out of service"),
    _row(r"\b(been|be|was|is) disconnected", D.out_of_service, S.out_of_service, "disconnected"),
    _row(
        r"temporarily (out of service|suspended)|has been suspended",
        D.out_of_service,
        S.out_of_service,
        "suspended",
    ),
    _row(r"已?停机|已?停機|暂停服务|暫停服務", D.out_of_service, S.out_of_service, "停机"),
    # vacant: no such number
    _row(
        r"not (in|a) (service|working number)|not a valid number|does not exist|is not assigned"
        r"|(number|call) (you have|you ve|you) dialed (is|was) (invalid|incorrect)"
        r"|cannot be completed as dialed|has been changed"
        # the word between is often misheard on the line ("check the hummors and dial again", "check
        # them and dial again", "check the hum and dialogue", tiny.en)
        r"|check the number (and|before you) (dial|try|call)|check (the \w+|them) and (dial|try again)",
        D.vacant,
        S.vacant,
        "not in service",
    ),
    # "请查证后再拨" (check the number and dial again) follows only a vacant number; whisper base writes
    # 拨 (dial) as its homophone 播 on the line
    _row(
        r"空号|空號|号码不存在|號碼不存在|号码有误|號碼有誤|查证后再[拨播]|查證後再[撥播]",
        D.vacant,
        S.vacant,
        "空号",
    ),
    # unreachable: the phone is off (powered_off), or out of coverage or not answering the network
    # (unavailable); the number works either way
    # (a bare "unavailable" would catch a voicemail greeting: "I'm unavailable, leave a message")
    _row(r"(switched|powered|power|turned) off", D.unreachable, S.powered_off, "powered off"),
    _row(
        r"(cannot|can not|could not|unable to) be (reached|connected)"
        r"|out of (the )?(coverage|service) area|(subscriber|customer|number|mobile|phone|party|person)"
        r"( you( have| are)? (dialed|called|calling|trying to reach))? is (currently |temporarily )?"
        r"(unavailable|not available|not reachable|unreachable)",
        D.unreachable,
        S.unavailable,
        "unreachable",
    ),
    _row(r"关机|關機", D.unreachable, S.powered_off, "关机"),
    _row(r"不在服务区|不在服務區|无法接通|無法接通", D.unreachable, S.unavailable, "无法接通"),
    # nobody picked up: the number rings (the network's no-answer message)
    _row(r"无人接听|無人接聽|暂时无人|暫時無人", D.no_answer, S.valid, "无人接听"),
    # busy: the line is in use (the number works)
    _row(r"正在通话中|正在通話中|用户忙|用戶忙", D.busy, S.valid, "正在通话中"),
    _row(
        r"(line|number|subscriber|party) (you (have )?(dialed|called) )?is busy|on another call",
        D.busy,
        S.valid,
        "busy",
    ),
    # the network, not the number: never counted against the debtor
    _row(
        r"all (circuits|lines) are busy|network (is )?busy|线路忙|線路忙|网络忙|網絡忙",
        D.trunk_failure,
        None,
        "circuits busy",
    ),
    # last: the carrier's closing words, when what came before was misheard ("…you are calling it not
    # a maleable. Please try your call again later."): a working number, not reached now
    _row(r"try your call again later", D.unreachable, S.unavailable, "try your call again later"),
)

# Chinese phrases also found in homophones (voice/pinyin.py: whisper base on the line writes 查证后再拨
# as 察正后再播), in a second pass after every row's characters: (phrase, the row's label)
SOUNDS: tuple[tuple[str, str], ...] = (
    ("已停机", "停机"),
    ("暂停服务", "停机"),
    ("号码不存在", "空号"),
    ("查证后再拨", "空号"),
    ("已关机", "关机"),
    ("不在服务区", "无法接通"),
    ("无法接通", "无法接通"),
    ("无人接听", "无人接听"),
    ("正在通话中", "正在通话中"),
)
_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")
_CJK = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def normalize(text: str) -> str:
    """Lower case, punctuation and hyphens as spaces, no spaces between Chinese characters (recognizers
    put them there), full-width forms folded."""
    folded = unicodedata.normalize("NFKC", text).lower().replace("-", " ")
    spaced = _SPACES.sub(" ", _PUNCT.sub(" ", folded)).strip()
    return _CJK.sub("", spaced)


def match(text: str) -> Announcement | None:
    """The first table row the text matches; None for anything else (a person, a voicemail greeting)."""
    plain = normalize(text)
    if not plain:
        return None
    for row in ROWS:
        if row.pattern.search(plain):
            return Announcement(row.disposition, row.number_status, row.phrase)
    for phrase, label in SOUNDS:
        if sounds_in(phrase, plain):
            row = next(r for r in ROWS if r.phrase == label)
            return Announcement(row.disposition, row.number_status, row.phrase)
    return None
