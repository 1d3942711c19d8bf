"""What the words of a call's first seconds say about who answered (English and Chinese).

A person says "hello?", "yeah?", "这是谁" and waits; machines name what they are. The phrases are
grouped by who says them, checked in this order (the first group that matches wins):

* ``screener``: a call screener (Apple's "record your name and reason for calling", Google's
  "say your name and why you're calling", 小米/华为 AI 代接 "我是机主的智能助理，机主现在不方便接听，
  请问您有什么事");
* ``machine``: a voicemail greeting, personal or the carrier's ("leave a message", "请在提示音后留言");
* ``announcement``: a carrier's announcement (dialer.numberstatus.announcements: "not in service",
  "空号", "已关机"), which also names the number's status;
* ``ivr``: a company's menu ("press 1", "main menu", "请按", "转人工").

Chinese phrases of three or more syllables also match in homophones (voice/pinyin.py): whisper base on
the line writes 欢迎来电 as 欢迎来点.

The order matters: a carrier voicemail says "the person you are calling is not available, please
leave a message" (voicemail, not an announcement), and a screener asks for a name before anything. An
announcement that asks for no message wins over voicemail phrases ("the number you have reached has
been disconnected" is no greeting, though "you have reached" opens many).
"""

from __future__ import annotations

import re
import unicodedata

from dialer.numberstatus.announcements import match as match_announcement
from voice.pinyin import MIN_SYLLABLES, sounds_in, sounds_near

_HAN = re.compile(r"[\u3400-\u9fff]")

SCREENER = (
    # a screener asks the caller to say who they are ("leave your name and number" is a voicemail's)
    "record your name",
    "say your name",
    "state your name",
    "tell me your name",
    "tell me who's calling",
    "tell me who is calling",
    "name and reason",
    "reason for calling",
    "reason for your call",
    "why you're calling",
    "why you are calling",
    "what you're calling about",
    "what you are calling about",
    "screening service",
    "call screen",
    "call assist",
    "see if this person is available",
    "see if they're available",
    "get a copy of this conversation",
    "who's calling and why",
    # the owner is away (a person says "我是机主", "机主已经去世": 机主 alone names no screener)
    "机主现在",
    "机主暂时",
    "机主不方便",
    "机主正在忙",
    "机主的智能",
    # what AI answering assistants call themselves ("我是机主的智能助理")
    "智能助理",
    "智能助手",
    "语音助理",
    "语音助手",
    "来电助理",
    "ai助理",
    "ai助手",
    "代接",
    "转告",
    "来电事由",
    "来电原因",
    "您的姓名",
    "来电目的",
)
# a screener asking to be told the name and the reason, its verb misheard ("Please help me your name and
# what you're talking about"); a person's "what's your name and what do you want?" asks no one to tell.
# Google's screener as the recognizer writes it on the training voices: "a person you're calling in
# using a breathing service from Google and we'll get a copy on this card"
SCREENER_HEARD = re.compile(
    r"\b(me|us) your name and (what|why|the reason)"
    r"|\bservice from google|\bget a copy (of|on) this\b|\bperson you'?re calling (is |in )?using\b"
)
VOICEMAIL = (
    "leave a message",
    "leave your message",
    "leave me a message",
    "leave a voice message",
    "leave your name",
    "after the tone",
    "after the beep",
    "at the tone",
    "at the beep",
    "can't take your call",
    "cannot take your call",
    "can't come to the phone",
    "can't get to the phone",
    "unable to take your call",
    "not available to take",
    "get back to you",
    "return your call",
    "voicemail",
    "voice mail",
    "mailbox",
    "record your message",
    "you've reached",
    "you have reached",
    "请在提示音后留言",
    "提示音后",
    "请留言",
    "留言",
    "语音信箱",
    "不方便接听",
    "暂时不能接听",
    "无法接听您的电话",
)
# what only a voicemail says: with these, a carrier's "not available" is its voicemail, not an announcement
ASKS_FOR_A_MESSAGE = (
    "message",
    "tone",
    "beep",
    "voicemail",
    "voice mail",
    "mailbox",
    "留言",
    "提示音",
    "信箱",
)
# The same greetings as a recognizer hears them over a phone line: the small words go first ("leave my
# message", "that's the tone", "an automatic voice message system").
VOICEMAIL_HEARD = re.compile(
    r"\bleave (a |an |me a |your |my |us a )?(short |brief |detailed )?(voice ?)?message"
    r"|\b(the|a) (tone|beep)\b|\bvoice ?(message|mail)|message (system|service)|automatic voice"
    r"|(can'?t|cannot|unable to) (take|answer|get) (your|the|to the) (call|phone)"
)
IVR = (
    "press 1",
    "press 3",
    "press 9",
    "to speak with a representative",
    "to speak to a representative",
    "to speak with an agent",
    "to speak to an operator",
    "if you know your party",
    "dial it at any time",
    "press one",
    "press 2",
    "press two",
    "press 0",
    "press zero",
    "press star",
    "press pound",
    "main menu",
    "menu options",
    "options have changed",
    "listen carefully",
    "please select",
    "for english",
    "para español",
    "extension",
    "your call is important",
    "thank you for calling",
    "customer service",
    # a company's greeting: nobody says it picking up their own phone ("Welcome to Contoso" heard as
    # "Welcome to control", 欢迎致电 as 欢迎议论 on the training voices)
    "welcome to",
    "欢迎",
    "请按",
    "按1",
    "按一",
    "按0",
    "转人工",
    "欢迎致电",
    "欢迎来电",
    "菜单",
    # a company's service desk ("我要找客服" is a person's complaint: 客服 alone names no menu)
    "人工客服",
    "客服热线",
    "客服中心",
    "人工服务",
    "自助服务",
    "语音导航",
    "业务咨询",
    "按井号键",
    "按星号键",
    "返回上一级",
    # for their sound ("请案领" is 请按零)
    "请按一",
    "请按二",
    "请按三",
    "请按零",
)
# a menu's "press <key>" as a recognizer writes it ("press 4", "press the pound key")
IVR_HEARD = re.compile(
    r"\bpress (the )?(\d|one|two|three|four|five|six|seven|eight|nine|zero|star|pound|hash)\b"
)


