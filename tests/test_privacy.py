"""Masking personal data (bot.privacy): table-driven."""

from __future__ import annotations

import json
import re

import pytest

from bot.privacy import (
    BANK_CARD,
    EMAIL,
    ID_CARD,
    LANDLINE,
    NUMBER,
    PHONE,
    mask,
    mask_log_line,
    unescaped,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # mobile numbers
        ("我的手机13812345678怎么办", f"我的手机{PHONE}怎么办"),
        ("电话 138 1234 5678", f"电话 {PHONE}"),
        ("138-1234-5678", PHONE),
        ("+86 138-1234-5678", PHONE),
        ("8613812345678", PHONE),
        ("１３８１２３４５６７８", PHONE),  # full-width digits
        ("１３８　１２３４　５６７８", PHONE),  # and an ideographic space
        ("一三八一二三四五六七八", PHONE),  # read out in Chinese
        ("手机:19912345678。", f"手机:{PHONE}。"),
        ("5 13812345678", f"5 {PHONE}"),
        # landlines
        ("座机0755-12345678", f"座机{LANDLINE}"),
        ("(0755)1234 5678", LANDLINE),
        ("（０７５５）１２３４５６７８", LANDLINE),
        ("020-87654321转", f"{LANDLINE}转"),
        ("办事处电话是28901234吗", f"办事处电话是{LANDLINE}吗"),
        # 身份证
        ("身份证440306199001011234", f"身份证{ID_CARD}"),
        ("44030619900101123X号", f"{ID_CARD}号"),
        ("44030619900101123x", ID_CARD),
        ("4403 0619 9001 0112 34", ID_CARD),
        ("老证440306900101123", f"老证{ID_CARD}"),
        ("４４０３０６１９９００１０１１２３４", ID_CARD),
        # bank cards
        ("卡号6222 0212 3456 7890 123", f"卡号{BANK_CARD}"),
        ("6222021234567890", BANK_CARD),
        ("6217-0012-3456-7890", BANK_CARD),
        # e-mail
        ("邮箱zhang.san@qq.com谢谢", f"邮箱{EMAIL}谢谢"),
        ("a_b-c+d@mail.example.com.cn", EMAIL),
        ("abc＠ｅｘａｍｐｌｅ．ｃｏｍ", EMAIL),
        # other long identifiers are masked too
        ("编号123456789012345678901234", f"编号{NUMBER}"),
        # several at once
        (
            "我叫小王,13812345678,wang@163.com,身份证440306199001011234",
            f"我叫小王,{PHONE},{EMAIL},身份证{ID_CARD}",
        ),
    ],
)
def test_masks(text: str, expected: str) -> None:
    assert mask(text) == expected


# Numbers as residents type them, with whatever separates the digit groups (issue 11).
SEPARATED = [
    ("138 - 1234 - 5678", PHONE),
    ("138.1234.5678", PHONE),
    ("138。1234。5678", PHONE),
    ("138．1234．5678", PHONE),  # full-width full stop
    ("138—1234—5678", PHONE),  # em dash
    ("138 — 1234 — 5678", PHONE),
    ("138–1234–5678", PHONE),  # en dash
    ("138\u20101234\u20105678", PHONE),  # U+2010 hyphen
    ("138\u22121234\u22125678", PHONE),  # U+2212 minus sign
    ("138－1234－5678", PHONE),  # full-width hyphen-minus
    ("(138)1234-5678", PHONE),
    ("（138）1234 5678", PHONE),
    ("+86 (138) 1234 5678", PHONE),
    ("138/1234/5678", PHONE),
    ("138_1234_5678", PHONE),
    ("138~1234~5678", PHONE),
    ("138～1234～5678", PHONE),
    ("138，1234，5678", PHONE),  # full-width commas
    ("138,1234,5678", PHONE),
    ("13,812,345,678", PHONE),  # copied from a spreadsheet: no street spends 138亿
    ("138、1234、5678", PHONE),
    ("138·1234·5678", PHONE),
    ("壹叁捌壹贰叁肆伍陆柒捌", PHONE),  # the digits of amounts (大写)
    ("幺三八 幺二三四 五六七八", PHONE),
    ("0755.2890.1234", LANDLINE),
    ("（0755）2890—1234", LANDLINE),
    ("电话2890.1234", f"电话{LANDLINE}"),
    ("6222.0212.3456.7890", BANK_CARD),
    ("6222/0212/3456/7890/123", BANK_CARD),
    ("6222—0212—3456—7890", BANK_CARD),
    ("陆贰贰贰零贰壹贰叁肆伍陆柒捌玖零", BANK_CARD),
    ("440306.19900101.1234", ID_CARD),
    ("440306 1990-01-01 1234", ID_CARD),
    ("zhangsan@qq。com", EMAIL),
    ("zhang。san＠163。com", EMAIL),
    ("邮箱 wang@mail.example。com。谢谢", f"邮箱 {EMAIL}。谢谢"),
]


