"""SIRET, IBAN, postal code and phone checks: normalised values or a French refusal."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from schwifty import IBAN
from stdnum import luhn

from passnum.errors import InvalidInput
from passnum.venues.validation import (
    check_iban,
    check_phone,
    check_postal_code,
    check_postal_code_in_departement,
    check_siret,
    mask_iban,
)

# The SEPA zone's IBAN countries (ISO 13616 registry) and their IBANs' lengths
SEPA_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}


def refusal(check, value):
    with pytest.raises(InvalidInput) as caught:
        check(value)
    return caught.value


# --- SIRET ------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "stored"), [
    ("73282932000074", "73282932000074"),
    ("732 829 320 00074", "73282932000074"),
    (" 21785260781597\u00a0", "21785260781597"),
    ("35600000000048", "35600000000048"),  # La Poste's head office: Luhn holds
    ("356 000 000 49837", "35600000049837"),  # a La Poste office: digit sum multiple of 5
])
def test_valid_sirets_are_stored_as_14_digits(raw, stored):
    assert check_siret(raw) == stored


@pytest.mark.parametrize(("raw", "code"), [
    ("", "siret_required"),
    (None, "siret_required"),
    ("7328293200007", "siret_malformed"),
    ("732829320000745", "siret_malformed"),
    ("7328293200007A", "siret_malformed"),
    ("73282932-000074", "siret_malformed"),
    ("٧٣٢٨٢٩٣٢٠٠٠٠٧٤", "siret_malformed"),  # Arabic-Indic digits are not ASCII digits
    ("73282932000075", "siret_invalid"),
    ("35600000000011", "siret_invalid"),  # La Poste's SIREN, neither rule holds
    ("12345678900013", "siret_invalid"),  # digit sum multiple of 5, but not La Poste
    ("21785260181590", "siret_invalid"),  # the SIRET's key holds, not its SIREN's
])
def test_invalid_sirets_are_refused_in_french(raw, code):
    err = refusal(check_siret, raw)
    assert err.code == code and err.field == "siret" and err.http_status == 400
    assert "SIRET" in err.message


def _with_luhn_key(digits: str) -> str:
    """Append the digit that makes ``digits`` pass the Luhn check."""
    return digits + luhn.calc_check_digit(digits)


def _siret(siren_digits: str, nic_digits: str) -> str:
    """A SIRET whose SIREN (8 digits and its key) and whole number both have their key."""
    return _with_luhn_key(_with_luhn_key(siren_digits) + nic_digits)


@given(st.text(alphabet="0123456789", min_size=8, max_size=8),
       st.text(alphabet="0123456789", min_size=4, max_size=4))
def test_any_siret_with_its_keys_is_accepted(siren_digits, nic_digits):
    siret = _siret(siren_digits, nic_digits)
    spaced = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    assert check_siret(spaced) == siret


@given(st.text(alphabet="0123456789", min_size=8, max_size=8),
       st.text(alphabet="0123456789", min_size=4, max_size=4),
       st.integers(min_value=0, max_value=12), st.integers(min_value=1, max_value=9))
def test_a_single_changed_digit_breaks_the_siret_key(siren_digits, nic_digits, position,
                                                     shift):
    siret = _siret(siren_digits, nic_digits)
    changed = siret[:position] + str((int(siret[position]) + shift) % 10) + siret[position + 1:]
    if not changed.startswith("356000000"):  # La Poste's own rule may accept it
        assert refusal(check_siret, changed).code == "siret_invalid"


# --- IBAN -------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "stored"), [
    ("FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
    ("fr7630006000011234567890189", "FR7630006000011234567890189"),
    ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ("BE68 5390 0754 7034", "BE68539007547034"),
    ("  ES91 2100 0418 4502 0005 1332 ", "ES9121000418450200051332"),
    ("IT60X0542811101000000123456", "IT60X0542811101000000123456"),
])
def test_valid_ibans_are_stored_compact_and_upper_case(raw, stored):
    assert check_iban(raw) == stored


@pytest.mark.parametrize(("raw", "code"), [
    ("", "iban_required"),
    ("FR77 3000 6000 0112 3456 7890 189", "iban_invalid"),
    ("FR76 3000 6000 0112 3456 7890 198", "iban_invalid"),
    ("DE89 3704 0044 0532 0130 0", "iban_length"),
    ("FR76 3000 6000 0112 3456 7890 1899", "iban_length"),
    ("BE68 5390 0754 7034 00", "iban_length"),
    ("FR76-3000-6000-0112-3456-7890-189", "iban_malformed"),
    ("FR76 3000 6000 0112 3456 7890 18É", "iban_malformed"),
    ("7630006000011234567890189", "iban_malformed"),
    ("US64SVBKUS6S3300958879", "iban_country"),
    ("XK051212012345678906", "iban_country"),  # Kosovo: IBANs, but no SEPA
    ("GB33 1234 2020 1555 5555 55", "iban_invalid"),  # a British bank code has letters
])
def test_invalid_ibans_are_refused_in_french(raw, code):
    err = refusal(check_iban, raw)
    assert err.code == code and err.field == "iban" and "IBAN" in err.message


def test_a_wrong_length_names_the_expected_length():
    assert "27 caractères" in refusal(check_iban, "FR76300060000112345678901").message


@given(st.sampled_from(sorted(SEPA_IBAN_LENGTHS)), st.randoms(use_true_random=False),
       st.data())
def test_any_well_formed_iban_is_accepted_and_one_changed_digit_refused(country, rnd, data):
    iban = str(IBAN.random(country_code=country, random=rnd, use_registry=False))
    assert len(iban) == SEPA_IBAN_LENGTHS[country]
    spaced = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)).lower()
    assert check_iban(spaced) == iban
    digits = [i for i in range(2, len(iban)) if iban[i].isdigit()]  # the check digits too
    position = data.draw(st.sampled_from(digits))
    shift = data.draw(st.integers(min_value=1, max_value=9))
    changed = iban[:position] + str((int(iban[position]) + shift) % 10) + iban[position + 1:]
    assert refusal(check_iban, changed).code == "iban_invalid"


@given(st.text(max_size=60))
def test_garbage_never_crashes_the_checks(text):
    for check in (check_siret, check_iban, check_postal_code, check_phone):
        try:
            check(text)
        except InvalidInput as err:
            assert err.field and err.message


def test_masked_iban_shows_only_country_and_last_four():
    masked = mask_iban("FR7630006000011234567890189")
    assert masked.startswith("FR••") and masked.replace(" ", "").endswith("•0189")
    assert "3000" not in masked and mask_iban(None) == ""


# --- postal code and phone --------------------------------------------------------------


@pytest.mark.parametrize(("raw", "stored"), [("78500", "78500"), (" 92 000 ", "92000"),
                                             ("20000", "20000"), ("97400", "97400")])
def test_postal_codes(raw, stored):
    assert check_postal_code(raw) == stored


@pytest.mark.parametrize("raw", ["", "7850", "785000", "00100", "78A00", None])
def test_bad_postal_codes_are_refused(raw):
    err = refusal(check_postal_code, raw)
    assert err.field == "postal_code" and "5 chiffres" in err.message


@pytest.mark.parametrize(("raw", "stored"), [
    ("", ""), (None, ""), ("0139123456", "01 39 12 34 56"), ("01.39.12.34.56", "01 39 12 34 56"),
    ("+33 6 12 34 56 78", "06 12 34 56 78"), ("0033 1 39 12 34 56", "01 39 12 34 56"),
])
def test_phones_are_optional_and_normalised(raw, stored):
    assert check_phone(raw) == stored


@pytest.mark.parametrize("raw", ["123", "0012345678", "01391234567", "+44 20 7946 0958",
                                 "01 39 12 34 5x"])
def test_bad_phones_are_refused(raw):
    err = refusal(check_phone, raw)
    assert err.field == "phone" and "10 chiffres" in err.message


# --- postal code and département ------------------------------------------------------


@pytest.mark.parametrize(("postal", "departement"), [
    ("78300", "78"), ("92000", "92"), ("01000", "01"), ("20000", "2A"), ("20200", "2B"),
    ("97400", "974"), ("97110", "971"),
])
def test_a_postal_code_of_the_departement_is_accepted(postal, departement):
    check_postal_code_in_departement(postal, departement, "Yvelines")


@pytest.mark.parametrize(("postal", "departement"), [
    ("92000", "78"), ("78300", "92"), ("20000", "78"), ("97400", "971"), ("75001", "2A"),
])
def test_a_postal_code_of_another_departement_is_refused_in_french(postal, departement):
    err = refusal(lambda v: check_postal_code_in_departement(v, departement, "Yvelines"),
                  postal)
    assert err.code == "postal_code_departement_mismatch" and err.field == "postal_code"
    assert postal in err.message and f"Yvelines ({departement})" in err.message
