"""Who answered beyond human/voicemail: screeners, menus, fax, call progress and carrier announcements,
decided by the detector (frames in audio time) and acted on by the session (fake SIP engine)."""

from __future__ import annotations

import random

import pytest

from bench import amd_corpus
from bench.amd_corpus import cadence, espeak_mandarin, sit, telephone_line, tone
from dialer.session.conversation import SCREENER_WAIT_SECONDS
from dialer.session.greeting import who_said
from dialer.session.machine import MachineDetector, Verdict, screener_reply
from dialer.session.settings import SessionSettings
from dialer.sip.fake_engine import ScriptedCallee
from tests.voice.speech import noise, speech
from voice.frames import split_frames

from .fakes import RATE, Timeline, run_call, spec


def feed(audio: list[tuple[float, bytes]], seconds: float, *, words: bool = False) -> list[Verdict]:
    line = bytearray(noise(seconds, RATE, amplitude=20.0))
    for at, pcm in audio:
        i = 2 * round(at * RATE)
        piece = pcm[: len(line) - i]
        line[i : i + len(piece)] = piece
    detector = MachineDetector(SessionSettings(), words=words)
    return [v for f in split_frames(bytes(line), RATE) if (v := detector.process(f)) is not None]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "Hi, if you record your name and reason for calling, I'll see if this person is available.",
            "screener",
        ),
        ("Go ahead and say your name and why you're calling.", "screener"),
        ("您好，机主暂时无法接听，请说出您的姓名和来电事由。", "screener"),
        # an AI answering assistant names itself, though the recognizer misses 机主 (the owner)
        ("您好，我是小爱，鸡主的智能助手，请问您找他有什么事？", "screener"),
        ("你好，我是来电助理，请问哪位？", "screener"),
        # people who say 机主 (the phone's owner) or 客服 (customer service) are no screener, no menu
        ("是，我是机主", None),
        ("机主已经去世了", None),
        ("我要找客服投诉你们", None),
        ("转人工客服", "ivr"),
        ("The person you are calling is not available. Please leave a message after the tone.", "machine"),
        ("您拨打的用户暂时无法接听，请在提示音后留言", "machine"),
        ("The number you have dialed is not in service.", "announcement"),
        ("We are sorry, the number you have reached has been disconnected.", "announcement"),
        ("You have reached Sam. Please leave a message.", "machine"),
        ("您拨打的电话已关机", "announcement"),
        ("For billing, press 1. To speak with a representative, press 0.", "ivr"),
        ("欢迎致电北风公司，人工服务请按0", "ivr"),
        # voicemail greetings as tiny.en heard them over G.711 (bench/amd_bench.py)
        ("Please leave my message.", "machine"),
        ("That's the tone.", "machine"),
        ("your call can be thought within an automatic voice management system.", "machine"),
        ("Hello, who's this? I'm driving right now.", None),
        ("Yeah, hold on, I'll get my bill. Who's calling?", None),
        ("Can you call me back on the other phone?", None),
        ("Hello? Can I call you back later?", None),
        # a voicemail asks for a name too, to leave with the message: no screener
        (
            "Hello, this is Sam. Sorry I missed you. Please leave your name and number after the beep.",
            "machine",
        ),
        ("Please leave your name and I'll call you back.", "machine"),
        ("Please state your name after the tone and I'll see if they're available.", "screener"),
        ("喂，你好，哪位", None),
        # menus as the recognizer writes them: digits, "press the pound key", a transfer to an extension
        ("Thank you for calling. For billing, press 4.", "ivr"),
        ("Press the pound key to return to the main menu", "ivr"),
        ("If you know your party's extension, you may dial it at any time.", "ivr"),
        ("To speak with a representative, stay on the line.", "ivr"),
        ("您好，欢迎致电，人工服务请按零", "ivr"),
        # Chinese phrases in homophones, as whisper base writes them on the line (matched by sound)
        ("您好 欢迎来点", "ivr"),  # 欢迎来电
        # a long phrase with one syllable misheard (机主暂时, 智能助理, 提示音后), never a person's words
        ("您好,依主暂时无法接听", "screener"),
        ("您好,我是基主的却能助理", "screener"),
        ("请在提示您后开始录音", "machine"),
        ("他不方便接电话，我是他家人", None),
        ("业务出行请案例,转员工请案领", "ivr"),  # 请按零
        ("业务出行请案例", "ivr"),  # 请按 (two syllables, matched by sound as the one exception)
        ("您拨打的用户暂时无法接停，请在提示音后流言", "machine"),  # 请在提示音后留言
        # two syllables are never matched by sound: 记住 (remember) sounds like 机主 (the owner)
        ("我记住了，你是谁？", None),
        ("喂？喂？听得到吗？", None),
        ("Yes, I can press it later.", None),
        # a company greets, a screener asks for the name and the reason, as heard on the training voices
        ("Welcome to control, though. Did you know your party expansion?", "ivr"),
        ("您好,欢迎议论", "ivr"),
        ("Please help me your name and what you're talking about.", "screener"),
        (
            "Hi, I'm a person you're calling in using a premium service from Google and we'll get a copy "
            "on this conversation.",
            "screener",
        ),
        ("Hi, a person you're calling in using a breathing service from Google and we'll", "screener"),
        ("and we'll get a copy on this card.", "screener"),
        ("Hi, it's Sam, what's your name and what do you want?", None),
        ("Hello? Sorry, I was using the other phone. Who's calling?", None),
        ("Yeah, I got a copy of the letter, who is this?", None),
        ("Yes, you're welcome, who is this?", None),
    ],
)
def test_words_name_who_answered(text: str, kind: str | None) -> None:
    assert who_said(text) == kind


