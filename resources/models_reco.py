"""Versioned recommender artefacts (issue 6): one row per trained model, the current one serves requests."""

from django.db import models

__all__ = ["RecommenderModel", "RecommenderStatus"]


class RecommenderStatus(models.TextChoices):
    PROMOTED = "promoted", "Promoted (may be current)"
    REJECTED = "rejected", "Rejected by the promotion gate"


class RecommenderModel(models.Model):
    """A trained collaborative model: its `.npz` artefact, the metrics of its time-based holdout evaluation and
    whether it passed the promotion gate. At most one row is current; the web processes load it once and reload
    when the current id changes."""

    algorithm = models.CharField(max_length=20)  # "als" | "itemknn" | "ease" | "blend" (ALS + EASE [+ sequence])
    status = models.CharField(max_length=10, choices=RecommenderStatus.choices)
    is_current = models.BooleanField(default=False)
    data_signature = models.CharField(max_length=100, db_index=True, help_text="Interactions the model saw.")
    metrics = models.JSONField(default=dict, blank=True)
    artifact = models.BinaryField(help_text="numpy .npz (no pickle) of the model.")
    n_users = models.PositiveIntegerField(default=0)
    n_items = models.PositiveIntegerField(default=0)
    n_interactions = models.PositiveIntegerField(default=0)
    fit_seconds = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "recommender_models"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=models.Q(is_current=True), name="reco_one_current"
            ),
            models.CheckConstraint(condition=models.Q(status__in=RecommenderStatus.values), name="reco_status_valid"),
        ]

    def __str__(self) -> str:
        return f"Recommender v{self.pk} ({self.algorithm}, {self.status})"
