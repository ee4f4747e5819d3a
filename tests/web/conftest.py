from tests.web.browser import chromium, site

__all__ = ["chromium", "site"]
