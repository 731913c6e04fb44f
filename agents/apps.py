from collections.abc import Callable

from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"

    def ready(self) -> None:
        from agents import services
        from common.jobs import job_listen
        from common.seeding import Seeder, register_seeder

        # Every committed job change refreshes the owning agent and pushes the WebSocket events.
        job_listen(services.on_job_changed)
        register_seeder(Seeder(name="agents", order=40, run=_seed_agents, size=lambda: 1))


def _seed_agents(advance: Callable[[int], None]) -> dict[str, int]:
    from agents.services import agents_ensure

    created = agents_ensure()
    advance(1)
    return {"created": created}
