import shutil
from pathlib import Path

import pytest
import yaml

from core.settings import DEFAULT_KB
from knowledge.loader import check_kb, load_kb
from knowledge.reading import KBError

pytestmark = pytest.mark.unit


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(DEFAULT_KB, target)
    return target


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_bundled_knowledge_base_meets_the_issue_minimums() -> None:
    kb = load_kb(DEFAULT_KB)
    assert len(kb.departments) >= 28
    assert len(kb.clauses) >= 250
    assert len(kb.leaves) >= 80
    assert all(len(leaf.examples) >= 3 for leaf in kb.leaves.values())
    assert len(kb.streets) >= 60
    assert {m.id for m in kb.policy.modes} == {"normal", "holiday", "major-event", "emergency"}
    names = {d.name for d in kb.districts.values()}
    for zone in ("郑东新区", "航空港"):
        assert any(zone in n for n in names), zone
    visual = {leaf.name for leaf in kb.leaves.values() if leaf.visual}
    for scene in ("道路积水", "占道经营", "机动车违停", "水面漂浮物"):
        assert any(scene in n for n in visual), scene


def test_unknown_department_is_named_with_file_and_entry(kb_copy: Path) -> None:
    def change(data: dict) -> None:  # type: ignore[type-arg]
        data["categories"][0]["children"][0]["lead"] = ["no-such-department"]

    _edit(kb_copy / "taxonomy.yaml", change)
    problems = check_kb(kb_copy)
    taxonomy = yaml.safe_load((kb_copy / "taxonomy.yaml").read_text(encoding="utf-8"))
    leaf_id = taxonomy["categories"][0]["children"][0]["id"]
    assert any(p.file == "taxonomy.yaml" and p.entry == f"category {leaf_id}"
               and "unknown department 'no-such-department'" in p.problem for p in problems)


def test_schema_errors_name_the_field(kb_copy: Path) -> None:
    def change(data: dict) -> None:  # type: ignore[type-arg]
        data["departments"][1]["level"] = "province"
        del data["departments"][2]["duties"]

    _edit(kb_copy / "departments.yaml", change)
    problems = [str(p) for p in check_kb(kb_copy)]
    assert any("departments.yaml: departments" in p and "level" in p for p in problems)
    assert any("departments.yaml: departments" in p and "duties" in p for p in problems)


def test_duplicate_ids_bad_references_and_bad_yaml(kb_copy: Path) -> None:
    def dup(data: dict) -> None:  # type: ignore[type-arg]
        data["streets"][1]["id"] = data["streets"][0]["id"]
        data["roads"][0]["streets"] = ["nowhere.street"]

    _edit(kb_copy / "places.yaml", dup)
    (kb_copy / "policy.yaml").write_text("modes: [unclosed\n", encoding="utf-8")
    problems = [str(p) for p in check_kb(kb_copy)]
    assert any(p.startswith("places.yaml: place ") and "duplicate id" in p for p in problems)
    assert any("unknown street 'nowhere.street'" in p for p in problems)
    assert any(p.startswith("policy.yaml: (file): not valid YAML") for p in problems)


def test_missing_folder_and_file_raise_kb_error(kb_copy: Path) -> None:
    (kb_copy / "places.yaml").unlink()
    with pytest.raises(KBError, match=r"places.yaml: \(file\): missing"):
        load_kb(kb_copy)
    with pytest.raises(KBError, match="is not a directory"):
        load_kb(kb_copy / "nope")
