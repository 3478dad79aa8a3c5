"""The one shape of every bilingual message: i18n.Text (pure logic, fast)."""

from __future__ import annotations

import pytest

from torchdojo.i18n import Explained, Text, texts


def test_pick_falls_back_to_the_other_language():
    both = Text(ko="모양이 다릅니다", en="shape differs")
    assert both.pick("ko") == "모양이 다릅니다" and both.pick("en") == "shape differs"
    only_en = Text(en="shape differs")
    assert only_en.pick("ko") == "shape differs" and only_en.fell_back("ko") and not only_en.fell_back("en")
    assert Text(ko="한국어만").pick("en") == "한국어만"
    assert not Text() and Text().pick("ko") == ""


def test_both_shows_korean_first_and_once_when_equal():
    assert Text(ko="가", en="a").both() == "가 / a"
    assert Text(ko="가", en="a").both("\n") == "가\na"
    assert Text.same("01_tensors").both() == "01_tensors"
    assert Text(en="a").both() == "a"
    assert str(Text(ko="가", en="a")) == "가 / a"


def test_adding_and_joining_keep_the_languages_apart():
    text = Text(ko="값이 다릅니다", en="values differ") + Text(ko=". 힌트", en=". Hint")
    assert text == Text(ko="값이 다릅니다. 힌트", en="values differ. Hint")
    assert ("x: " + Text(ko="가", en="a")) == Text(ko="x: 가", en="x: a")
    assert (Text(en="only en") + Text(ko="!", en="!")) == Text(ko="only en!", en="only en!")
    joined = Text.join(", ", [Text(ko="가", en="a"), Text.same("b")])
    assert joined == Text(ko="가, b", en="a, b")


def test_from_dict_takes_only_strings():
    assert Text.from_dict({"ko": "가", "en": "a"}) == Text(ko="가", en="a")
    assert Text.from_dict({"ko": ["not", "text"], "en": 3, "fr": "non"}) == Text()
    assert Text.from_dict("a string") == Text() and Text.from_dict(None) == Text()
    assert Text.from_dict(Text(ko="가", en="a").to_dict()) == Text(ko="가", en="a")


def test_map_changes_each_language():
    assert Text(ko="가나다라", en="abcd").map(lambda t: t[:2]) == Text(ko="가나", en="ab")


def test_texts_builds_a_label_table():
    table = texts({"title": {"ko": "제목", "en": "Title"}, "en_only": {"en": "x"}})
    assert table["title"].pick("ko") == "제목" and table["en_only"].pick("ko") == "x"


def test_an_explained_exception_carries_its_text():
    class Refused(Explained, ValueError):
        pass

    with pytest.raises(ValueError) as info:
        raise Refused(Text(ko="거부", en="refused"))
    assert info.value.text == Text(ko="거부", en="refused") and str(info.value) == "refused"


def test_grade_failure_and_fail_take_keywords_or_a_text():
    from torchdojo.grading import GradeFailure, Text as Exported, ensure, fail, with_hint

    assert Exported is Text
    with pytest.raises(GradeFailure) as info:
        fail(ko="틀림", en="wrong")
    assert info.value.text == Text(ko="틀림", en="wrong") and isinstance(info.value, AssertionError)
    with pytest.raises(GradeFailure) as info:
        with with_hint(ko="힌트", en="hint"):
            ensure(False, Text(ko="틀림", en="wrong"))
    assert info.value.text == Text(ko="틀림. 힌트", en="wrong. hint")
    ensure(True, ko="never", en="never")
