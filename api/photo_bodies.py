"""Request bodies that may carry photos: JSON, or `multipart/form-data` with the same fields plus
`photos` files. Both are validated against one model, and a field that does not fit is answered
like FastAPI's own body errors (422 with the field's place)."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from core.photo_types import PhotoIn

Body = TypeVar("Body", bound=BaseModel)


async def read_with_photos(request: Request, model: type[Body], max_files: int) -> tuple[Body, tuple[PhotoIn, ...]]:
    """The body as `model` and its photos (none for JSON). `max_files` bounds how many files the
    form parser accepts at all; the caller says how many photos it takes."""
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("multipart/form-data"):
            fields: dict[str, Any] = {}
            photos: list[PhotoIn] = []
            async with request.form(max_files=max_files) as form:  # closes the spooled upload files
                for name, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        if name != "photos":
                            raise invalid(name, "files go in the `photos` field")
                        photos.append(PhotoIn(data=await value.read(), filename=value.filename))
                    elif name == "photos":
                        raise invalid(name, "`photos` must be files, not text")
                    elif value != "":
                        fields[name] = value
            return model.model_validate(fields), tuple(photos)
        if content_type and not content_type.startswith("application/json"):
            raise invalid("content-type", f"send application/json or multipart/form-data, not {content_type}")
        try:
            data = await request.json()
        except ValueError as exc:
            raise invalid("body", f"not valid JSON ({exc})") from exc
        except RecursionError as exc:  # the parser's own limit on nesting; these bodies are flat
            raise invalid("body", "JSON nested too deep: send one flat object of fields") from exc
        return model.model_validate(data), ()
    except ValidationError as exc:  # located like FastAPI's own body errors
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from exc


def invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("body", field), "msg": message, "input": None}])
