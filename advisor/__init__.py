"""handhaving-advisor: a retrieval-backed advisor over 'Samenwerken, daar zit muziek in' (2008)."""

__version__ = "0.1.0"
