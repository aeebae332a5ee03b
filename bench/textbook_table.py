"""The textbook table: derivatives with the form a careful author prints, written by hand.

Contract: `TABLE` lists `Entry`s — a function in matdiff's language, the variable, the
declarations, the order, the textbook form of the derivative (in matdiff's language, in
numerator layout: a gradient has the variable's shape, a Jacobian is m×n, a Hessian by a
vector is n×n, a Hessian by an m×n matrix is the mn×mn matrix H of the Kronecker form
d²f = vec(dX)'*H*vec(dX)) and where the form comes from. Nothing here is computed by
matdiff: the forms were copied from the sources or derived on paper, and the test
`tests/diff/test_textbook_forms.py` checks each one by value. `bench/textbook_forms.py`
measures how the length of matdiff's printed result compares with the textbook's.

Sources: MC = the Matrix Cookbook (Petersen & Pedersen, 2012; equation numbers), MN =
Magnus & Neudecker, "Matrix Differential Calculus" (3rd ed.), Minka = T. Minka, "Old and
New Matrix Algebra Useful for Statistics", ML = common machine-learning losses, L = the
lesson in shared/seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entry:
    f: str
    wrt: str
    textbook: str
    source: str
    variables: dict[str, str] = field(default_factory=dict)
    order: int = 1


N = "vector n"
NN = "matrix n n"
MN = "matrix m n"

TABLE: list[Entry] = []


def add(f: str, wrt: str, textbook: str, source: str, order: int = 1, **variables: str) -> None:
    TABLE.append(Entry(f, wrt, textbook, source, dict(variables), order))


# --- scalar by vector: gradients -----------------------------------------------------
add("u'*x", "x", "u", "MC 69", u=N, x=N)
add("x'*u", "x", "u", "MC 69", u=N, x=N)
add("x'*x", "x", "2*x", "L", x=N)
add("x'*A*x", "x", "(A + A')*x", "MC 81", x=N, A=NN)
add("x'*S*x", "x", "2*S*x", "MC 81 (symmetric)", x=N, S="matrix n n symmetric")
add("u'*A*x", "x", "A'*u", "MC 70", u="vector m", A=MN, x=N)
add("x'*A*u", "x", "A*u", "MC 70", u="vector m", A="matrix n m", x=N)
add("norm2(x)^2", "x", "2*x", "MC 129", x=N)
add("norm2(x)", "x", "x/norm2(x)", "MC 129", x=N)
add("norm2(A*x - y)^2", "x", "2*A'*(A*x - y)", "L", A=MN, x=N, y="vector m")
add("0.5*norm2(A*x - y)^2", "x", "A'*(A*x - y)", "ML least squares", A=MN, x=N, y="vector m")
add("(A*x - y)'*(A*x - y)", "x", "2*A'*(A*x - y)", "MC 84", A=MN, x=N, y="vector m")
add("(x - u)'*A*(x - u)", "x", "(A + A')*(x - u)", "MC 85", x=N, u=N, A=NN)
add("(x - u)'*S*(x - u)", "x", "2*S*(x - u)", "MC 86", x=N, u=N, S="matrix n n symmetric")
add("(u'*x)^2", "x", "2*(u'*x)*u", "MN", u=N, x=N)
add("(u'*x)^3", "x", "3*(u'*x)^2*u", "MN", u=N, x=N)
add("exp(u'*x)", "x", "exp(u'*x)*u", "MN", u=N, x=N)
add("cos(u'*x)", "x", "-sin(u'*x)*u", "MN", u=N, x=N)
add("exp(-x'*x)", "x", "-2*exp(-x'*x)*x", "MN", x=N)
add("(x'*x)^2", "x", "4*(x'*x)*x", "MN", x=N)
add("log(1 + exp(w'*x))", "x", "sigmoid(w'*x)*w", "L", w=N, x=N)
add("sum(exp(x))", "x", "exp(x)", "ML", x=N)
add("sum(log(x))", "x", "1 ./ x", "ML", x="vector n positive")
add("sum(x .^ 2)", "x", "2*x", "ML", x=N)
add("sum(x .* x)", "x", "2*x", "ML", x=N)
add("sum(sin(x))", "x", "cos(x)", "ML", x=N)
add("sum(tanh(x))", "x", "1 - tanh(x).^2", "ML", x=N)
add("sum(sigmoid(x))", "x", "sigmoid(x) .* (1 - sigmoid(x))", "ML", x=N)
add("sum(softplus(x))", "x", "sigmoid(x)", "ML", x=N)
add("sum(relu(x))", "x", "step(x)", "ML", x=N)
add("sum(abs(x))", "x", "sign(x)", "ML", x=N)
add("norm1(x)", "x", "sign(x)", "ML", x=N)
add("logsumexp(x)", "x", "softmax(x)", "ML", x=N)
add("-y'*log(softmax(z))", "z", "softmax(z) - y", "L", y="vector n onehot", z=N)
add("x'*A*x + u'*x + c", "x", "(A + A')*x + u", "MN", x=N, u=N, A=NN, c="scalar")
add("x'*diag(u)*x", "x", "2*u .* x", "MN", x=N, u=N)
add("u'*diag(x)*v", "x", "u .* v", "MN", x=N, u=N, v=N)
add("u'*x*(v'*x)", "x", "(v'*x)*u + (u'*x)*v", "MN", u=N, v=N, x=N)
add("sqrt(x'*S*x)", "x", "S*x/sqrt(x'*S*x)", "MN", x=N, S="matrix n n spd")
add("log(x'*S*x)", "x", "2*S*x/(x'*S*x)", "MN", x=N, S="matrix n n spd")
add("x'*S*x/(x'*x)", "x", "2*(S*x - (x'*S*x)/(x'*x)*x)/(x'*x)", "Minka (Rayleigh quotient)",
    x=N, S="matrix n n symmetric")
add("tr(x*x')", "x", "2*x", "MC", x=N)
add("sum(A*x)", "x", "A'*vector(1)", "MN", A=MN, x=N)
add("sum(log(1 + exp(-y .* (X*w))))", "w", "-X'*(y .* sigmoid(-y .* (X*w)))",
    "ML logistic regression", X=MN, w=N, y="vector m")
add("sum(log(1 + exp(X*w))) - y'*X*w", "w", "X'*(sigmoid(X*w) - y)",
    "ML logistic regression (0/1 labels)", X=MN, w=N, y="vector m")
add("norm2(X*w - y)^2 + c*norm2(w)^2", "w", "2*X'*(X*w - y) + 2*c*w", "ML ridge",
    X=MN, w=N, y="vector m", c="scalar")
add("0.5*norm2(relu(W*x) - y)^2", "x", "W'*((relu(W*x) - y) .* step(W*x))", "L",
    W=MN, x=N, y="vector m")
add("sum(softplus(X*w) - y .* (X*w))", "w", "X'*(sigmoid(X*w) - y)",
    "ML logistic loss in softplus form",
    X=MN, w=N, y="vector m")
add("-y'*log(softmax(W*x))", "x", "W'*(softmax(W*x) - y)", "ML softmax regression",
    W=MN, x=N, y="vector m onehot")
add("sum(exp(A*x))", "x", "A'*exp(A*x)", "ML", A=MN, x=N)
add("u'*tanh(A*x)", "x", "A'*(u .* (1 - tanh(A*x).^2))", "ML", A=MN, x=N, u="vector m")
add("norm2(x - u)", "x", "(x - u)/norm2(x - u)", "MC 129", x=N, u=N)
add("u'*inv(S)*x", "x", "inv(S)*u", "MC", x=N, u=N, S="matrix n n spd")

# --- vector by vector: Jacobians -----------------------------------------------------
add("A*x", "x", "A", "MC 71 / L", A=MN, x=N)
add("A'*x", "x", "A'", "MC 71", A="matrix n m", x=N)
add("A*x + u", "x", "A", "MC", A=MN, x=N, u="vector m")
add("B*A*x", "x", "B*A", "MC", B="matrix p m", A=MN, x=N)
add("x .* u", "x", "diag(u)", "MN", x=N, u=N)
add("diag(u)*x", "x", "diag(u)", "MN", x=N, u=N)
add("x .^ 2", "x", "2*diag(x)", "MN", x=N)
add("exp(x)", "x", "diag(exp(x))", "ML", x=N)
add("sigmoid(x)", "x", "diag(sigmoid(x) .* (1 - sigmoid(x)))", "ML", x=N)
add("tanh(x)", "x", "diag(1 - tanh(x).^2)", "ML", x=N)
add("softmax(x)", "x", "diag(softmax(x)) - softmax(x)*softmax(x)'", "ML", x=N)
add("x*(u'*x)", "x", "(u'*x)*eye(n) + x*u'", "MN", x=N, u=N)
add("A*exp(x)", "x", "A*diag(exp(x))", "ML", A=MN, x=N)
add("relu(W*x)", "x", "diag(step(W*x))*W", "ML", W=MN, x=N)
add("x/norm2(x)", "x", "(eye(n) - x*x'/(x'*x))/norm2(x)", "MN", x=N)
add("norm2(x)*x", "x", "norm2(x)*eye(n) + x*x'/norm2(x)", "MN", x=N)
add("sigmoid(W*x)", "x", "diag(sigmoid(W*x) .* (1 - sigmoid(W*x)))*W", "ML", W=MN, x=N)
add("inv(S)*x", "x", "inv(S)", "MC", S="matrix n n spd", x=N)

# --- scalar by matrix: gradients ------------------------------------------------------
add("tr(X)", "X", "eye(n)", "MC 100", X=NN)
add("tr(A*X)", "X", "A'", "MC 100 / L", A="matrix n m", X=MN)
add("tr(X*A)", "X", "A'", "MC 100", A="matrix n m", X=MN)
add("tr(X'*A)", "X", "A", "L", A=MN, X=MN)
add("tr(A*X')", "X", "A", "MC 101", A=MN, X=MN)
add("tr(A*X*B)", "X", "A'*B'", "MC 102 / L", A="matrix p m", X=MN, B="matrix n p")
add("tr(A*X'*B)", "X", "B*A", "MC 103", A="matrix p n", X=MN, B="matrix m p")
add("tr(X*A*X')", "X", "X*(A + A')", "L", X=MN, A=NN)
add("tr(X'*A*X)", "X", "(A + A')*X", "MC 108 / L", X=MN, A="matrix m m")
add("tr(X'*S*X)", "X", "2*S*X", "MC 108 (symmetric)", X=MN, S="matrix m m symmetric")
add("tr(X*X)", "X", "2*X'", "MC 106", X=NN)
add("tr(X'*X)", "X", "2*X", "MC 107 / L", X=MN)
add("tr(X*X')", "X", "2*X", "MC 107", X=MN)
add("tr(X^2)", "X", "2*X'", "MC 106", X=NN)
add("tr(X^3)", "X", "3*(X^2)'", "MC 109", X=NN)
add("tr(A*X*B*X)", "X", "A'*X'*B' + B'*X'*A'", "MC 110", A=NN, X=NN, B=NN)
add("tr(X'*A*X*B)", "X", "A*X*B + A'*X*B'", "MC 111", A="matrix m m", X=MN, B=NN)
add("tr(inv(X))", "X", "-(inv(X)*inv(X))'", "MC 124", X=NN)
add("tr(A*inv(X)*B)", "X", "-inv(X)'*A'*B'*inv(X)'", "MC 124", A=NN, X=NN, B=NN)
add("tr(inv(X)*A)", "X", "-inv(X)'*A'*inv(X)'", "MC 124", X=NN, A=NN)
add("u'*X*v", "X", "u*v'", "MC 70 / L", u="vector m", X=MN, v=N)
add("u'*X'*v", "X", "v*u'", "MC 71", u=N, X=MN, v="vector m")
add("u'*X*u", "X", "u*u'", "MC 72", u=N, X=NN)
add("u'*X*X'*u", "X", "2*u*u'*X", "MC 77", u="vector m", X=MN)
add("u'*X'*X*u", "X", "2*X*u*u'", "MC 77", u=N, X=MN)
add("u'*X*X*v", "X", "u*v'*X' + X'*u*v'", "MC 76", u=N, X=NN, v=N)
add("u'*inv(X)*v", "X", "-inv(X)'*u*v'*inv(X)'", "MC 61 / L", u=N, X=NN, v=N)
add("det(X)", "X", "det(X)*inv(X)'", "MC 49 / L", X=NN)
add("log(det(X))", "X", "inv(X)'", "MC 57 / L", X=NN)
add("log(abs(det(X)))", "X", "inv(X)'", "MC 57", X=NN)
add("logdet(S)", "S", "inv(S)", "MC 57 (spd)", S="matrix n n spd")
add("det(A*X*B)", "X", "det(A*X*B)*inv(X)'", "MC 51", A=NN, X=NN, B=NN)
add("det(X^2)", "X", "2*det(X^2)*inv(X)'", "MC 53", X=NN)
add("norm2(X)^2", "X", "2*X", "MC 129 / L", X=MN)
add("norm2(X)", "X", "X/norm2(X)", "MC 129", X=MN)
add("norm2(A*X - B)^2", "X", "2*A'*(A*X - B)", "MC", A="matrix p m", X=MN, B="matrix p n")
add("norm2(W*X - Y)^2", "W", "2*(W*X - Y)*X'", "L", W="matrix m k", X="matrix k n",
    Y=MN)
add("norm2(X*A - B)^2", "X", "2*(X*A - B)*A'", "MC", X=MN, A="matrix n p", B="matrix m p")
add("0.5*tr((X - A)'*(X - A))", "X", "X - A", "MC", X=MN, A=MN)
add("sum(X .* X)", "X", "2*X", "ML", X=MN)
add("sum(exp(X))", "X", "exp(X)", "ML", X=MN)
add("sum(A .* X)", "X", "A", "ML", A=MN, X=MN)
add("sum(log(X))", "X", "1 ./ X", "ML", X="matrix m n positive")
add("u'*exp(X)*v", "X", "exp(X) .* (u*v')", "ML", u="vector m", X=MN, v=N)
add("tr(A*X)^2", "X", "2*tr(A*X)*A'", "MN", A=NN, X=NN)
add("exp(tr(X))", "X", "exp(tr(X))*eye(n)", "MN", X=NN)
add("tr(expm(X))", "X", "expm(X)'", "MN", X=NN)
add("norm2(X*w - y)^2", "X", "2*(X*w - y)*w'", "ML", X=MN, w=N, y="vector m")
add("logdet(S) + tr(inv(S)*C)", "S", "inv(S) - inv(S)*C*inv(S)", "ML Gaussian NLL",
    S="matrix n n spd", C="matrix n n spd")
add("-y'*log(softmax(W*x))", "W", "(softmax(W*x) - y)*x'", "L", W=MN, x=N,
    y="vector m onehot")
add("0.5*norm2(relu(W*x) - y)^2", "W", "((relu(W*x) - y) .* step(W*x))*x'", "L",
    W=MN, x=N, y="vector m")
add("sum(log(1 + exp(-y .* (X*w))))", "X", "-(y .* sigmoid(-y .* (X*w)))*w'",
    "ML logistic regression by the data", X=MN, w=N, y="vector m")
add("u'*tanh(W*x)", "W", "(u .* (1 - tanh(W*x).^2))*x'", "ML", W=MN, x=N, u="vector m")
add("tr(diag(x)*A)", "x", "diag(A)", "MN", x=N, A=NN)
add("u'*diag(x)*u", "x", "u .^ 2", "MN", x=N, u=N)
add("tr(kron(A, X))", "X", "tr(A)*eye(n)", "MN", A="matrix p p", X=NN)
add("tr(S*X)", "X", "S", "MC 100 (symmetric)", S="matrix n n symmetric", X=NN)
add("u'*X'*X*v", "X", "X*(u*v' + v*u')", "MC 78", u=N, X=MN, v=N)
add("tr(X'*X*A)", "X", "X*(A + A')", "MC", X=MN, A=NN)
add("norm2(X - A)^2", "X", "2*(X - A)", "MC", X=MN, A=MN)
add("sum(sigmoid(X))", "X", "sigmoid(X) .* (1 - sigmoid(X))", "ML", X=MN)
add("logsumexp(W*x)", "W", "softmax(W*x)*x'", "ML", W=MN, x=N)
add("logsumexp(W*x)", "x", "W'*softmax(W*x)", "ML", W=MN, x=N)

# --- by a scalar ----------------------------------------------------------------------
add("expm(t*A)*u", "t", "A*expm(t*A)*u", "L", t="scalar", A=NN, u=N)
add("t*A", "t", "A", "MN", t="scalar", A=MN)
add("inv(A + t*B)", "t", "-inv(A + t*B)*B*inv(A + t*B)", "MC 59", t="scalar",
    A="matrix n n spd", B="matrix n n spd")
add("exp(t*x)", "t", "x .* exp(t*x)", "MN", t="scalar", x=N)
add("sin(t)*A", "t", "cos(t)*A", "MN", t="scalar", A=MN)
add("(A + t*B)*u", "t", "B*u", "MN", t="scalar", A=MN, B=MN, u=N)
add("t^2*x", "t", "2*t*x", "MN", t="scalar", x=N)
add("sin(t)^2", "t", "2*sin(t)*cos(t)", "calculus", t="scalar")
add("t*exp(t)", "t", "(1 + t)*exp(t)", "calculus", t="scalar")
add("log(1 + t^2)", "t", "2*t/(1 + t^2)", "calculus", t="scalar")
add("sqrt(t^2 + c^2)", "t", "t/sqrt(t^2 + c^2)", "calculus", t="scalar", c="scalar")
add("t/sqrt(t^2 + c^2)", "t", "c^2*(t^2 + c^2)^(-3/2)", "calculus", t="scalar", c="scalar")
add("sigmoid(t)", "t", "sigmoid(t)*(1 - sigmoid(t))", "ML", t="scalar")
add("tanh(t)", "t", "1 - tanh(t)^2", "ML", t="scalar")
add("softplus(t)", "t", "sigmoid(t)", "ML", t="scalar")
add("arctan(t)", "t", "1/(1 + t^2)", "calculus", t="scalar")
add("u'*inv(A + t*B)*u", "t", "-u'*inv(A + t*B)*B*inv(A + t*B)*u", "MC 59", t="scalar",
    A="matrix n n spd", B="matrix n n spd", u=N)
add("det(A + t*B)", "t", "det(A + t*B)*tr(inv(A + t*B)*B)", "MC 46", t="scalar",
    A="matrix n n spd", B="matrix n n spd")
add("logdet(A + t*B)", "t", "tr(inv(A + t*B)*B)", "MC 57", t="scalar",
    A="matrix n n spd", B="matrix n n spd")
add("tr(expm(t*A))", "t", "tr(A*expm(t*A))", "MN", t="scalar", A=NN)
add("x'*expm(t*A)*x", "t", "x'*A*expm(t*A)*x", "MN", t="scalar", A=NN, x=N)
add("norm2(x - t*u)^2", "t", "-2*u'*(x - t*u)", "ML line search", t="scalar", x=N, u=N)
add("exp(-t)*cos(t)", "t", "-exp(-t)*(cos(t) + sin(t))", "calculus", t="scalar")

# --- Hessians ---------------------------------------------------------------------------
add("x'*A*x", "x", "A + A'", "L", 2, x=N, A=NN)
add("x'*S*x", "x", "2*S", "L", 2, x=N, S="matrix n n symmetric")
add("x'*x", "x", "2*eye(n)", "L", 2, x=N)
add("norm2(A*x - y)^2", "x", "2*A'*A", "ML", 2, A=MN, x=N, y="vector m")
add("logsumexp(x)", "x", "diag(softmax(x)) - softmax(x)*softmax(x)'", "ML", 2, x=N)
add("-y'*log(softmax(z))", "z", "diag(softmax(z)) - softmax(z)*softmax(z)'", "ML", 2,
    y="vector n onehot", z=N)
add("sum(log(1 + exp(X*w))) - y'*X*w", "w",
    "X'*diag(sigmoid(X*w) .* (1 - sigmoid(X*w)))*X", "ML logistic regression", 2,
    X=MN, w=N, y="vector m")
add("sum(exp(x))", "x", "diag(exp(x))", "ML", 2, x=N)
add("sum(x .^ 4)", "x", "12*diag(x .^ 2)", "calculus", 2, x=N)
add("exp(u'*x)", "x", "exp(u'*x)*u*u'", "MN", 2, u=N, x=N)
add("norm2(x)^2", "x", "2*eye(n)", "MN", 2, x=N)
add("(u'*x)^2", "x", "2*u*u'", "MN", 2, u=N, x=N)
add("log(1 + exp(u'*x))", "x", "sigmoid(u'*x)*(1 - sigmoid(u'*x))*u*u'", "ML", 2, u=N, x=N)
add("norm2(X*w - y)^2 + c*norm2(w)^2", "w", "2*X'*X + 2*c*eye(n)", "ML ridge", 2,
    X=MN, w=N, y="vector m", c="scalar")
add("sum(softplus(x))", "x", "diag(sigmoid(x) .* (1 - sigmoid(x)))", "ML", 2, x=N)
add("norm2(x)", "x", "(eye(n) - x*x'/(x'*x))/norm2(x)", "MN", 2, x=N)
add("x'*A*x + u'*x", "x", "A + A'", "MN", 2, x=N, A=NN, u=N)
add("sum(log(x))", "x", "-diag(1 ./ x.^2)", "calculus", 2, x="vector n positive")
add("0.5*x'*S*x - u'*x", "x", "S", "ML quadratic", 2, x=N, S="matrix n n symmetric", u=N)
add("tr(X'*A*X)", "X", "kron(eye(n), A + A')", "MN", 2, X=MN, A="matrix m m")
add("norm2(A*X - B)^2", "X", "2*kron(eye(n), A'*A)", "MN", 2, A="matrix p m", X=MN,
    B="matrix p n")
add("norm2(W*X - Y)^2", "W", "2*kron(X*X', eye(m))", "MN", 2, W="matrix m k",
    X="matrix k n", Y=MN)
add("logdet(S)", "S", "-kron(inv(S), inv(S))*commutation(n, n)", "MN (spd)", 2,
    S="matrix n n spd")
add("-y'*log(softmax(W*x))", "W",
    "kron(x*x', diag(softmax(W*x)) - softmax(W*x)*softmax(W*x)')", "L / ML", 2,
    W=MN, x=N, y="vector m onehot")
add("norm2(X)^2", "X", "2*kron(eye(n), eye(m))", "MN", 2, X=MN)
add("tr(X*A*X')", "X", "kron(A + A', eye(m))", "MN", 2, X=MN, A=NN)
add("t^3", "t", "6*t", "calculus", 2, t="scalar")
add("exp(-t^2)", "t", "(4*t^2 - 2)*exp(-t^2)", "calculus", 2, t="scalar")

# --- forms issue 11 names: softmax written out, elementwise identities, vec/kron --------
add("u'*(exp(z)/sum(exp(z)))", "z", "(diag(softmax(z)) - softmax(z)*softmax(z)')*u",
    "ML softmax written out", u=N, z=N)
add("u'*exp(z - logsumexp(z))", "z", "(diag(softmax(z)) - softmax(z)*softmax(z)')*u",
    "ML softmax written out", u=N, z=N)
add("u'*(relu(z) .* step(z))", "z", "u .* step(z)", "ML", u=N, z=N)
add("u'*(z .* sign(z))", "z", "u .* sign(z)", "ML", u=N, z=N)
add("sum(sigmoid(z) .* sigmoid(-z))", "z",
    "sigmoid(z) .* (1 - sigmoid(z)) .* (1 - 2*sigmoid(z))", "ML", z=N)
add("vec(X)'*kron(A, B)*vec(X)", "X", "B*X*A' + B'*X*A", "MN (bilinear form as a trace)",
    X=MN, A=NN, B="matrix m m")
add("x'*A*x/3", "x", "(A + A')*x/3", "exact constants", x=N, A=NN)
add("u'*tanh(W*h)", "W", "(u .* (1 - tanh(W*h).^2))*h'", "ML RNN cell", W=MN, h=N,
    u="vector m")
add("logsumexp(W*x)", "x", "W'*(diag(softmax(W*x)) - softmax(W*x)*softmax(W*x)')*W",
    "ML", 2, W=MN, x=N)
add("sum(sigmoid(X*w))", "w",
    "X'*diag(sigmoid(X*w) .* (1 - sigmoid(X*w)) .* (1 - 2*sigmoid(X*w)))*X", "ML", 2,
    X=MN, w=N)
add("0.5*norm2(tanh(W*x) - y)^2", "x",
    "W'*((tanh(W*x) - y) .* (1 - tanh(W*x).^2))", "ML", W=MN, x=N, y="vector m")
add("u'*x/(v'*x)", "x", "(u - (u'*x)/(v'*x)*v)/(v'*x)", "calculus (ratio)", u=N, v=N,
    x="vector n positive")

# --- batched forms with MATLAB's dim (issue 11, item 6): a batch is a matrix of columns -
NP, MP = "matrix n p", "matrix m p"
add("-sum(Y .* log(softmax(W*X, 1)))", "W", "(softmax(W*X, 1) - Y)*X'",
    "ML batched softmax regression", W=MN, X=NP, Y="matrix m p onehot")
add("-sum(Y .* log(softmax(W*X, 1)))", "X", "W'*(softmax(W*X, 1) - Y)",
    "ML batched softmax regression", W=MN, X=NP, Y="matrix m p onehot")
add("-sum(Y .* log(softmax(Z, 1)))", "Z", "softmax(Z, 1) - Y", "ML batched cross-entropy",
    Z=MP, Y="matrix m p onehot")
add("sum(logsumexp(W*X, 1))", "W", "softmax(W*X, 1)*X'", "ML", W=MN, X=NP)
add("sum(logsumexp(Z, 2))", "Z", "softmax(Z, 2)", "ML", Z=MN)
add("sum(A .* X, 1)*u", "X", "A .* (vector(1)*u')", "MATLAB sum(X, 1)", X=MN, A=MN, u=N)
add("v'*sum(A .* X, 2)", "X", "A .* (v*vector(1)')", "MATLAB sum(X, 2)", X=MN, A=MN,
    v="vector m")
add("sum(softmax(Q*K', 2) .* V)", "Q",
    "(softmax(Q*K', 2) .* (V - sum(softmax(Q*K', 2) .* V, 2)*vector(1)'))*K",
    "ML attention weights", Q="matrix m d", K="matrix p d", V=MP)
