"""A real browser (headless Chromium) against the Django admin served by bolt."""