def normal(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    spaced = re.sub(r"\s+", " ", folded).strip()
    return re.sub(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])", "", spaced)


# two-syllable phrases heard in homophones too: a menu's 请按 ("please press", written 请案) sounds like
# nothing a person says on answering
SHORT_BY_SOUND = frozenset({"请按"})


def _said(keys: tuple[str, ...], said: str) -> bool:
    """A key phrase in the words, in its characters or (Chinese) in characters that sound like it."""
    if any(k in said for k in keys):
        return True
    return any(
        sounds_in(k, said, min_syllables=2 if k in SHORT_BY_SOUND else MIN_SYLLABLES) or sounds_near(k, said)
        for k in keys
        if _HAN.search(k)
    )


def who_said(text: str) -> str | None:
    """``screener``, ``machine`` (a voicemail greeting), ``announcement``, ``ivr``, or None (nothing
    a machine would say: a person, or words too few to tell)."""
    said = normal(text)
    if not said:
        return None
    if _said(SCREENER, said) or SCREENER_HEARD.search(said):
        return "screener"
    carrier = match_announcement(text) is not None
    if carrier and not any(k in said for k in ASKS_FOR_A_MESSAGE):
        # "the number you have reached has been disconnected": a carrier, though "you have reached"
        # opens many voicemail greetings; a carrier's voicemail asks for a message
        return "announcement"
    if _said(VOICEMAIL, said) or VOICEMAIL_HEARD.search(said):
        return "machine"
    if carrier:
        return "announcement"
    if _said(IVR, said) or IVR_HEARD.search(said):
        return "ivr"
    return None
