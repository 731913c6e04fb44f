from django.apps import AppConfig


class RoadmapsConfig(AppConfig):
    name = "roadmaps"
    verbose_name = "Roadmaps"

    def ready(self) -> None:
        from common.history import register_history_provider
        from roadmaps import corpus, history

        register_history_provider("roadmaps", history.roadmap_history)
        corpus.register()
