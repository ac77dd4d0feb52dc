"""VietQR payloads (administration notes §4.1–4.3): every published example is rebuilt byte for byte and parses;
the CRC, the field rules and the payment references are tested on both sides."""

from decimal import Decimal

import pytest

from edudx.core.errors import ValidationFailed
from edudx.payments import vietqr
from edudx.payments.vietqr import ServiceCode, build_payload, parse_payload

# §4.3 — (source, payload, build_payload arguments, expected parse)
PUBLISHED = [
    (
        "npm vietnam-qr-pay README, dynamic",
        "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA53037045405100005802VN62150811Chuyen tien630453E6",
        dict(bank_bin="970416", account="257678859", amount=10000, reference=None, purpose="Chuyen tien"),
        dict(is_static=False, amount=10000, purpose="Chuyen tien", bill_number=None, crc="53E6"),
    ),
    (
        "npm vietnam-qr-pay README, static",
        "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F",
        dict(bank_bin="970416", account="257678859", amount=None, reference=None, static=True),
        dict(is_static=True, amount=None, purpose=None, bill_number=None, crc="AE9F"),
    ),
    (
        "pub.dev vietqr_generator: 11 with an amount",
        "00020101021138540010A00000072701240006970407011003865776720208QRIBFTTA5303704540710000005802VN62160812henry an cut6304A322",
        dict(
            bank_bin="970407", account="0386577672", amount=1000000, reference=None, purpose="henry an cut", static=True
        ),
        dict(is_static=True, amount=1000000, purpose="henry an cut", bill_number=None, crc="A322"),
    ),
    (
        "NAPAS spec example, card transfer with a bill number",
        "00020101021238600010A00000072701300006970403011697040311012345670208QRIBFTTC530370454061800005802VN62340107NPS68690819thanh toan don hang6304A203",
        dict(
            bank_bin="970403",
            account="9704031101234567",
            amount=180000,
            reference=None,
            purpose="thanh toan don hang",
            bill_number="NPS6869",
            service=ServiceCode.CARD_TRANSFER,
        ),
        dict(is_static=False, amount=180000, purpose="thanh toan don hang", bill_number="NPS6869", crc="A203"),
    ),
    (
        "VietinBank test vector",
        "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C",
        dict(bank_bin="970415", account="0011001932418", amount=120000, reference=None, purpose="ung ho lu lut"),
        dict(is_static=False, amount=120000, purpose="ung ho lu lut", bill_number=None, crc="C15C"),
    ),
]
PUBLISHED_IDS = [row[0] for row in PUBLISHED]


@pytest.mark.parametrize(("source", "payload", "arguments", "expected"), PUBLISHED, ids=PUBLISHED_IDS)
def test_published_examples_are_rebuilt_byte_for_byte(source, payload, arguments, expected):
    assert build_payload(**arguments) == payload


@pytest.mark.parametrize(("source", "payload", "arguments", "expected"), PUBLISHED, ids=PUBLISHED_IDS)
def test_published_examples_parse(source, payload, arguments, expected):
    parsed = parse_payload(payload)
    assert parsed["bank_bin"] == arguments["bank_bin"]
    assert parsed["account"] == arguments["account"]
    assert parsed["service"] == arguments.get("service", ServiceCode.ACCOUNT_TRANSFER)
    assert parsed["currency"] == "704"
    assert parsed["country"] == "VN"
    for key, value in expected.items():
        assert parsed[key] == value, key
    assert list(parsed["fields"])[0] == "00" and list(parsed["fields"])[-1] == "63"


@pytest.mark.parametrize(
    ("data", "crc"),
    [("123456789", 0x29B1), (b"123456789", 0x29B1), ("", 0xFFFF), ("A", 0xB915)],
)
def test_crc16_ccitt_false(data, crc):
    assert vietqr.crc16_ccitt_false(data) == crc


@pytest.mark.parametrize("payload", [row[1] for row in PUBLISHED], ids=PUBLISHED_IDS)
def test_any_single_changed_character_is_refused(payload):
    for position, character in enumerate(payload):
        replacement = "7" if character != "7" else "8"
        tampered = payload[:position] + replacement + payload[position + 1 :]
        with pytest.raises(ValidationFailed) as error:
            parse_payload(tampered)
        if position < len(payload) - 8 or position >= len(payload) - 4:
            # The body and the CRC digits themselves: the checksum no longer matches.
            assert error.value.code == "crc_mismatch", position
        else:
            assert error.value.code == "missing_crc", position


def test_crc_error_names_both_values():
    payload = PUBLISHED[0][1].replace("Chuyen tien", "Chuyen tian")
    with pytest.raises(ValidationFailed, match=r"CRC.*53E6") as error:
        parse_payload(payload)
    assert error.value.code == "crc_mismatch"


