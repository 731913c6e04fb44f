from django.db import models


class BaseModel(models.Model):
    """Abstract base for every table: creation and update timestamps, both in UTC."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