def test_a_fax_calling_tone_is_a_fax_not_a_beep() -> None:
    verdicts = feed([(0.3, cadence((1100.0,), 0.5, 3.0, 7.5))], 8.0)
    assert [(v.kind, v.reason) for v in verdicts] == [("fax", "cng")]


def test_a_fax_answer_tone_is_a_fax_and_a_short_2100_hz_beep_is_a_voicemail() -> None:
    assert [v.kind for v in feed([(0.2, tone((2100.0,), 3.0))], 5.0)] == ["fax"]
    greeting = speech("leave a message", RATE)
    beeped = feed([(0.2, greeting), (2.0, tone((2100.0,), 0.5))], 5.0)
    assert [(v.kind, v.reason) for v in beeped] == [("human", "hello"), ("machine", "beep")]


@pytest.mark.parametrize(
    ("freqs", "on", "off", "reason"),
    [
        ((480.0, 620.0), 0.5, 0.5, "busy"),
        ((450.0,), 0.35, 0.35, "busy"),
        ((440.0, 480.0), 2.0, 4.0, "ringback"),
    ],
)
def test_call_progress_tones_after_the_answer(
    freqs: tuple[float, ...], on: float, off: float, reason: str
) -> None:
    verdicts = feed([(0.2, cadence(freqs, on, off, 6.0))], 7.0)
    # the tone's first 100 ms may pass for a "hello": a provisional person, turned around in time
    assert (verdicts[-1].kind, verdicts[-1].reason) == ("progress", reason)
    assert verdicts[-1].at < 3.5 and all(v.kind in ("human", "progress") for v in verdicts)


def test_special_information_tones_are_an_announcement() -> None:
    verdicts = feed([(0.1, sit("VC"))], 3.0)
    assert [(v.kind, v.reason) for v in verdicts] == [("announcement", "sit")]


