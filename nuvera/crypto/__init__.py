"""Crypto reference data: supported assets and networks (CRYPTO_READ)."""
