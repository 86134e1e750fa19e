from __future__ import annotations

from loyalty_import.inspection.header import count_preamble, is_header


def test_a_row_of_names_over_emails_and_numbers_is_a_header() -> None:
    # GIVEN column names above data / WHEN checked / THEN header
    assert is_header(
        ['Kunde', 'Adresse', 'Stand'], [['Ann', 'a@example.com', '10'], ['Bo', 'b@example.com', '5']]
    )


def test_a_first_row_holding_an_email_is_data() -> None:
    # GIVEN a headerless export / WHEN checked / THEN not a header
    assert not is_header(['Ann', 'a@example.com', '10'], [['Bo', 'b@example.com', '5']])


def test_a_first_row_with_numbers_where_the_body_has_numbers_is_data() -> None:
    # GIVEN numbers in every numeric column of the first row / THEN data
    assert not is_header(['7', 'x', '10'], [['8', 'y', '5'], ['9', 'z', '6']])


def test_report_title_lines_above_the_table_are_preamble() -> None:
    # GIVEN two title lines and a blank-ish line above a wide table
    rows = [['Customer report'], ['Generated 2024-05-01', '', '', ''], ['Name', 'Email', 'Points', 'Tier']]
    rows += [['Ann', 'a@example.com', '1', 'Gold']] * 5
    # WHEN counted / THEN both title lines are skipped
    assert count_preamble(rows) == 2