def _long_greeting(text: str, heard: list[str], *, quiet: bool = True) -> list[Verdict]:
    """A long greeting from 0.1 s with words: the detector waits for them, gets each final at 3 s, and
    judges the greeting by all of them once it ends. Returns the verdicts after the words came (all of
    them unless `quiet`: then there must be none, and no opening, before the words)."""
    pcm = speech(text, RATE)
    detector = MachineDetector(SessionSettings(), words=True)
    line = bytearray(noise(len(pcm) / (2 * RATE) + 2.0, RATE, amplitude=20.0))
    line[800 : 800 + len(pcm)] = pcm
    verdicts: list[Verdict] = []
    for frame in split_frames(bytes(line), RATE):
        verdict = detector.process(frame)
        if detector.t <= 3.0 and quiet:
            assert verdict is None and not detector.opening_due()  # nobody talks over the greeting
        if abs(detector.t - 3.0) < 1e-6:
            assert [detector.transcript(h, final=True) for h in heard] == [None] * len(heard)
        if verdict is not None and (detector.t > 3.0 or not quiet):
            verdicts.append(verdict)
    return verdicts


def test_with_words_a_long_greeting_waits_for_them_and_a_talkative_person_stays_a_person() -> None:
    said = "Hello, who is this? I am driving right now, can you make it quick please?"
    verdicts = _long_greeting(said, ["Hello, who is this?", "I am driving right now"], quiet=False)
    # the question and its pause are a person at once (the opening answers it); the rest of the
    # greeting and its words never turn that into a machine
    assert [(v.kind, v.reason) for v in verdicts] == [("human", "hello")]
    assert verdicts[0].at < len(speech("Hello, who is this?", RATE)) / (2 * RATE) + 0.1 + 0.5


def test_a_screener_hears_a_name_and_a_neutral_reason() -> None:
    for language in ("en", "zh"):
        said = screener_reply(spec(language=language))
        assert spec().agent_name in said and spec().first_name in said
        assert not any(w in said.lower() for w in ("debt", "owe", "payment", "overdue", "欠", "还款", "债"))


def test_a_fax_ends_the_call_with_disposition_fax_and_no_speech() -> None:
    callee = ScriptedCallee(audio=Timeline([(0.2, cadence((1100.0,), 0.5, 3.0, 7.5))], 12).pcm())
    run = run_call(callee)
    r = run.report
    assert (r.machine, r.disposition, r.ended_by) == ("fax", "fax", "bot")
    assert not any(t.speaker == "bot" for t in r.turns)


def test_a_screener_is_told_who_calls_then_the_person_gets_the_opening() -> None:
    asks = "Hi, if you record your name and reason for calling, I'll see if this person is available."
    callee = ScriptedCallee(audio=Timeline([(0.2, asks), (12.0, "hello?")], 20).pcm(), hangup_after=18)
    run = run_call(callee, replies=[asks, "hello?"])
    r = run.report
    bot = [t for t in r.turns if t.speaker == "bot"]
    assert bot and "personal matter" in bot[0].text
    assert bot[0].start_s > len(speech(asks, RATE)) / (2 * RATE)  # after the screener asked
    assert r.machine == "human" and len(bot) >= 2 and bot[1].start_s > 12.0  # then the opening


def test_a_person_who_says_hello_over_the_message_to_the_screener_gets_the_opening_after_it() -> None:
    # a slow host: the person picks up and speaks while the bot still tells the screener who calls
    asks = "Go ahead and say your name and why you're calling."
    asked = len(speech(asks, RATE)) / (2 * RATE)
    callee = ScriptedCallee(audio=Timeline([(0.2, asks), (asked + 0.6, "hello?")], 24).pcm(), hangup_after=22)
    run = run_call(callee, replies=[asks, "hello?"])
    r = run.report
    bot = [t for t in r.turns if t.speaker == "bot"]
    hello = [t for t in r.turns if t.speaker == "callee" and t.text == "hello?"]
    assert bot and "personal matter" in bot[0].text and hello
    assert hello[0].start_s < bot[0].end_s  # said over the message ...
    assert not bot[0].barged_in  # ... which played to its end
    assert r.machine == "human" and len(bot) >= 2 and bot[1].start_s >= bot[0].end_s  # then the opening
    assert r.disposition != "screener"


