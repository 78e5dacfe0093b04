"""Spellings of other libraries on top of ours, for code moving to bolt.

``from django_bolt.compat import msgspec`` in place of ``import msgspec``: the same names
(``Struct``, ``Meta``, ``field``, ``json.encode``/``json.decode``, ``convert``, ...) backed by
bolt's Struct and Rust plans, which load in the server's sub-interpreters (msgspec cannot).
"""
