"""Manual codes: Crockford base32, check symbol, forgiving typing (property-based)."""

import math
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from passnum.core import codes

code_st = st.builds(lambda _: codes.new_manual_code(), st.integers())


def test_manual_code_shape_and_entropy():
    code = codes.new_manual_code()
    assert len(code) == 12
    assert set(code) <= set(codes.ALPHABET)
    # 11 random symbols of 32: at least 40 secret bits (docs/product.md)
    assert codes.MANUAL_CODE_DATA_LENGTH * math.log2(len(codes.ALPHABET)) >= 40
    assert codes.group(code).count("-") == 2


@given(code_st)
def test_typing_is_forgiving(code):
    typed = codes.group(code).lower().replace("0", "o").replace("1", "l")
    assert codes.parse_manual_code(typed) == code
    assert codes.parse_manual_code(f"  {code.lower()} ") == code
    assert codes.parse_manual_code(" ".join(code)) == code


@given(code_st, st.integers(min_value=0, max_value=11), st.sampled_from(codes.ALPHABET))
def test_any_single_substitution_is_caught(code, index, symbol):
    if code[index] == symbol:
        return
    mangled = code[:index] + symbol + code[index + 1:]
    with pytest.raises(codes.MalformedCode):
        codes.parse_manual_code(mangled)


@given(code_st, st.integers(min_value=0, max_value=10))
def test_adjacent_transpositions_are_mostly_caught(code, index):
    swapped = code[:index] + code[index + 1] + code[index] + code[index + 2:]
    if swapped == code:
        return
    # Luhn mod N misses only the swap of two symbols whose values sum to N-1 pairs
    a, b = codes._VALUE[code[index]], codes._VALUE[code[index + 1]]
    if {a, b} == {0, 31}:
        return
    with pytest.raises(codes.MalformedCode):
        codes.parse_manual_code(swapped)


@given(code_st, st.integers(min_value=1, max_value=11))
def test_truncated_codes_are_refused(code, keep):
    with pytest.raises(codes.MalformedCode):
        codes.parse_manual_code(code[:keep])


@settings(max_examples=300)
@given(st.text(max_size=80))
def test_parser_never_crashes_on_any_text(text):
    try:
        result = codes.parse_manual_code(text)
    except codes.MalformedCode:
        return
    assert len(result) == 12 and codes.is_valid_check(result)


@given(st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=12, max_size=14))
def test_random_candidates_pass_only_with_the_right_check(text):
    try:
        canon = codes.canonical(text)
    except codes.MalformedCode:
        return
    ok = len(canon) == 12 and codes.check_symbol(canon[:-1]) == canon[-1]
    if ok:
        assert codes.parse_manual_code(text) == canon
    else:
        with pytest.raises(codes.MalformedCode):
            codes.parse_manual_code(text)
