"""The tutor's public types, shared by its retrieval, composition, conversation and LLM-grounding parts."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Source:
    """What an answer cites. Two sources are equal when they name the same object (type, id, title); the section
    and its deep link ride along for display."""

    type: str  # "module" | "resource"
    id: int | str
    title: str
    section: str = field(default="", compare=False)
    anchor: str = field(default="", compare=False)
    url: str = field(default="", compare=False)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "id": self.id, "title": self.title}
        if self.anchor:
            data.update(section=self.section, anchor=self.anchor)
        if self.url:
            data["url"] = self.url
        return data


@dataclass(frozen=True)
class Passage:
    source: Source
    text: str
    score: float


@dataclass(frozen=True)
class TutorProfile:
    level: int = 1
    learning_style: str = ""
    feedback_style: str = ""  # brief | detailed | encouraging ("concise" reads as brief)
    experience_level: str = ""


@dataclass(frozen=True)
class TutorAnswer:
    text: str
    sources: list[Source]
    confident: bool
    passages: list[Passage] = field(default_factory=list, compare=False)  # what the answer was built from
    sections: list["Section"] = field(default_factory=list, compare=False)  # the ranked sections (LLM grounding)


@dataclass(frozen=True)
class Section:
    """A retrieved lesson section with what the tutor needs to quote and cite it."""

    doc_id: str
    module_id: int
    module_title: str
    module_type: str
    path_id: int
    path_title: str
    path_slug: str
    anchor: str
    heading: str
    body: str
    url: str
    level: int
    position: int
    score: float
    semantic: float = 0.0

    @property
    def source(self) -> Source:
        return Source("module", self.module_id, self.module_title, self.heading, self.anchor, self.url)
