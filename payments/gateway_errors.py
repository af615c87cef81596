"""What a store's gateway raises when the store did not accept a call the platform must repeat."""


class StoreAnswerFailed(Exception):
    """The store did not accept a call: ``status`` says what it answered (or that it did not)."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status