def test_the_person_has_the_whole_wait_after_the_message_to_the_screener() -> None:
    asks = "Go ahead and say your name and why you're calling."
    asked = len(speech(asks, RATE)) / (2 * RATE)
    late = asked + SCREENER_WAIT_SECONDS + 0.5  # past the wait counted from the screener's words
    callee = ScriptedCallee(
        audio=Timeline([(0.2, asks), (late, "hello?")], late + 6).pcm(), hangup_after=late + 5
    )
    r = run_call(callee, replies=[asks, "hello?"], timeout=90).report
    bot = [t for t in r.turns if t.speaker == "bot"]
    assert bot and "personal matter" in bot[0].text and late - bot[0].end_s < SCREENER_WAIT_SECONDS
    assert r.machine == "human" and len(bot) >= 2 and bot[1].start_s > late  # the opening, not "screener"


def test_with_words_a_long_greeting_of_many_words_none_a_persons_is_a_machine() -> None:
    said = "Hi there, it is Sam and Alex, sorry we missed you today, we are out of town all week."
    # its first sentence alone would pass for a person's hello: the whole greeting decides
    verdicts = _long_greeting(
        said, ["Hi there, it is Sam and Alex.", "Sorry we missed you today, we are out"]
    )
    assert [(v.kind, v.reason) for v in verdicts] == [("machine", "long_greeting")]


def test_a_long_greetings_words_still_name_a_screener_later() -> None:
    greeting = speech("Hi there, it is Sam and Alex, sorry we missed you today, we are out of town.", RATE)
    detector = MachineDetector(SessionSettings(), words=False)
    line = bytearray(noise(6.0, RATE, amplitude=20.0))
    line[800 : 800 + len(greeting)] = greeting[: len(line) - 800]
    for frame in split_frames(bytes(line), RATE):
        detector.process(frame)
    assert detector.verdict is not None and detector.verdict.reason == "long_greeting"
    later = detector.transcript("Please say your name and why you are calling.")
    assert later is not None and later.kind == "screener"  # a screener talking on is told apart


def _hello_then_talking_on(words: dict[float, str]) -> tuple[MachineDetector, list[Verdict]]:
    """ "Hello?", a pause, then a greeting that talks on past the window (to about 7.5 s); each of
    `words` is fed as a final transcript at its time."""
    hello = speech("Hello?", RATE)
    rest = speech(
        "this is Sam, sorry I missed you, please leave your name and your number after the beep "
        "and I will call you back as soon as I can, thank you and have a nice day",
        RATE,
    )
    line = bytearray(noise(9.0, RATE, amplitude=20.0))
    line[800 : 800 + len(hello)] = hello
    at = 800 + len(hello) + 2 * round(0.4 * RATE)
    line[at : at + len(rest)] = rest[: len(line) - at]
    detector = MachineDetector(SessionSettings(), words=True)
    verdicts: list[Verdict] = []
    due = sorted(words.items())
    for frame in split_frames(bytes(line), RATE):
        if (verdict := detector.process(frame)) is not None:
            verdicts.append(verdict)
        while due and detector.t >= due[0][0]:
            text = due.pop(0)[1]
            if detector.open_to_words and (verdict := detector.transcript(text, final=True)) is not None:
                verdicts.append(verdict)
    return detector, verdicts


def test_a_voicemail_taken_for_a_hello_is_turned_by_its_words_decoded_after_the_window() -> None:
    window = SessionSettings().amd_window_seconds
    _, verdicts = _hello_then_talking_on(
        {1.5: "Hello?", window + 0.8: "Please leave your name after the beep."}
    )
    assert [(v.kind, v.reason) for v in verdicts] == [("human", "hello"), ("machine", "keywords")]
    assert verdicts[1].at > window  # its words came after the window, while it still talked


