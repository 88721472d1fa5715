"""The city's mode, and the reference lists clients need: departments and categories."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ModeSwitcher, Reader, ServiceDep
from api.responses import UNPROCESSABLE, CategoryPublic, DepartmentPublic, ModePublic, ModeSwitchedPublic
from api.schemas import ModeSwitch

router = APIRouter(prefix="/v1", tags=["city"])


@router.get("/mode")
def get_mode(client: Reader, service: ServiceDep) -> ModePublic:
    return service.mode()


@router.put("/mode", responses=UNPROCESSABLE)
def switch_mode(body: ModeSwitch, client: ModeSwitcher, service: ServiceDep) -> ModeSwitchedPublic:
    """Switch 平时/节假日/重大活动/应急 for the whole city, or with `grid_id` for one grid or exclusive
    grid: a new case's deadlines and auto-dispatch threshold follow the most urgent mode covering its
    point (the city's, its grid's, that grid's parents' and, on a border, the neighbouring grids')."""
    return service.set_mode(body.mode, client.actor, body.reason, body.grid_id)


@router.get("/departments")
def departments(client: Reader, service: ServiceDep) -> list[DepartmentPublic]:
    kb = service.pipeline.models.kb
    return [DepartmentPublic(id=d.id, name=d.name, level=d.level) for d in kb.departments.values()]


@router.get("/categories")
def categories(client: Reader, service: ServiceDep) -> list[CategoryPublic]:
    kb = service.pipeline.models.kb
    return [CategoryPublic(id=leaf.id, name=leaf.name, parent=leaf.id.split(".")[0]) for leaf in kb.leaves.values()]
