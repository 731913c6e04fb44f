from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as real_patterns

BODY = None


def bare_profile(request):
    """A bare Django view returning a JSON body the size and shape of a profile: the floor to compare with."""
    global BODY
    if BODY is None:
        from users.models import User
        from users.serializers import UserOutputSerializer

        BODY = dict(UserOutputSerializer(User.objects.get(username="bench")).data)
    return JsonResponse(BODY)


urlpatterns = [path("bench/bare-profile/", bare_profile), *real_patterns]
