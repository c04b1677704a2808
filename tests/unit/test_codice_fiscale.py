"""Our codice fiscale module, property-tested against python-codicefiscale
(a test-only oracle)."""

from __future__ import annotations

import string
from datetime import date

from codicefiscale import codicefiscale as oracle
from hypothesis import given, settings
from hypothesis import strategies as st

from chiave.italian import codice_fiscale

LETTERS = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=12)
PLACES = st.sampled_from(["H501", "F205", "F839", "L219", "A944", "Z404", "G273"])
BIRTHDATES = st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31))


def _oracle_code(surname: str, name: str, gender: str, born: date, place: str) -> str:
    return oracle.encode(
        lastname=surname, firstname=name, gender=gender, birthdate=born.strftime("%d/%m/%Y"), birthplace=place
    )


@settings(max_examples=200, deadline=None)
@given(LETTERS, LETTERS, st.sampled_from("MF"), BIRTHDATES, PLACES)
def test_valid_codes_agree_with_the_oracle(surname, name, gender, born, place):
    # Given a code the oracle builds
    code = _oracle_code(surname, name, gender, born, place)
    # Then our check character and validity agree with it
    assert codice_fiscale.check_character(code[:15]) == oracle.encode_cin(code[:15]) == code[15]
    assert codice_fiscale.is_valid(code)
    assert codice_fiscale.canonical(code) == code


@settings(max_examples=100, deadline=None)
@given(LETTERS, LETTERS, st.sampled_from("MF"), BIRTHDATES, PLACES, st.data())
def test_every_omocode_is_a_person_of_its_own(surname, name, gender, born, place, data):
    # Given any of the oracle's omocodia variants of a code: the codes the
    # Agency issues to people who would otherwise share it (twins)
    code = _oracle_code(surname, name, gender, born, place)
    variants = oracle.decode(code)["omocodes"]
    variant = data.draw(st.sampled_from(variants))
    # Then it is valid and is its own key, never folded onto the base code
    assert codice_fiscale.is_valid(variant)
    assert codice_fiscale.canonical(variant) == variant
    assert len({codice_fiscale.canonical(other) for other in variants}) == len(variants)
    assert codice_fiscale.is_omocode(variant) == oracle.is_omocode(variant)


@settings(max_examples=200, deadline=None)
@given(LETTERS, LETTERS, st.sampled_from("MF"), BIRTHDATES, PLACES, st.sampled_from(string.ascii_uppercase))
def test_a_wrong_check_character_is_refused(surname, name, gender, born, place, wrong):
    code = _oracle_code(surname, name, gender, born, place)
    tampered = code[:15] + wrong
    assert codice_fiscale.is_valid(tampered) == (wrong == code[15])


@given(
    st.one_of(
        st.text(max_size=40),
        st.text(alphabet=string.ascii_uppercase + string.digits, min_size=16, max_size=16),
    )
)
def test_arbitrary_text_never_crashes_and_valid_means_the_oracle_s_check_character(text):
    if codice_fiscale.is_valid(text):
        code = codice_fiscale.normalise(text)
        assert oracle.encode_cin(code[:15]) == code[15]


def test_case_and_spaces_are_ignored():
    assert codice_fiscale.canonical(" rss mra 82c52 h501k ") == "RSSMRA82C52H501K"


def test_malformed_codes_are_refused():
    for code in (
        "",
        "RSSMRA82C52H501",
        "RSSMRA82C52H501KK",
        "RSSMRA82Z52H501K",
        "RSSMRA82C99H501K",
        "1SSMRA82C52H501K",
    ):
        assert not codice_fiscale.is_valid(code)


# Codes of real public bodies (published) and a textbook example.
PROVISIONAL = ["80185250588", "97204170589", "12345678903"]


def test_eleven_digit_provisional_codes_are_checked_by_their_check_digit():
    for code in PROVISIONAL:
        # Given a valid 11-digit code, Then it is accepted as issued
        assert codice_fiscale.is_valid(code) and codice_fiscale.canonical(code) == code
        # And every other last digit is refused
        for digit in "0123456789":
            if digit != code[-1]:
                assert not codice_fiscale.is_valid(code[:-1] + digit)
    assert not codice_fiscale.is_valid("1234567890")  # ten digits
    assert not codice_fiscale.is_valid("123456789031")  # twelve


def test_non_ascii_letters_are_refused_not_upper_cased_into_a_code():
    # "ß".upper() is "SS", "ſ".upper() "S", "ı".upper() "I": each would turn
    # into the ASCII letters of a valid code.
    for lookalike in ("rſsmra82c52h501k", "rßmra82c52h501k", "RSSMRA82C52H501K".replace("S", "ſ")):
        assert not codice_fiscale.is_valid(lookalike)
    with_i = "BNCLCI80A01H501" + codice_fiscale.check_character("BNCLCI80A01H501")
    assert codice_fiscale.is_valid(with_i)
    assert not codice_fiscale.is_valid(with_i.replace("I", "ı"))


@settings(max_examples=200, deadline=None)
@given(LETTERS, LETTERS, st.sampled_from("MF"), BIRTHDATES, PLACES, st.data())
def test_the_birth_date_is_read_from_every_form_of_a_code(surname, name, gender, born, place, data):
    # Given a code and any of its omocodes (digits swapped for letters), women's days + 40
    code = _oracle_code(surname, name, gender, born, place)
    form = data.draw(st.sampled_from([code, *oracle.decode(code)["omocodes"]]))
    # Then each carries the same birth date, and the age follows it
    today = date(2026, 11, 26)
    assert codice_fiscale.birth_date(form, today) == born
    expected_age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    assert codice_fiscale.age(form, today) == expected_age


def test_a_provisional_code_carries_no_birth_date():
    assert codice_fiscale.birth_date("12345678903", date(2026, 11, 26)) is None
    assert codice_fiscale.age("12345678903", date(2026, 11, 26)) is None
