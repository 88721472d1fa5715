"""Keys and users for departments on the command line: bound to a department the knowledge base
knows, refused with the reason otherwise; the key then reaches that department's cases only."""

from __future__ import annotations

from pathlib import Path

from agent.store import CaseStore
from agent.store.keys import ApiKeys
from agent.store.users import Users
from tests.support.cli import run


def test_a_department_key_and_user_are_bound_to_their_department(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.db")
    made = run("keys", "create", "--role", "department", "--department", "city-management", "--name", "城管",
               "--db", db)
    assert made.returncode == 0, made.stderr
    user = run("users", "create", "zhang", "--role", "department", "--department", "traffic-police",
               "--password-stdin", "--db", db, stdin="zhang-password-1\n")
    assert user.returncode == 0, user.stderr
    store = CaseStore.open(db)
    try:
        client = ApiKeys(store).client(made.stdout.strip())
        assert client is not None
        assert (client.role, client.department_id) == ("department", "city-management")
        person = Users(store).authenticate("zhang", "zhang-password-1")
        assert person is not None
        assert person.department_id == "traffic-police"
    finally:
        store.close()


def test_department_bindings_are_refused_with_the_reason(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.db")
    unbound = run("keys", "create", "--role", "department", "--db", db)
    assert unbound.returncode != 0
    assert "必须指定所属部门" in unbound.stderr
    unknown = run("keys", "create", "--role", "department", "--department", "no-such-office", "--db", db)
    assert unknown.returncode != 0
    assert "没有编号为「no-such-office」的部门" in unknown.stderr
    assert "city-management" in unknown.stderr
    operator = run("users", "create", "wang", "--role", "operator", "--department", "city-management",
                   "--password-stdin", "--db", db, stdin="wang-password-1\n")
    assert operator.returncode != 0
    assert "只有承办部门角色可以绑定部门" in operator.stderr
