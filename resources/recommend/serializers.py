from django.conf import settings
from rest_framework import serializers

from resources.serializers import ResourceOutputSerializer


class RecommendationQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=settings.RECO_CACHE_SIZE, default=settings.PAGINATION_DEFAULT_LIMIT
    )


class ResourceRecommendationOutputSerializer(ResourceOutputSerializer):
    score = serializers.FloatField(help_text="Hybrid score (z-normalised blend plus preference boosts).")
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why it is recommended.")
