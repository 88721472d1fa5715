"""Prompt templates are data: a YAML file declares its variables, a system message, a user template
and one worked example. Loading checks that the templates use exactly the declared variables;
rendering checks that every variable was given, and names the one that is missing."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import yaml
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PROMPTS_DIR = Path(__file__).resolve().parent


class PromptError(ValueError):
    """A prompt file that cannot be used, or a render call missing a variable."""


class WorkedExample(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    variables: dict[str, str]
    output: dict[str, Any]


class PromptSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: int = Field(ge=1)
    description: str = ""
    variables: dict[str, str] = Field(min_length=1)
    system: str
    user: str
    example: WorkedExample

    def render(self, **values: str) -> list[BaseMessage]:
        """System message, the worked example as a user/assistant pair, then this report. The fixed
        part comes first so a local model can keep it evaluated between calls."""
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise PromptError(f"prompt {self.id!r} needs the variable(s) {', '.join(missing)}; "
                              f"it declares {', '.join(self.variables)}")
        unknown = sorted(set(values) - set(self.variables))
        if unknown:
            raise PromptError(f"prompt {self.id!r} does not declare the variable(s) {', '.join(unknown)}")
        return [
            SystemMessage(self.system.strip()),
            HumanMessage(self.user.strip().format(**self.example.variables)),
            AIMessage(json.dumps(self.example.output, ensure_ascii=False, separators=(",", ":"))),
            HumanMessage(self.user.strip().format(**values)),
        ]


def template_fields(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise PromptError(f"malformed template ({exc}); write a literal brace as {{{{ or }}}}") from exc


def load_prompt(name_or_path: str | Path) -> PromptSpec:
    """Load `prompts/<name>.yaml`, or a file given by path, and check its variables."""
    path = Path(name_or_path)
    if path.suffix not in {".yaml", ".yml"}:
        path = PROMPTS_DIR / f"{name_or_path}.yaml"
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except OSError as exc:
        raise PromptError(f"cannot read prompt file {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise PromptError(f"prompt file {path} is not valid YAML: {exc}") from exc
    try:
        spec = PromptSpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise PromptError(f"prompt file {path}: {problems}") from exc
    if template_fields(spec.system):
        raise PromptError(f"prompt file {path}: the system message must not use variables "
                          f"({', '.join(sorted(template_fields(spec.system)))}); put them in `user`")
    used = template_fields(spec.user)
    undeclared = sorted(used - set(spec.variables))
    if undeclared:
        raise PromptError(f"prompt file {path}: `user` uses {', '.join(undeclared)} "
                          "but `variables` does not declare it; add it to `variables`")
    unused = sorted(set(spec.variables) - used)
    if unused:
        raise PromptError(f"prompt file {path}: the variable(s) {', '.join(unused)} are declared but "
                          "never used in `user`")
    example_missing = sorted(set(spec.variables) - set(spec.example.variables))
    if example_missing:
        raise PromptError(f"prompt file {path}: the worked example lacks the variable(s) "
                          f"{', '.join(example_missing)}")
    return spec
