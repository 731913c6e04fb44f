"""Hybrid recommendations (issue 6): collaborative (ALS or item-kNN) + content (TF-IDF) + popularity prior.

`engine` is pure numpy/scipy (used by the service layer and the benchmark); `services`/`selectors` are the Django
side; `tasks` retrain on the Celery queue "reco"; `views` serve `GET /api/resources/recommendations/{user_id}/`.
"""
