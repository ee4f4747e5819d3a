from tests.accounts.browser import browsers

__all__ = ["browsers"]
