"""The demo Django project (examples/demo) as a plain WSGI app for gunicorn.

Used by loadtests/run.py as the "Django under gunicorn" reference server. The demo
itself is not edited: these modules import its settings and URLconf and add only
what a plain WSGI server needs to answer ``/media/``, which bolt answers in Rust.
"""
