"""The web pages as a browser uses them through FastAPI's TestClient: people with passwords, logging
in with the session's CSRF token, and a draft made on the intake page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from agent.store.users import Users

PASSWORDS = {"wang": "operator-pass-1", "li": "supervisor-pass-1", "zhao": "evaluator-pass-1"}
ROLES = {"wang": "operator", "li": "supervisor", "zhao": "evaluator"}


def add_users(app: TestClient, *usernames: str) -> None:
    """Accounts for these people (wang, li, zhao) with their roles and PASSWORDS."""
    users = Users(app.app.state.workflow.store)  # type: ignore[attr-defined]
    for name in usernames:
        users.create(name, ROLES[name], PASSWORDS[name])


def token_of(client: TestClient, path: str = "/ui/login") -> str:
    """The session's CSRF token, from a page's <meta> (the login page sends a logged-in user home)."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path, follow_redirects=True).text)
    assert found, path
    return found.group(1)


def log_in(client: TestClient, username: str) -> TestClient:
    r = client.post("/ui/login", data={"username": username, "password": PASSWORDS[username],
                                       "csrf_token": token_of(client)})
    assert r.status_code == 303, r.text
    return client


def fetch_headers(client: TestClient, path: str = "/ui/review") -> dict[str, str]:
    return {"X-CSRF-Token": token_of(client, path), "X-Requested-With": "fetch"}


def draft(client: TestClient, text: str) -> tuple[int, str]:
    """The intake page drafts a case from `text`: its id and the draft's HTML."""
    r = client.post("/ui/intake/draft", data={"text": text}, headers=fetch_headers(client, "/ui/intake"))
    assert r.status_code == 200, r.text
    found = re.search(r'data-case="(\d+)"', r.text)
    assert found, r.text[:500]
    return int(found.group(1)), r.text
