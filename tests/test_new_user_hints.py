"""Hints for what a new user types (from the fresh-clone trial): a shortened property, an
unknown function with no near name, a doubled comma in --wrt. Each is a MatdiffError
with a message, a hint, and (where there is a place) a caret."""

from __future__ import annotations

import pytest

import matdiff


def test_a_shortened_property_where_no_size_fits_is_named():
    with pytest.raises(matdiff.DeclarationError) as e:
        matdiff.derivative("x'*A*x", wrt="x", variables={"A": "matrix n n sym"})
    assert "unknown property 'sym'" in e.value.message
    assert e.value.hint == "did you mean symmetric?"


def test_a_size_named_like_a_property_prefix_is_still_a_size():
    # `spd` is a prefix of nothing but itself; `sym` as the FIRST size is a size name
    d = matdiff.derivative("x'*A*x", wrt="x", variables={"A": "matrix sym sym"})
    assert str(d) == "(A + A')*x"


def test_an_unknown_function_lists_the_functions():
    with pytest.raises(matdiff.MatdiffError) as e:
        matdiff.parse("foo(x)")
    assert "unknown function 'foo'" in e.value.message
    assert "exp" in e.value.hint and "softmax" in e.value.hint
    assert "^" in str(e.value)


def test_an_empty_name_in_a_list_of_variables_is_refused():
    with pytest.raises(matdiff.MatdiffError) as e:
        matdiff.derivative("x'*A*x", wrt="x,,A")
    assert "empty name" in e.value.message and e.value.hint
