"""Python client for the Nuvera REST API. Signs every request as partner-api.md §5 requires."""

from nuvera_client.signing import NuveraAuth, body_hash, load_private_key, sign_request

__all__ = ["NuveraAuth", "body_hash", "load_private_key", "sign_request"]
