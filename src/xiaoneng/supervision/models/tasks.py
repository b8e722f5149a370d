"""tasks rows of the supervision room."""

__all__: list[str] = []
