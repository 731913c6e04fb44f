from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "resources"
    verbose_name = "Resources"

    def ready(self) -> None:
        # Every process registers the Celery tasks the job engine dispatches by name (common.jobs.dispatch).
        import resources.recommend.tasks
        import resources.tasks  # noqa: F401
        from common.history import register_history_provider
        from common.seeding import Seeder, register_seeder
        from resources import history, hybrid, services

        register_seeder(Seeder(name="resources", order=20, run=services.seed_resources, size=services.seed_size))
        register_history_provider("resource_interactions", history.interaction_history)
        hybrid.register()  # the `resources` corpus of the shared retrieval engine (common.retrieval)
