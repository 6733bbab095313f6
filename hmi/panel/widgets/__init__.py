"""Reusable panel widgets: keys, figures, the PIN pad, the Andon banner and sound, the lock."""
