"""Chinese phrases matched by sound: the syllables, the three-syllable floor, breaks at non-Chinese text."""

from __future__ import annotations

from voice.pinyin import sounds_in, sounds_near, syllables


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


def test_a_long_phrase_is_heard_with_one_syllable_misheard_but_never_its_last() -> None:
    # as whisper base writes them on a noisy line (bench/amd_bench.py)
    assert sounds_near("机主暂时", "您好,依主暂时无法接听")
    assert sounds_near("智能助理", "我是基主的却能助理")
    assert sounds_near("提示音后", "请在提示您后留言")
    assert not sounds_near("不方便接听", "他不方便接电话，我是他姐姐")  # a person: the end is wrong
    assert not sounds_near("智能助理", "我是基主的却能助手")  # two syllables off
    assert not sounds_near("提示音后", "提示, 您后")  # across a break
    assert not sounds_near("请留言", "请六言")  # three syllables: by sound only when exact (sounds_in)
