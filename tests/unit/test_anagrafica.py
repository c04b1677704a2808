"""The anagrafica CSV."""

from __future__ import annotations

from chiave.italian import anagrafica

HEADER = "scuola;codice_fiscale;cognome;nome;email;cellulare;ruolo\n"


def test_rows_are_normalised():
    parsed = anagrafica.parse(
        "\ufeff"
        + HEADER
        + "rmic817009;rssmra82c52h5l1v;Rossi;Maria;Maria.Rossi@Example.IT;333 123 4567;Genitore\n"
    )
    assert parsed.errors == []
    (person,) = parsed.people
    assert person.school_id == "RMIC817009"
    assert person.codice_fiscale == "RSSMRA82C52H5L1V"  # an omocode is kept as issued
    assert person.email == "maria.rossi@example.it"
    assert person.mobile == "+393331234567"
    assert parsed.schools == ["RMIC817009"]


def test_bad_rows_are_reported_by_line_and_not_loaded():
    parsed = anagrafica.parse(
        HEADER
        + "RMIC817009;RSSMRA82C52H501X;Rossi;Maria;;;genitore\n"
        + "RMIC817009;RSSMRA82C52H501K;Rossi;Maria;not-an-email;;genitore\n"
        + "RMIC817009;RSSMRA82C52H501K;Rossi;Maria;;;nonno\n"
        + "RMIC817009;RSSMRA82C52H501K;;Maria;;;genitore\n"
        + "BAD;RSSMRA82C52H501K;Rossi;Maria;;;genitore\n"
        + "RMIC817009;RSSMRA82C52H501K;Rossi;Maria;;;genitore\n"
        + "RMIC817009;RSSMRA82C52H501K;Rossi;Maria;;;genitore\n"
    )
    assert [error.line for error in parsed.errors] == [2, 3, 4, 5, 6, 8]
    assert len(parsed.people) == 1


def test_a_wrong_header_is_refused():
    parsed = anagrafica.parse("cf;nome\nX;Y\n")
    assert parsed.people == [] and parsed.errors[0].line == 1


def test_twins_with_a_base_code_and_an_omocode_are_two_people():
    # Given twins: the Agency gave the second an omocode of the first's code
    parsed = anagrafica.parse(
        HEADER
        + "RMIC817009;RSSMRA82C52H501K;Rossi;Maria;maria@example.it;;studente\n"
        + "RMIC817009;RSSMRA82C52H5L1V;Rossi;Marta;marta@example.it;;studente\n"
    )
    # Then both are loaded, each under the code as issued
    assert parsed.errors == []
    assert [(p.codice_fiscale, p.name) for p in parsed.people] == [
        ("RSSMRA82C52H501K", "Maria"),
        ("RSSMRA82C52H5L1V", "Marta"),
    ]


MOBILE_SPELLINGS = ["333 111 2233", "3331112233", "0039 333 1112233", "+39 333 111 2233", "+39-333-111.2233"]


def test_mobiles_as_schools_write_them_become_e164():
    for spelling in MOBILE_SPELLINGS:
        parsed = anagrafica.parse(HEADER + f"RMIC817009;RSSMRA82C52H501K;Rossi;Maria;;{spelling};genitore\n")
        assert [person.mobile for person in parsed.people] == ["+393331112233"], spelling


def test_a_number_that_is_not_a_mobile_is_dropped_and_reported_but_the_person_is_loaded():
    for number in ["06 1234 5678", "12", "+44 20 7946 0000", "not a number"]:
        # Given a row whose number is a landline, too short, or not a number
        parsed = anagrafica.parse(HEADER + f"RMIC817009;RSSMRA82C52H501K;Rossi;Maria;;{number};genitore\n")
        # Then the person is loaded without it, and the line is reported
        assert [(person.codice_fiscale, person.mobile) for person in parsed.people] == [
            ("RSSMRA82C52H501K", None)
        ]
        assert parsed.errors == [] and [note.line for note in parsed.notes] == [2], number
