"""The lesson's pitfalls, as check-answer names them.

Contract: `PITFALLS` maps a pitfall's name (what `Verdict.pitfall` holds) to its title
and what the lesson says about it; teach/check.py decides which one a wrong answer
matches.
"""

from __future__ import annotations

# name -> (title, what the lesson says)
PITFALLS: dict[str, tuple[str, str]] = {
    "layout-transposed": (
        "a transposed layout (numerator, denominator or strict)",
        "The layouts are transposes of each other: d(A*x)/dx = A in numerator layout but "
        "A' in denominator layout, and a gradient has the variable's shape in numerator "
        "layout but is a row in strict numerator layout. Pick one convention and keep it.",
    ),
    "quadratic-form-transpose": (
        "the missing transpose in the quadratic form",
        "d(x'*A*x)/dx = (A + A')*x, not 2*A*x, unless A is symmetric: the product rule "
        "gives dx'*A*x + x'*A*dx, and the second term contributes A'*x.",
    ),
    "trace-transpose": (
        "trace derivatives are not matrix products",
        "d tr(A*X)/dX = A', not A: tr(C'*dX) is the inner product of C and dX, so "
        "reading the gradient off tr(M*dX) gives M', with the transpose.",
    ),
    "logdet-inverse": (
        "the gradient of log det",
        "d log det(X)/dX = inv(X)' (X⁻ᵀ) for a general invertible X; it equals inv(X) "
        "only when X is symmetric, and on the space of symmetric matrices (X_ij = X_ji "
        "counted once) it is 2*inv(X) - diag(diag(inv(X))).",
    ),
    "symmetric-structured": (
        "the derivative on symmetric matrices",
        "G + G' - diag(diag(G)) (Cookbook 138) is the derivative when X is constrained "
        "to be symmetric and each X_ij = X_ji is one variable; for a general X (all "
        "entries independent) the gradient is G itself.",
    ),
    "symmetric-only": (
        "right only for symmetric matrices",
        "The answer agrees only when a matrix is symmetric; for a general matrix a "
        "transpose is missing or misplaced.",
    ),
    "chain-rule-order": (
        "chain-rule factors in the wrong order",
        "In matrix form dimensions must align: dh/dx = (dh/dg)*(dg/dx), the outer "
        "function's Jacobian multiplying from the left. An answer that does not "
        "type-check, or has the wrong shape, has its factors out of order.",
    ),
    "missing-transpose": (
        "a missing transpose",
        "The chain rule brings the inner Jacobian in transposed: for f(g(w)) with "
        "g = A*w the gradient is A'*(the gradient of f by g), J'*(outer gradient). Without "
        "the transpose the answer is wrong, and has the wrong shape when A is not square.",
    ),
    "extra-transpose": (
        "a transpose too many",
        "A transpose where none belongs: in numerator layout the gradient has the "
        "variable's shape, and d tr(A*X)/dX = A' while d tr(A'*X)/dX = A.",
    ),
    "missing-term": (
        "a term of the product rule is missing",
        "d(X*Y) = dX*Y + X*dY: when the variable appears more than once, every "
        "occurrence contributes a term.",
    ),
    "factor-2": (
        "a factor 2",
        "A factor 2 was dropped or added (d(x'*x)/dx = 2*x; ||r||² gives 2*J'*r).",
    ),
    "sign-error": (
        "a sign error",
        "The answer has the right terms with a wrong sign.",
    ),
    "constant-factor": (
        "off by a constant factor",
        "The answer is a constant multiple of the derivative.",
    ),
    "stray-variable": (
        "a variable the function does not have",
        "The derivative can only involve the function's own variables.",
    ),
}
