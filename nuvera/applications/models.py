"""The rows this area manages: API applications, signing keys and API keys (defined in `nuvera.auth.models`).

The authenticator and the key cache read these tables on every request, so the classes are defined one layer down,
in auth (auth may not import applications: the import contract in pyproject.toml); this area imports them from
here.
"""

from nuvera.auth.models import ApiApplication, ApiKey, ApiKeyStatus, SigningKey

__all__ = ["ApiApplication", "ApiKey", "ApiKeyStatus", "SigningKey"]
