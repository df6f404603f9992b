"""Masking residents' personal data in quoted case text (bot/services/masking.py)."""

from __future__ import annotations

import pytest

from bot.services.masking import excerpt, mask_text


@pytest.mark.parametrize(("text", "expected"), [
    # phones: mobiles as the exports show them, with spaces, dashes or +86; landlines keep the area code
    ("电话13912345678", "电话139****5678"),
    ("手机 139 1234 5678 联系", "手机 139****5678 联系"),
    ("+86-139-1234-5678", "139****5678"),
    ("请打0931-8123456", "请打0931-*****56"),
    ("（0938）8212345", "0938-*****45"),
    # ID numbers: the region code stays, birth date and the rest hidden; an X at the end too
    ("身份证620102198001011234", "身份证620102************"),
    ("证号 62010219800101123X。", "证号 620102************。"),
    # names the text marks as names keep their surname
    ("我叫王建国，", "我叫王某某，"),
    ("联系人：李芳", "联系人：李某"),
    ("居民张小明反映路灯坏了", "居民张某某反映路灯坏了"),
    ("老人李秀英今年80岁", "老人李某某今年80岁"),
    ("张建国大爷家漏雨", "张某某大爷家漏雨"),
    ("欧阳娜娜女士", "欧阳某某女士"),
    # house-level address parts; the street stays
    ("住在人民路15号3号楼2单元501室", "住在人民路**号*号楼*单元***室"),
    ("8栋1203房", "*栋****房"),
    ("三号楼二单元", "*号楼*单元"),
])
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", [
    "小区路灯坏了快一个月，晚上出门不安全。",
    "村民反映灌溉水渠塌了",  # 村民 followed by no surname: nothing to mask
    "希望增加12路公交车班次",  # a bus line is no address
    "养老金拖了2个月",
    "老旧小区加装电梯一楼住户不同意，六层楼没有电梯",  # floors and counts stay
    "每一户人家",
])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_known_names_are_masked_everywhere_and_excerpts_are_cut() -> None:
    text = "马桂兰说：马桂兰家门口的下水道堵了，电话13800001111。" * 3
    short = excerpt(text, 30, extra_names=("马桂兰",))
    assert "桂兰" not in short and "13800001111" not in short
    assert short.startswith("马某某说：马某某家门口") and len(short) == 30 and short.endswith("…")
    assert excerpt(None) == "" and excerpt("  短  文本 ") == "短 文本"


def test_an_id_number_is_not_taken_for_a_phone() -> None:
    masked = mask_text("身份证号 620502195806121234")
    assert masked == "身份证号 620502************"
    assert "1958" not in masked
