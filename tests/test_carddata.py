"""Card numbers (and codes/expiry near them) are found in caller text however they are said."""

from __future__ import annotations

import pytest

from voice_agent.carddata import CARD_MASK, luhn_valid, mask_card_data

VISA = "4111111111111111"


@pytest.mark.parametrize(
    "said",
    [
        f"my card is {VISA}",
        "it's 4111 1111 1111 1111",
        "4111-1111-1111-1111.",
        "four one one one one one one one one one one one one one one one",
        "four one double one, one one one one, one one one one, one one one one",
        "cuatro uno uno uno uno uno uno uno uno uno uno uno uno uno uno uno",
        "amex 3782 822463 10005",  # 15 digits
        "5555 5555 5555 4444 thanks",
        "6011 0009 9013 9424",
        "4222222222222",  # 13 digits
    ],
)
def test_card_numbers_are_masked(said: str) -> None:
    scan = mask_card_data(said)
    assert scan.card_number and CARD_MASK in scan.text
    assert not any(run in scan.text for run in ("1111", "4444", "9424", "10005", "4222"))
    assert "one one" not in scan.text and "uno uno" not in scan.text


def test_expiry_and_code_said_with_the_card_are_masked() -> None:
    scan = mask_card_data(f"card {VISA} expires 12 27 and the code on the back is 123")
    assert "12 27" not in scan.text and "123" not in scan.text
    assert scan.card_number and scan.card_detail


@pytest.mark.parametrize(
    "said", ["the security code is 1 2 3", "CVV 4321", "expires 12/27", "exp. 0927"]
)
def test_code_or_expiry_alone_is_masked(said: str) -> None:
    scan = mask_card_data(said)
    assert scan.card_detail and not any(ch.isdigit() for ch in scan.text)


@pytest.mark.parametrize(
    "said",
    [
        "my number is 512 555 0142 and I live at 12 Elm St",
        "I owe 189 dollars on invoice 1042",
        "4111111111111112",  # fails the Luhn check
        "we have 2 units, one upstairs and one down",
        "zip code 62704",
        "oh and one more thing",
        "",
    ],
)
def test_ordinary_text_is_left_alone(said: str) -> None:
    scan = mask_card_data(said)
    assert (scan.text, scan.found) == (said, False)


def test_luhn() -> None:
    assert luhn_valid(VISA) and luhn_valid("79927398713") and not luhn_valid("79927398710")
