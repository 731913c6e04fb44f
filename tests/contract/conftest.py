"""Shared by the contract tests: a small world of real objects the fuzzer's ids are pointed at, and the three
identities every operation is called as."""

from dataclasses import dataclass, field
from typing import Any

from agents.models import Agent, ChatMessage
from agents.services import agents_ensure
from common import jobs
from learning import services as learning_services
from resources.models import Resource
from roadmaps.models import Roadmap, RoadmapStatus, RoadmapStep
from tests.factories import StaffFactory, UserFactory
from tests.learning.factories import ExerciseTestCaseFactory, LearningPathFactory, ModuleFactory, QuestionFactory
from tests.resources.factories import ResourceFactory
from users.tokens import tokens_for_user

ROLES = ["anonymous", "user", "staff"]


@dataclass
class World:
    """Real ids by parameter name (path, query or body), and the acting identity's bearer header."""

    ids: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    role: str = "anonymous"
    examples: int = 0


def build_world(role: str) -> World:
    learning_services.seed_gamification({"created": 0, "updated": 0, "deleted": 0})
    owner = StaffFactory() if role == "staff" else UserFactory()
    path = LearningPathFactory()
    lesson = ModuleFactory(learning_path=path, module_type="lesson")
    exercise = ModuleFactory(learning_path=path, module_type="exercise", language="python")
    ExerciseTestCaseFactory(module=exercise, input="2\n3\n", expected_output="5\n")
    ExerciseTestCaseFactory(module=exercise, input="1\n1\n", expected_output="2\n", is_hidden=True)
    assessment = ModuleFactory(learning_path=path, module_type="assessment")
    question = QuestionFactory(quiz__module=assessment)
    resources = [ResourceFactory(tags=["python", "testing"]) for _ in range(3)]
    roadmap = Roadmap.objects.create(user=owner, title="Python roadmap", concept="python", duration_weeks=4,
                                     status=RoadmapStatus.DRAFT)  # fmt: skip
    step = RoadmapStep.objects.create(roadmap=roadmap, title="Basics", order_index=1)
    agents_ensure()
    chat_agent = Agent.objects.get(type="chat_assistant")
    chat = ChatMessage.objects.create(agent=chat_agent, user=owner, session_id="s1", message="hi", response="hello")
    task = jobs.job_create(kind="chat_reply", owner=owner, title="Answer a chat message")
    world = World(role=role)
    world.ids = {
        "path_id": path.pk, "learning_path": path.pk, "module_id": lesson.pk, "module": exercise.pk,
        "quiz_id": question.quiz_id, "quiz": question.quiz_id, "resource_id": resources[0].pk,
        "roadmap_id": roadmap.pk, "step_id": step.pk, "user_id": str(owner.pk),
        "agent_id": chat_agent.pk, "agent": chat_agent.pk, "message_id": chat.pk, "task_id": task.pk,
    }  # fmt: skip
    assert Resource.objects.count() >= 3
    if role != "anonymous":
        world.headers = {"Authorization": f"Bearer {tokens_for_user(user=owner)['access']}"}
    return world
