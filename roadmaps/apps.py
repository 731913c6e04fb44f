from django.apps import AppConfig


class RoadmapsConfig(AppConfig):
    name = "roadmaps"
    verbose_name = "Roadmaps"

    def ready(self) -> None:
        # Every process registers the Celery tasks the job engine dispatches by name (common.jobs.dispatch).
        import roadmaps.tasks  # noqa: F401
        from common.history import register_history_provider
        from resources.recommend import context as recommender_context
        from roadmaps import corpus, history, selectors

        register_history_provider("roadmaps", history.roadmap_history)
        corpus.register()
        # The recommender reads the learner's roadmaps through these (resources sits below roadmaps: it cannot
        # import them itself).
        recommender_context.register_roadmap_source(
            recommender_context.RoadmapSource(
                stamp_subqueries=selectors.roadmaps_stamp_subqueries,
                learner_roadmaps=selectors.learner_roadmaps,
                topic_interests=selectors.topic_interests,
            )
        )
