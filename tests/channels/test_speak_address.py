"""`speak_address` reads each word by the words around it, in English and Spanish."""

from __future__ import annotations

import pytest

from voice_agent.speech import speak_address


@pytest.mark.parametrize(
    ("address", "spoken"),
    [
        ("12 Elm St, St. Louis", "12 Elm Street, Saint Louis"),
        ("100 St Charles Ave, St Paul", "100 Saint Charles Avenue, Saint Paul"),
        ("12 Dr Martin Luther King Jr Blvd", "12 Doctor Martin Luther King Jr Boulevard"),
        ("12 Elm St Springfield", "12 Elm Street Springfield"),
        ("12 St Mary's Rd", "12 Saint Mary's Road"),
        ("5 Oak Ln Apt E", "5 Oak Lane apartment E"),
        ("5 Unit Rd Ste W", "5 Unit Road suite W"),
        ("1 Main St, Hartford, CT 06103", "1 Main Street, Hartford, CT 0 6 1 0 3"),
        ("123 Main St NE, Washington", "123 Main Street Northeast, Washington"),
        (
            "12 Elm St Springfield IL 62704-1234, Austin",
            "12 Elm Street Springfield IL 6 2 7 0 4, Austin",
        ),
        ("6420 Oak St, Springfield", "64 20 Oak Street, Springfield"),
        ("1200 Elm St", "1200 Elm Street"),
    ],
)
def test_english_addresses(address: str, spoken: str) -> None:
    assert speak_address(address) == spoken


@pytest.mark.parametrize(
    ("address", "spoken"),
    [
        ("6420 Oak St, Springfield", "6420 Oak Street, Springfield"),
        ("500 N Lamar Blvd Apt 3", "500 North Lamar Boulevard apartamento 3"),
        ("1234 Oak St., Austin, TX 78704", "1234 Oak Street, Austin, TX 7 8 7 0 4"),
    ],
)
def test_spanish_addresses_keep_the_house_number_whole(address: str, spoken: str) -> None:
    assert speak_address(address, language="es") == spoken