def test_lower_case_crc_and_surrounding_whitespace_are_accepted():
    payload = PUBLISHED[0][1]
    assert parse_payload("  " + payload[:-4] + payload[-4:].lower() + "\n")["crc"] == "53E6"


@pytest.mark.parametrize(
    "amount",
    [0, -1, -10000, 10000.0, 1.5, True, "10000", Decimal("100.5"), Decimal("NaN"), 10**13],
)
def test_bad_amounts_are_refused(amount):
    with pytest.raises(ValidationFailed) as error:
        build_payload(bank_bin="970415", account="0011001932418", amount=amount, reference=None)
    assert error.value.code in {"amount_not_integer", "amount_not_positive", "amount_too_large"}


def test_integral_decimal_amount_is_whole_vnd():
    by_int = build_payload(bank_bin="970415", account="0011001932418", amount=120000, reference=None)
    by_decimal = build_payload(bank_bin="970415", account="0011001932418", amount=Decimal("120000.00"), reference=None)
    assert by_int == by_decimal
    assert parse_payload(by_int)["amount"] == 120000


def test_dynamic_qr_needs_an_amount_static_does_not():
    with pytest.raises(ValidationFailed) as error:
        build_payload(bank_bin="970415", account="0011001932418", amount=None, reference=None)
    assert error.value.code == "amount_required"
    assert parse_payload(build_payload(bank_bin="970415", account="1", amount=None, reference=None, static=True))[
        "is_static"
    ]


def _signed(body_without_crc: str) -> str:
    body = body_without_crc + "6304"
    return body + vietqr.payload_crc(body)


MERCHANT = "38530010A0000007270123000697041601092576788590208QRIBFTTA"


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        ("000201010212" + MERCHANT + "53037045802VN", "amount_required", "Trường 54"),  # dynamic, no amount
        ("000201010212" + MERCHANT + "5303704540610.0005802VN", "invalid_amount", "Trường 54"),
        ("000201010212" + MERCHANT + "530370454010" + "5802VN", "invalid_amount", "Trường 54"),
        ("000201010212" + MERCHANT + "53038405405100005802VN", "unexpected_value", "Trường 53"),  # USD
        ("000201010212" + MERCHANT + "53037045405100005802US", "unexpected_value", "Trường 58"),
        ("000201010212" + MERCHANT + "5405100005802VN", "missing_field", "Trường 53"),
        ("000201010213" + MERCHANT + "53037045802VN", "unexpected_value", "Trường 01"),
        ("000202010211" + MERCHANT + "53037045802VN", "unexpected_value", "Trường 00"),
        ("010211000201" + MERCHANT + "53037045802VN", "payload_format_not_first", "Trường 00"),
        ("000201010211" + "53037045802VN", "missing_field", "Trường 38"),
        (
            "000201010211" + MERCHANT.replace("A000000727", "A000000999") + "53037045802VN",
            "unexpected_value",
            "Trường 38/00",
        ),
        (
            "000201010211"
            + MERCHANT.replace("0006970416", "00059704X").replace("3853", "3852").replace("0123", "0122")
            + "53037045802VN",
            "invalid_bank_bin",
            "Trường 38/01/00",
        ),
        ("000201010211" + MERCHANT.replace("QRIBFTTA", "QRIBFTTX") + "53037045802VN", "unexpected_value", "38/02"),
        ("000201010211" + MERCHANT + "53037045802VN5802VN", "duplicate_field", "Trường 58"),
        ("000201010211" + MERCHANT + "53037045899VN", "truncated_field", "Trường 58"),
        ("000201010211" + MERCHANT + "53037045802VNX", "malformed_tlv", "vị trí"),
    ],
)
def test_parse_names_what_is_wrong(body, code, fragment):
    with pytest.raises(ValidationFailed) as error:
        parse_payload(_signed(body))
    assert error.value.code == code
    assert fragment in error.value.message


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "empty_payload"), ("   ", "empty_payload"), ("000201", "missing_crc"), ("x" * 600, "payload_too_long")],
)
def test_parse_refuses_what_is_not_a_payload(text, code):
    with pytest.raises(ValidationFailed) as error:
        parse_payload(text)
    assert error.value.code == code


def test_parse_refuses_non_ascii():
    with pytest.raises(ValidationFailed) as error:
        parse_payload(PUBLISHED[0][1].replace("Chuyen tien", "Chuyển tiền"))
    assert error.value.code == "invalid_character"


