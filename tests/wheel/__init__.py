"""Packaging: ``bolt --version``, ``bolt check``, the wheel installed into a fresh venv, and which
copy of the package the suite imports."""
