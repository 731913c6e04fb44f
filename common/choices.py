"""Enumerations shared by several apps (users' preferences, resources, roadmaps), so none has to import another."""

from django.db import models


class Difficulty(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


class LearningStyle(models.TextChoices):
    VISUAL = "visual", "Visual"
    AUDITORY = "auditory", "Auditory"
    KINESTHETIC = "kinesthetic", "Kinesthetic"
    READING = "reading", "Reading"


class MediaType(models.TextChoices):
    VIDEO = "video", "Video"
    ARTICLE = "article", "Article"
    COURSE = "course", "Course"
    BOOK = "book", "Book"
    PODCAST = "podcast", "Podcast"
    TUTORIAL = "tutorial", "Tutorial"
    DOCUMENTATION = "documentation", "Documentation"
    INTERACTIVE = "interactive", "Interactive"
