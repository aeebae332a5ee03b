"""The local web page and JSON API of matdiff (`matdiff serve`).

Layout: service.py (the work behind each endpoint, plain data in and out), pool.py
(worker processes with a hard time limit), app.py (FastAPI routes, limits, error
bodies), server.py (the `serve` command), static/ (the page and the API page at /docs:
HTML, CSS, vanilla JS and vendored KaTeX), loadtest.py (a bounded load test against a
running server).
FastAPI and uvicorn are the optional `web` extra; nothing here is imported by the rest
of matdiff.
"""
