"""Where REST endpoints run (nuvera/routing.py): reads on SQLite on the event loop, falling back to a worker thread
when a lock is in the way; writes of one process one at a time (nuvera/db.py `sqlite_writer`)."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.routing import iter_route_contexts
from sqlalchemy import text

from nuvera.db import Database, sqlite_writer, writing
from nuvera.dependencies import SessionDep
from nuvera.routing import OneHopRoute
from tests.harness import live_server


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def app_on(database: Database, calls: list[dict[str, Any]]) -> FastAPI:
    router = APIRouter(route_class=OneHopRoute)

    @router.get("/read")
    def read(session: SessionDep) -> dict[str, Any]:
        count = session.execute(text("SELECT count(*) FROM notes")).scalar_one()
        calls.append({"loop": on_event_loop()})
        return {"count": count}

    @router.get("/read-that-writes")
    def read_that_writes(session: SessionDep) -> dict[str, Any]:
        calls.append({"loop": on_event_loop()})
        session.execute(text("INSERT INTO notes (body) VALUES ('seen')"))
        return {"ok": True}

    @router.post("/write")
    def write(session: SessionDep) -> dict[str, Any]:
        before = writer_held(database)
        session.execute(text("INSERT INTO notes (body) VALUES ('posted')"))
        calls.append({"loop": on_event_loop(), "held_before": before, "held_after": writer_held(database)})
        return {"ok": True}

    @router.post("/write-refused")
    def write_refused(session: SessionDep) -> dict[str, Any]:
        calls.append({"loop": on_event_loop(), "holds_writer": writer_held(database)})
        raise HTTPException(422, "refused by the endpoint's own checks, before any statement")

    app = FastAPI()
    app.state.database = database
    app.include_router(router)
    return app


def writer_held(database: Database) -> bool:
    lock = sqlite_writer(database.engine)
    assert lock is not None
    # Held by this very thread (an RLock can be taken again by its holder, not by another thread).
    taken = lock.acquire(blocking=False)
    if taken:
        lock.release()
    return taken and lock._is_owned()  # type: ignore[attr-defined]  # RLock's own check of its holder


def notes_database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'notes.db'}")
    with database.session() as session:
        session.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    return database


def test_a_read_on_sqlite_runs_on_the_event_loop(tmp_path: Path) -> None:
    database = notes_database(tmp_path)
    calls: list[dict[str, Any]] = []
    with live_server(app_on(database, calls)) as server:
        assert httpx.get(server.base_url + "/read").json() == {"count": 0}
    assert calls == [{"loop": True}]
    database.dispose()


def test_a_read_that_meets_a_lock_runs_again_in_a_worker_thread_and_writes_once(tmp_path: Path) -> None:
    database = notes_database(tmp_path)
    calls: list[dict[str, Any]] = []
    other = sqlite3.connect(tmp_path / "notes.db", isolation_level=None, check_same_thread=False)
    try:
        with live_server(app_on(database, calls)) as server:
            # Another process's writer (a plain sqlite3 connection) holds the write lock until the endpoint's
            # first attempt has met it.
            other.execute("BEGIN IMMEDIATE")

            def release_after_the_first_attempt() -> None:
                while not calls:
                    time.sleep(0.01)
                time.sleep(0.2)
                other.execute("COMMIT")

            releaser = threading.Thread(target=release_after_the_first_attempt)
            releaser.start()
            response = httpx.get(server.base_url + "/read-that-writes", timeout=30)
            releaser.join()
    finally:
        other.close()
    assert response.status_code == 200
    # Refused at once on the loop (never waiting there), then run again where it may wait for the lock.
    assert calls == [{"loop": True}, {"loop": False}]
    with database.session() as session:
        assert session.execute(text("SELECT count(*) FROM notes WHERE body = 'seen'")).scalar_one() == 1
    database.dispose()


def test_a_write_runs_in_a_worker_thread_holding_the_process_writer_lock_from_its_first_statement(
    tmp_path: Path,
) -> None:
    database = notes_database(tmp_path)
    calls: list[dict[str, Any]] = []
    with live_server(app_on(database, calls)) as server:
        assert httpx.post(server.base_url + "/write").status_code == 200
    assert calls == [{"loop": False, "held_before": False, "held_after": True}]
    assert writer_held(database) is False  # given back after the commit
    with database.session() as session:
        assert session.execute(text("SELECT count(*) FROM notes WHERE body = 'posted'")).scalar_one() == 1
    database.dispose()


def test_a_write_refused_before_its_first_statement_never_waits_for_the_write_lock(tmp_path: Path) -> None:
    database = notes_database(tmp_path)
    calls: list[dict[str, Any]] = []
    other = sqlite3.connect(tmp_path / "notes.db", isolation_level=None, check_same_thread=False)
    try:
        with live_server(app_on(database, calls)) as server:
            other.execute("BEGIN IMMEDIATE")  # another process's writer (a screening job) holds SQLite's lock
            started = time.monotonic()
            refused = httpx.post(server.base_url + "/write-refused", timeout=60)
            waited = time.monotonic() - started
            other.execute("COMMIT")
            assert httpx.post(server.base_url + "/write", timeout=60).status_code == 200
    finally:
        other.close()
    assert refused.status_code == 422
    assert waited < 10  # taking the lock first, it would have waited for the COMMIT above (up to 30 s)
    assert calls[0] == {"loop": False, "holds_writer": False}
    database.dispose()


def test_writers_of_one_process_take_turns(tmp_path: Path) -> None:
    database = notes_database(tmp_path)
    lock = sqlite_writer(database.engine)
    assert lock is sqlite_writer(Database(f"sqlite:///{tmp_path / 'notes.db'}").engine)  # per file, not per engine
    order: list[str] = []
    first_inside = threading.Event()

    def first() -> None:
        with writing(lock):
            order.append("first in")
            first_inside.set()
            time.sleep(0.2)
            order.append("first out")

    def second() -> None:
        first_inside.wait()
        with writing(lock):
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert order == ["first in", "first out", "second in"]
    assert sqlite_writer(Database("postgresql+psycopg://nobody@127.0.0.1:1/none").engine) is None
    database.dispose()


def test_one_hop_routes_open_their_session_without_the_generator_dependency(tmp_path: Path) -> None:
    """Every one-hop REST route gets `open_session` (its hop ends the transaction); no route of the application
    that runs its endpoint in one hop still asks for a generator dependency, which would end it a second time."""
    from nuvera.app import create_app
    from nuvera.config import Settings
    from nuvera.routing import open_session

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'nuvera.db'}", env="development"))
    routes = [context.original_route for context in iter_route_contexts(app.routes)]
    one_hop = [route for route in routes if isinstance(route, OneHopRoute)]
    assert len(one_hop) > 30
    for route in one_hop:
        calls = []
        pending = list(route.dependant.dependencies)
        while pending:
            dependant = pending.pop()
            calls.append(dependant.call)
            pending.extend(dependant.dependencies)
        assert not any(inspect.isasyncgenfunction(call) for call in calls), route.path
        if route.path.startswith("/api/v1/customers") and "GET" in (route.methods or ()):
            assert open_session in calls, route.path


def test_a_one_hop_write_commits_and_a_refused_parameter_leaves_nothing_open(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'notes.db'}")
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    router = APIRouter(route_class=OneHopRoute)

    @router.post("/notes/{count}")
    def write(count: int, session: SessionDep) -> dict[str, Any]:
        for _ in range(count):
            session.execute(text("INSERT INTO notes (body) VALUES ('posted')"))
        return {"ok": True}

    app = FastAPI()
    app.state.database = database
    app.include_router(router)
    with live_server(app) as server:
        assert httpx.post(f"{server.base_url}/notes/2").status_code == 200
        assert httpx.post(f"{server.base_url}/notes/two").status_code == 422  # the endpoint never ran
        assert httpx.post(f"{server.base_url}/notes/1").status_code == 200
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM notes")).scalar_one() == 3
    assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    database.dispose()