def test_words_after_the_window_name_no_machine_when_they_are_a_persons_or_come_too_late() -> None:
    window = SessionSettings().amd_window_seconds
    _, verdicts = _hello_then_talking_on({1.5: "Hello?", window + 0.8: "I said this is Sam, who is it?"})
    assert [(v.kind, v.reason) for v in verdicts] == [("human", "hello")]
    detector, verdicts = _hello_then_talking_on({1.5: "Hello?", window + 2.5: "Please leave a message."})
    assert [(v.kind, v.reason) for v in verdicts] == [("human", "hello")] and detector.final


def test_a_chinese_ai_assistant_read_out_at_length_is_a_screener_once_its_words_come() -> None:
    # a Mandarin answering assistant (espeak-ng's pinyin voice over the bench's phone line) reads on: a
    # machine by its length; its words, as the recognizer writes them (the owner, 机主, misheard), name
    # the assistant, and the call is a screener's (the session then says who calls)
    text = "您好，我是小爱，机主的智能助手，机主现在不方便接听，请问您找他有什么事？"
    timeline = amd_corpus.Timeline(10.0)
    timeline.put(0.2, espeak_mandarin(text, "cmn-latn-pinyin+f2", 160, 50))
    pcm = telephone_line(bytes(timeline.pcm), RATE, random.Random(3))
    detector = MachineDetector(SessionSettings(), words=True)
    verdicts = [v for f in split_frames(pcm, RATE) if (v := detector.process(f)) is not None]
    # ("您好，" and its pause may pass for a hello first: the greeting reading on turns it around)
    assert (verdicts[-1].kind, verdicts[-1].reason) == ("machine", "long_greeting")
    assert detector.open_to_words  # a machine judged by its length: its words may still name it
    turned = detector.transcript("您好,我是小爱,鸡主的智能助手", final=True)
    assert turned is not None and (turned.kind, turned.reason) == ("screener", "keywords")


def test_a_voicemails_last_words_still_being_decoded_are_waited_for_before_it_is_judged() -> None:
    # "Hello?", a pause, a greeting that ends before the window does, and its words back from the decoder
    # (off the call's loop) 1.2 s after its end: past the greeting's pause for an answer and the window
    window = SessionSettings().amd_window_seconds
    hello = speech("Hello?", RATE)
    rest = speech("this is Sam, sorry I missed you, please leave your name after the beep", RATE)
    end = window - 0.6
    start = end - len(rest) / (2 * RATE)
    hello_at = start - 0.4 - len(hello) / (2 * RATE)  # "Hello?", then 0.4 s, then the rest
    assert 0.0 < hello_at < 1.4  # (a greeting that starts at once)
    line = bytearray(noise(window + 3.0, RATE, amplitude=20.0))
    i, at = 2 * round(hello_at * RATE), 2 * round(start * RATE)
    line[i : i + len(hello)] = hello
    line[at : at + len(rest)] = rest
    back = end + 1.2

    def judged(decoding_known: bool) -> list[tuple[str, str]]:
        detector = MachineDetector(SessionSettings(), words=True)
        verdicts: list[Verdict] = []
        words = [
            (start, "Hello?"),
            (back, "Please leave your name after the beep."),
        ]
        for frame in split_frames(bytes(line), RATE):
            decoding = decoding_known and detector.t < back
            if not detector.final and (verdict := detector.process(frame, decoding=decoding)) is not None:
                verdicts.append(verdict)
            while words and detector.t >= words[0][0]:
                text = words.pop(0)[1]
                if detector.open_to_words and (verdict := detector.transcript(text, final=True)) is not None:
                    verdicts.append(verdict)
        return [(v.kind, v.reason) for v in verdicts]

    assert judged(decoding_known=True) == [("human", "hello"), ("machine", "keywords")]
    # judged on its pause alone, before its words were back, it stayed a person's hello
    assert judged(decoding_known=False) == [("human", "hello")]
