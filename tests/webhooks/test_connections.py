"""The sender keeps a connection per endpoint host and checked address: consecutive deliveries reuse it, and two host
names on one address never share one (each has its own Host header and, over TLS, its own server name)."""

from __future__ import annotations

from datetime import UTC, datetime

from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.events.models import EventType
from nuvera.events.service import record_event
from nuvera.tenancy import OrganizationScope
from tests.harness import Factory
from tests.webhooks.receiver import receiver
from tests.webhooks.worker_harness import create_endpoint, run_until, worker


def _to_loopback(_host: str, _port: int) -> list[str]:
    """Both partner host names of this test resolve to the receiver's address."""
    return ["127.0.0.1"]


def test_one_connection_per_host_reused_across_deliveries_never_shared_between_hosts(
    factory: Factory, database: Database, hook_settings: Settings
) -> None:
    partner = factory.partner([Permission.EVENTS_READ])
    with receiver(keep_alive=True) as hook:
        hosts = [f"hooks-a.example:{hook.port}", f"hooks-b.example:{hook.port}"]
        for host in hosts:
            create_endpoint(
                database, hook_settings, partner.organization_id, f"http://{host}/hooks", resolver=_to_loopback
            )
        for _ in range(3):
            with database.session() as session:
                record_event(
                    session,
                    OrganizationScope(partner.organization_id),
                    EventType.SUPPORT_TICKET_REPLIED,
                    {"object": {"id": "tkt_connections"}},
                    now=datetime.now(UTC),
                )
        run_until(worker(hook_settings, database, resolver=_to_loopback), lambda: len(hook.received) >= 6)
    connections: dict[str, set[int]] = {}
    for request in hook.received:
        connections.setdefault(request.headers["host"], set()).add(request.client_port)
    assert sorted(connections) == hosts
    first, second = (connections[host] for host in hosts)
    assert (len(first), len(second)) == (1, 1)  # three deliveries each, on one connection
    assert first != second