@pytest.mark.parametrize(("text", "expected"), SEPARATED)
def test_masks_numbers_whatever_separates_their_digits(text: str, expected: str) -> None:
    assert mask(text) == expected
    assert mask(f"您好,{text},谢谢") == f"您好,{expected},谢谢"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "六零行动是什么",
        "坪山街道2020年做了哪些工作",
        "拨打12345热线",
        "2021年12月31日",
        "2020-2021年",
        "完成100%合围管理",
        "投入资金2.16万元",
        "PM2.5是多少",
        "第3.4节",
        "1380万",  # a figure, not a phone number
        "email 是什么意思",
        "观湖街道有29个名词解释",
        # figures from the reports, whatever separates them
        "2020年整治了多少家",
        "新增学位1200个",
        "2019、2020、2021年的投入",
        "2018/2019/2020/2021年",
        "2020 2021 2022 2023年",
        "2020.01.01-2021.12.31期间",
        "2020/1/1-2020/12/31",
        "2020-01-01至2020-12-31",
        "31.12.2020-31.12.2021",
        "投入1,234,567.89元",
        "电话费共1,234,567元",
        "第13、14、15、16、17条",
        "增长13.5%、12.8%、11.2%",
        "1.5—2.0万元",
        "9:00-12:00,14:00-17:30",
        "第3.4.1节",
        "壹万元",
        "句号。然后",
    ],
)
def test_leaves_ordinary_text_alone(text: str) -> None:
    assert mask(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "+86 138 1234 5678",
        "440306199001011234",
        "6222 0212 3456 7890 123",
        "x@y.cn",
        "电话0755-12345678",
    ],
)
def test_is_idempotent(text: str) -> None:
    once = mask(text)
    assert mask(once) == once


def test_no_digit_run_survives_in_a_long_message() -> None:
    pii = ["13812345678", "0755-12345678", "440306199001011234", "6222021234567890", "a@b.com"]
    masked = mask("以下是我的资料:" + ";".join(pii) + "。请问怎么办理?")
    assert not re.search(r"\d{7,}", masked.replace("-", ""))
    assert "@" not in masked


def test_log_lines_quoting_escaped_json_are_masked_too() -> None:
    """A webhook's raw body is logged as received: Telegram may escape what is not ASCII."""
    body = json.dumps({"text": "回电壹叁捌壹贰叁肆伍陆柒捌 或 138—1234—5678"})
    assert "\\u58f9" in body
    line = mask_log_line(f"Webhook received data: {body}")
    assert line == f'Webhook received data: {{"text": "回电{PHONE} 或 {PHONE}"}}'
    ordinary = json.dumps({"text": "2020年的投入"})
    assert mask_log_line(ordinary) == ordinary  # left as it was when nothing is masked


@pytest.mark.parametrize(
    ("text", "placeholder"),
    [
        ("手机号一三七一二三四五六七八", PHONE),
        ("１５９１２３４５６７８", PHONE),
        ("办事处电话28901234", LANDLINE),
    ],
)
def test_numbers_hidden_in_json_escapes_are_masked_once_decoded(
    text: str, placeholder: str
) -> None:
    body = json.dumps({"update_id": 1, "message": {"text": text}})  # escapes non-ASCII
    assert mask(body) == body  # the escapes hide the number from every rule
    masked = mask(unescaped(body))
    assert placeholder in masked and text not in masked


def test_unescaping_joins_surrogate_pairs_and_keeps_a_lone_one_escaped() -> None:
    assert unescaped("\\u4e00 \\ud83d\\ude00 \\ud800!") == "一 😀 \\ud800!"
    assert unescaped("no escapes: \\u12 \\x41") == "no escapes: \\u12 \\x41"
