"""How handlers run: one own-GIL sub-interpreter per pinned core, async handlers that await, the
blocking pool."""
