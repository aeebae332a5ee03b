"""The [13/13] Pade approximant of the matrix exponential, as source text for the
generated modules (which must run without matdiff, so they carry their own `_expm`).

Contract: `PADE13` is the coefficients' literal; `pade_body(ns)` the lines that follow
the scaling step in `_expm` (with `a` scaled, `s` the number of squarings, `b` the
coefficients and `ident` the identity bound), solving with the namespace `ns` (`np`,
`xp`). The NumPy and array API templates (spelling.py, array_api.py) share it; the
evaluator's live version is ir/numeric.py's `expm`.
"""

PADE13 = """(64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
         1187353796428800.0, 129060195264000.0, 10559470521600.0, 670442572800.0,
         33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)"""

_BODY = """    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
             + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * ident)
    v = (a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2)
         + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * ident)
    r = NS.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r
"""


def pade_body(ns: str) -> str:
    return _BODY.replace("NS.", f"{ns}.")
