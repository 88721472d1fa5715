import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect, text, update
from sqlalchemy.exc import DatabaseError, StatementError

from agent.pipeline import TriagePipeline
from agent.store import CaseStore
from agent.store.models import ReportRow
from agent.store.store import MIGRATIONS, head_revision
from core.types import ReportIn

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]


def test_every_stage_is_recorded_with_its_evidence(pipeline: TriagePipeline) -> None:
    result = pipeline.triage(ReportIn(text="我叫王建国，电话13812345678。文化路黄河路口的路灯不亮了"))
    case = pipeline.store.case(result.case_id)
    assert case is not None
    events = [(a.stage, a.event) for a in case.audit]
    assert events == [
        ("intake", "report.received"), ("understand", "report.understood"), ("dedup", "report.dedup"),
        ("route", "report.routed"), ("draft", "report.drafted"), ("draft", "case.created"),
    ]
    understood = case.audit[1].payload
    assert understood["classification"]["alternatives"], "scores of the alternatives are kept"
    routed = case.audit[3].payload
    assert routed["departments"][0]["clauses"], "the matched clauses are kept"


def test_personal_data_never_reaches_the_text_or_the_log(pipeline: TriagePipeline) -> None:
    result = pipeline.triage(ReportIn(text="我叫王建国，电话13812345678，身份证410102199001011234，楼下烧烤油烟太大"))
    case = pipeline.store.case(result.case_id)
    assert case is not None
    assert "13812345678" not in case.reports[0].text
    dumped = str(case.audit) + case.summary + case.title
    for secret in ("13812345678", "410102199001011234", "王建国"):
        assert secret not in dumped
    with pipeline.store.session() as s:
        stored = s.execute(text("SELECT CAST(personal_data AS TEXT) FROM reports")).scalar_one()
    for secret in ("13812345678", "410102199001011234"):
        assert secret not in stored, "only the kinds of what masking hid are kept, never the values"
    assert len(json.loads(stored)) >= 2


def test_audit_log_is_append_only(pipeline: TriagePipeline) -> None:
    pipeline.triage(ReportIn(text="小区门口垃圾桶满了好几天没人清运"))
    for statement in ("UPDATE audit_log SET actor = 'someone'", "DELETE FROM audit_log"):
        with pipeline.store.engine.connect() as conn, pytest.raises(DatabaseError, match="append-only"):
            conn.execute(text(statement))


def test_database_uses_wal_and_migrations(pipeline: TriagePipeline, database: str) -> None:
    with pipeline.store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
    if database.startswith("postgresql+psycopg://"):  # a plain postgresql:// URL, as people write it, works too
        plain = CaseStore.open(database.replace("postgresql+psycopg://", "postgresql://"))
        try:
            assert plain.engine.dialect.driver == "psycopg"
            assert plain.revision() == head_revision()
        finally:
            plain.close()


def _url(database: str) -> str:
    return database if "://" in database else f"sqlite:///{database}"


def test_the_newest_migration_is_alembic_head_and_an_older_database_is_upgraded(database: str) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()
    config.set_main_option("sqlalchemy.url", _url(database).replace("%", "%%"))
    command.upgrade(config, "0005")
    store = CaseStore.open(database)
    try:
        assert store.revision() == head_revision()
        with store.engine.connect() as conn:
            assert "emergency" in {c["name"] for c in inspect(conn).get_columns("cases")}
    finally:
        store.close()


def test_human_changes_land_in_case_audit_and_feedback(pipeline: TriagePipeline) -> None:
    result = pipeline.triage(ReportIn(text="小区门口垃圾桶满了好几天没人清运"))
    store = pipeline.store
    store.record_feedback(result.case_id, "category_id", "sanitation.exposed-garbage", "垃圾已外溢成堆", "supervisor-1")
    store.record_feedback(result.case_id, "category_id", "sanitation.garbage-collection", "复核后改回", "supervisor-2")
    case = store.case(result.case_id)
    assert case is not None
    assert case.category_id == "sanitation.garbage-collection"
    review = [a for a in case.audit if a.stage == "review"]
    assert [(a.actor, a.payload["after"]) for a in review] == [
        ("supervisor-1", "sanitation.exposed-garbage"), ("supervisor-2", "sanitation.garbage-collection")]
    assert store.count("feedback") == 2
    assert store.feedback_labels() == [(case.reports[0].text, None, "sanitation.garbage-collection")]
    with pytest.raises(ValueError, match="请填写理由"):
        store.record_feedback(result.case_id, "category_id", "x", " ", "supervisor-1")
    with pytest.raises(ValueError, match="不能在这里修改"):
        store.record_feedback(result.case_id, "status", "closed", "done", "supervisor-1")


