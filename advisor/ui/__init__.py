"""The web app (a leaf: the core never imports it)."""
