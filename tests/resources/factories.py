import factory

from resources.models import Resource, ScrapeSource, UserResourceInteraction
from resources.scraping.normalize import canonical_url
from tests.factories import UserFactory


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    title = factory.Sequence(lambda n: f"Resource {n}")
    description = "A resource about things."
    url = factory.Sequence(lambda n: f"https://learn.example.com/resource-{n}")
    canonical_url = factory.LazyAttribute(lambda o: canonical_url(o.url))
    media_type = "article"
    difficulty = "beginner"
    duration_minutes = 30
    tags = factory.LazyFunction(list)
    prerequisites = factory.LazyFunction(list)
    learning_style = "reading"
    source = "Example Academy"
    origin = "manual"


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserResourceInteraction

    user = factory.SubFactory(UserFactory)
    resource = factory.SubFactory(ResourceFactory)
    interaction_type = "view"


class ScrapeSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScrapeSource

    url = factory.Sequence(lambda n: f"https://feeds.example.com/{n}.xml")
    kind = "rss"
    name = factory.Sequence(lambda n: f"Source {n}")