def test_an_older_database_is_upgraded_in_place(database: str) -> None:
    from alembic import command
    from alembic.config import Config

    from agent.store.store import MIGRATIONS, CaseStore

    url = _url(database)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "0001")
    old = CaseStore(url)
    with old.engine.begin() as conn:
        conn.execute(text("INSERT INTO reports (text, channel, received_at, personal_data) "
                          "VALUES ('井盖没了', 'cli', '2026-11-20 08:00:00', '[]')"))
        assert "feedback" not in inspect(conn).get_table_names()
    old.close()
    upgraded = CaseStore.open(database)
    assert upgraded.count("reports") == 1, "nothing already stored is lost"
    assert upgraded.count("feedback") == 0
    upgraded.close()


def test_times_are_stored_in_utc_and_read_back_aware(pipeline: TriagePipeline) -> None:
    """A report received at 23:30 in Zhengzhou is 15:30 UTC; its deadlines are the same instants
    whatever zone they were computed in, and a time without a zone is refused, not guessed."""
    zhengzhou = timezone(timedelta(hours=8))
    received = datetime(2026, 12, 31, 23, 30, tzinfo=zhengzhou)
    result = pipeline.triage(ReportIn(text="文化路黄河路口的路灯不亮了", received_at=received))
    case = pipeline.store.case(result.case_id)
    assert case is not None
    assert case.reports[0].received_at == received
    assert case.reports[0].received_at.tzinfo == UTC
    assert case.resolve_by == result.deadlines.resolve_by
    assert case.resolve_by.tzinfo == UTC
    with pipeline.store.session() as s:
        stored = s.execute(text("SELECT received_at FROM reports")).scalar_one()
    assert str(stored).startswith("2026-12-31 15:30:00")
    with pipeline.store.session() as s, s.begin(), pytest.raises(StatementError, match="timezone-aware"):
        s.execute(update(ReportRow).values(received_at=datetime(2026, 12, 31, 23, 30)))


def test_accounts_are_refused_with_a_reason_in_chinese(pipeline: TriagePipeline) -> None:
    from agent.store.keys import ApiKeys
    from agent.store.users import Users
    from core.messages import Refusal

    users = Users(pipeline.store)
    users.create("li", "supervisor", "a-long-password")
    for args, code, words in ((("li", "supervisor", "a-long-password"), "user.exists", "已有名为「li」的用户"),
                              (("wang wu", "operator", "a-long-password"), "user.bad_name", "用户名「wang wu」无效"),
                              (("wang", "boss", "a-long-password"), "user.unknown_role", "没有「boss」这个角色"),
                              (("wang", "operator", "short"), "user.short_password", "密码至少要")):
        with pytest.raises(Refusal) as caught:
            users.create(*args)
        assert caught.value.code == code
        assert words in str(caught.value)
    with pytest.raises(Refusal, match="没有「boss」这个角色"):
        ApiKeys(pipeline.store).create("boss", "x")


def test_an_older_database_loses_the_personal_values_it_kept(pipeline: TriagePipeline, tmp_path: Path) -> None:
    """Databases from before migration 0010 kept what masking found, values included; opening one
    keeps the kinds and drops the values."""
    pipeline.triage(ReportIn(text="我的电话13812345678，楼下烧烤油烟太大"))
    store = pipeline.store
    _downgrade(store, "0009")
    with store.engine.begin() as conn:
        conn.execute(text("""UPDATE reports SET personal_data = '[{"kind": "phone", "value": "13812345678"}]'"""))
    again = CaseStore.open(store.engine.url.render_as_string(hide_password=False))
    try:
        with again.session() as s:
            stored = s.execute(text("SELECT CAST(personal_data AS TEXT) FROM reports")).scalar_one()
            assert json.loads(stored) == [{"kind": "phone"}]
        assert again.revision() == head_revision()
    finally:
        again.close()


def test_an_older_database_keeps_its_cases_in_the_new_lifecycle(pipeline: TriagePipeline) -> None:
    """Before migration 0012 a disposal waiting for verification was `resolved`: it is `disposed` now,
    and going back down turns the new states into the nearest old ones."""
    case_id = pipeline.triage(ReportIn(text="楼下烧烤油烟太大")).case_id
    store = pipeline.store
    _downgrade(store, "0011")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE cases SET status = 'resolved' WHERE id = :id"), {"id": case_id})
    again = CaseStore.open(store.engine.url.render_as_string(hide_password=False))
    try:
        assert again.case(case_id).status == "disposed"  # type: ignore[union-attr]
        with again.engine.begin() as conn:
            conn.execute(text("UPDATE cases SET status = 'reopened' WHERE id = :id"), {"id": case_id})
        _downgrade(again, "0011")
        with again.engine.begin() as conn:
            assert conn.execute(text("SELECT status FROM cases WHERE id = :id"), {"id": case_id}).scalar() == "handling"
    finally:
        again.close()


def _downgrade(store: CaseStore, revision: str) -> None:
    """The schema as it was at `revision` (Alembic's own downgrades), data kept."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", store.url)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
