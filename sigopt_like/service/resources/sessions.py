"""Routes of the 'sessions' family (being written)."""


def register(app, context) -> None:
    """Add this family's routes to the app."""
