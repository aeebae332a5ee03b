"""Differential testing of matdiff against an independent oracle (issue 9).

Random well-typed expressions over the whole language (generator.py, text printed by
tree.py), differentiated by matdiff and by JAX autodiff of a direct jax.numpy
translation of the same random tree (reference.py; finite differences in numeric.py
check it, and stand in where JAX is missing). For every case oracle.py checks
`d.evaluate`, the printed result read back, and the generated NumPy, JAX and PyTorch
code; shrink.py reduces a failure to a minimal `matdiff ...` command; known.py lists
the known open fault classes, the only failures a run does not count against itself.

    python -m matdiff.fuzz --cases 5000 --seed 1
"""