@pytest.mark.parametrize(
    ("arguments", "code", "fragment"),
    [
        (dict(bank_bin="97041"), "invalid_bank_bin", "38/01/00"),
        (dict(bank_bin="97041A"), "invalid_bank_bin", "38/01/00"),
        (dict(account="1" * 20), "invalid_account", "38/01/01"),
        (dict(account="0011-001"), "invalid_account", "38/01/01"),
        (dict(account="0011001932418", service=ServiceCode.CARD_TRANSFER), "invalid_account", "số thẻ"),
        (dict(service=ServiceCode.MERCHANT_PAYMENT), "unsupported_service", "QRIBFTTA"),
        (dict(reference="hp123"), "invalid_reference", "hp123"),
        (dict(reference="HP 123"), "invalid_reference", "HP 123"),
        (dict(reference="H" * 26), "invalid_reference", "tối đa 25"),
        (dict(purpose="Tiền ăn"), "invalid_character", "62/08"),
        (dict(purpose="an & ngu"), "invalid_character", "&"),
        (dict(purpose="a" * 100), "field_too_long", "Trường 62/08"),
        (dict(purpose="a" * 95), None, None),  # 62/08 of 95 makes a 62 of exactly 99
        (
            dict(purpose="a" * 96),
            "field_too_long",
            "Trường 62 ",
        ),  # 62/08 fits, the template around it does not  # 62/08 fits, the template around it does not
        (dict(purpose=""), None, None),
        (dict(bill_number="Số 1"), "invalid_character", "62/01"),
        (dict(bill_number="A" * 100), "field_too_long", "62/01"),
    ],
)
def test_build_checks_each_field(arguments, code, fragment):
    values = dict(bank_bin="970415", account="0011001932418", amount=150000, reference=None) | arguments
    if code is None:
        build_payload(**values)
        return
    with pytest.raises(ValidationFailed) as error:
        build_payload(**values)
    assert error.value.code == code
    assert fragment in error.value.message


def test_reference_comes_first_in_the_transfer_content():
    reference = vietqr.new_reference("HP")
    payload = build_payload(
        bank_bin="970436",
        account="0071000123456",
        amount=850000,
        reference=reference,
        purpose=vietqr.transfer_text("Tiền ăn bán trú T9/2026"),
    )
    parsed = parse_payload(payload)
    assert parsed["purpose"] == f"{reference} Tien an ban tru T9/2026"
    assert parsed["amount"] == 850000 and not parsed["is_static"]
    assert vietqr.find_references(parsed["purpose"], prefix="HP") == [reference]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tiền ăn bán trú T9/2026", "Tien an ban tru T9/2026"),
        ("ĐÓNG GÓP quỹ lớp 6A1", "DONG GOP quy lop 6A1"),
        ("  Học  phí:  HK1 (2025–2026) ", "Hoc phi HK1 2025 2026"),
        ("", ""),
    ],
)
def test_transfer_text(text, expected):
    assert vietqr.transfer_text(text) == expected


def test_new_reference_shape_and_uniqueness():
    references = {vietqr.new_reference("HP") for _ in range(2000)}
    assert len(references) == 2000
    for reference in references:
        assert len(reference) == 2 + 8 + 1
        assert reference.startswith("HP")
        assert not set(reference[2:]) & set("01OIL")
        assert vietqr.is_valid_reference(reference, prefix="HP")


@pytest.mark.parametrize("prefix", ["", "hp", "1HP", "HP-", "ABCDEFG"])
def test_new_reference_refuses_bad_prefixes(prefix):
    with pytest.raises(ValueError):
        vietqr.new_reference(prefix)


def test_check_symbol_catches_one_typo_and_neighbour_swaps():
    reference = _reference("7KQ4XM9A")
    assert vietqr.is_valid_reference(reference, prefix="HP")
    for position in range(2, len(reference)):
        for symbol in vietqr.REFERENCE_ALPHABET:
            if symbol != reference[position]:
                typo = reference[:position] + symbol + reference[position + 1 :]
                assert not vietqr.is_valid_reference(typo, prefix="HP"), typo
    for position in range(2, len(reference) - 1):
        if reference[position] != reference[position + 1]:
            swapped = reference[:position] + reference[position + 1] + reference[position] + reference[position + 2 :]
            assert not vietqr.is_valid_reference(swapped, prefix="HP"), swapped
    assert not vietqr.is_valid_reference(reference, prefix="TA")
    assert not vietqr.is_valid_reference(reference[:-1], prefix="HP")


def _reference(body: str) -> str:
    return "HP" + body + vietqr._check_character(body)


def test_find_references_in_bank_content():
    first, second = _reference("7KQ4XM9A"), _reference("ZZ23WN5E")
    broken = first[:-1] + ("2" if first[-1] != "2" else "3")
    content = f"MBVCB.4721.{first.lower()}.Tien an-{'.'.join(second)} {broken} {first}"
    assert vietqr.find_references(content, prefix="HP") == [first, second]
    assert vietqr.find_references("Chuyen tien", prefix="HP") == []
    assert vietqr.find_references(f"{first[:-1]}", prefix="HP") == []
