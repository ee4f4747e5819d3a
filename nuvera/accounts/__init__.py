"""Web sign-in: server-side sessions behind an HttpOnly cookie, CSRF tokens, and login throttling.

Reusable by every browser-facing surface (the management API now, the web app later): `dependencies.py` gives
routes the signed-in `Identity`, `service.py` starts and ends sessions, `throttle.py` limits password guessing.
"""
