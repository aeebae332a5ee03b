"""The error classes: user errors are MatdiffErrors (and the built-in class a Python user
expects); program bugs are InternalError, never mistaken for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import matdiff


def test_a_value_outside_the_domain_is_a_value_error():
    d = matdiff.derivative("log(det(X))", wrt="X")
    with pytest.raises(ValueError) as info:
        d.evaluate(X=np.zeros((2, 2)))
    assert isinstance(info.value, matdiff.MatdiffError)
    assert isinstance(info.value, matdiff.InputValueError)
    assert "error:" in str(info.value)


def test_an_unknown_function_is_a_key_error_and_a_matdiff_error():
    with pytest.raises(matdiff.UnknownNameError) as info:
        matdiff.parse("foo(x)")
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, matdiff.MatdiffError)
    assert "foo" in str(info.value) and "^" in str(info.value)


def test_internal_error_is_not_a_user_error():
    assert not issubclass(matdiff.InternalError, matdiff.MatdiffError)
    e = matdiff.InternalError("an invariant broke")
    assert "bug in matdiff" in str(e)
