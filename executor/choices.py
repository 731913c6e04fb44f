"""The code run's state (queued, running, finished): a value callers compare with, apart from the model."""

from django.db import models


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
