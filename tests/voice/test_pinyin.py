"""Chinese phrases matched by sound: the syllables, the three-syllable floor, breaks at non-Chinese text."""

from __future__ import annotations

from voice.pinyin import sounds_in, syllables


def test_syllables_are_toneless_and_other_text_is_a_break() -> None:
    assert syllables("欢迎来电") == "huan ying lai dian"
    assert syllables("请按1，转人工") == "qing an | zhuan ren gong"
    assert syllables("press 1") == "|"


def test_a_phrase_is_heard_in_homophones() -> None:
    assert sounds_in("欢迎来电", "您好，欢迎来点，业务咨询")
    assert sounds_in("查证后再拨", "警察正后再播")
    assert not sounds_in("查证后再拨", "请稍后再拨")


def test_short_phrases_and_phrases_across_a_break_are_not_matched_by_sound() -> None:
    assert not sounds_in("机主", "我记住了")  # two syllables: too many everyday words sound alike
    assert not sounds_in("欢迎来电", "欢迎, 来电")
    assert not sounds_in("欢迎来电", "welcome")
