"""Property-based tests (hypothesis) of the parsers of dates, periods and amounts:
every valid value reads back exactly, and no input whatsoever raises anything but the
parser's own refusal (never a 500)."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from passnum import create_app
from passnum.beneficiaries.validation import parse_birth_date
from passnum.core.clock import DATE_MAX, DATE_MIN, InvalidDate, parse_iso_date, today
from passnum.errors import InvalidInput
from passnum.programmes.forms import ProgrammeForm
from passnum.statements.forms import AdjustmentForm
from passnum.statements.queries import parse_period
from tests.conftest import TEST_CONFIG

ANY_TEXT = st.one_of(st.text(max_size=40), st.from_regex(r"[0-9/\-., €+]{0,14}", fullmatch=True))


@given(st.dates(min_value=DATE_MIN, max_value=DATE_MAX))
def test_iso_dates_read_back(day):
    assert parse_iso_date(day.isoformat()) == day


@given(st.one_of(st.dates(max_value=date(1999, 12, 31)), st.dates(min_value=date(2101, 1, 1))))
def test_iso_dates_out_of_range_are_refused(day):
    try:
        parse_iso_date(day.isoformat())
    except InvalidDate as err:
        assert "hors limites" in str(err) or "invalide" in str(err)  # years below 1000
        return
    raise AssertionError(day)


@given(ANY_TEXT)
def test_iso_date_parser_refuses_with_value_error_only(raw):
    try:
        day = parse_iso_date(raw)
    except ValueError:
        return
    assert day.isoformat() == raw


@given(st.integers(DATE_MIN.year, DATE_MAX.year), st.integers(1, 12))
def test_periods_read_back(year, month):
    assert parse_period(f"{year}-{month:02d}") == date(year, month, 1)


@given(st.one_of(ANY_TEXT, st.none()))
def test_period_parser_refuses_with_invalid_input_only(raw):
    try:
        first = parse_period(raw)
    except InvalidInput as err:
        assert err.code == "invalid_period" and err.field == "period"
        return
    assert first.day == 1 and raw.strip() == first.strftime("%Y-%m")


@given(st.dates(min_value=date(1900, 1, 1), max_value=today()), st.booleans())
def test_birth_dates_read_back_in_both_formats(day, french):
    text = day.strftime("%d/%m/%Y") if french else day.isoformat()
    assert parse_birth_date(f" {text} ") == day


@given(st.one_of(ANY_TEXT, st.integers(), st.none(), st.floats(allow_nan=True)))
def test_birth_date_parser_refuses_with_invalid_input_only(raw):
    try:
        day = parse_birth_date(raw)
    except InvalidInput as err:
        assert err.field == "birth_date" and err.message
        return
    assert date(1900, 1, 1) <= day <= today()


# forms need an application; these parsers need no database
FORM_APP = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def _amount(raw: str) -> AdjustmentForm:
    with FORM_APP.test_request_context():
        form = AdjustmentForm(formdata=MultiDict({"amount": raw, "reason": "Correction"}),
                              meta={"csrf": False})
        form.validate()
    return form


@settings(max_examples=60)
@given(cents=st.integers(-999_999_999, 999_999_999).filter(bool), comma=st.booleans(),
       sign=st.booleans(), euro=st.booleans())
def test_amounts_typed_the_french_way_read_back(cents, comma, sign, euro):
    whole, rest = divmod(abs(cents), 100)
    text = f"{whole}{',' if comma else '.'}{rest:02d}"
    text = ("-" if cents < 0 else "+" if sign else "") + text + (" €" if euro else "")
    form = _amount(text)
    assert form.amount.data == cents and not form.amount.errors


@settings(max_examples=200)
@given(raw=ANY_TEXT)
def test_amount_field_refuses_with_a_french_message_only(raw):
    form = _amount(raw)
    if form.amount.errors:
        assert form.amount.data is None or form.amount.data == 0
        assert all(isinstance(e, str) and e for e in form.amount.errors)
    else:
        assert isinstance(form.amount.data, int) and form.amount.data != 0


# Python's int() and re's \d read any Unicode digit, "_" separators and Unicode spaces:
# amounts and counts are ASCII digits only, refused otherwise with a French message.
NOT_ASCII_NUMBERS = st.one_of(
    st.integers(0, 10**6).map(lambda n: str(n).translate(str.maketrans(
        "0123456789", "٠١٢٣٤٥٦٧٨٩"))),
    st.integers(0, 10**6).map(lambda n: str(n).translate(str.maketrans(
        "0123456789", "０１２３４５６７８９"))),
    st.integers(1000, 10**6).map(lambda n: f"{n:_}"),
    st.integers(0, 10**6).map(lambda n: f"\u2003{n}"),
    st.integers(0, 10**6).map(lambda n: f"{n}\u00a0\u2009"),
)


def _programme_form(raw: str) -> ProgrammeForm:
    with FORM_APP.test_request_context():
        form = ProgrammeForm(formdata=MultiDict({
            "name": "Pass", "starts_on": "2024-01-01", "ends_on": "2024-12-31",
            "target_beneficiaries": "100", "budget_euros": raw, "vouchers_per_booklet": "10",
            "voucher_value_euros": "10", "validity_months": "12"}), meta={"csrf": False})
        form.validate()
    return form


@settings(max_examples=120)
@given(raw=NOT_ASCII_NUMBERS)
def test_whole_numbers_refuse_anything_but_ascii_digits(raw):
    form = _programme_form(raw)
    assert form.budget_euros.data is None
    assert form.budget_euros.errors == ["Nombre invalide : chiffres 0 à 9 uniquement."]


@given(st.integers(0, 10**9))
def test_whole_numbers_read_back(value):
    form = _programme_form(str(value))
    assert form.budget_euros.data == value and not form.budget_euros.errors


@settings(max_examples=120)
@given(raw=NOT_ASCII_NUMBERS.filter(lambda raw: raw.strip() and raw.strip() != "0"))
def test_euro_amounts_refuse_anything_but_ascii_digits(raw):
    form = _amount(raw + ",50")
    assert form.amount.data is None and form.amount.errors
