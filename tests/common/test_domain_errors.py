"""Domain errors (common/errors.py) raised below the views render exactly as the DRF exceptions they replaced: same
status, body (detail, field lists, errors[{attr, code, detail}]) and headers (Retry-After, WWW-Authenticate)."""

import pytest
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from common import errors

factory = APIRequestFactory()


def _raising(exc: Exception, *, authenticated_view: bool = True):
    class Raising(APIView):
        permission_classes = [AllowAny]
        if not authenticated_view:
            authentication_classes = []

        def get(self, request):
            raise exc

    return Raising.as_view()(factory.get("/x/"))


PAIRS = [
    (errors.NotFound(), exceptions.NotFound()),
    (errors.NotFound("No such module."), exceptions.NotFound("No such module.")),
    (errors.Conflict("Busy.", code="agent_in_use"), exceptions.APIException("Busy.", "agent_in_use")),
    (errors.RateLimited("Too many.", wait=2.5), exceptions.Throttled(wait=2.5, detail="Too many.")),
    (errors.Unavailable("Down.", wait=5), exceptions.APIException("Down.", "service_unavailable")),
    (
        errors.Invalid(fields={"code": ["Code may not be empty."]}),
        exceptions.ValidationError({"code": ["Code may not be empty."]}),
    ),
    (
        errors.Invalid(fields={"password": ["Too short."]}, code="password_invalid"),
        exceptions.ValidationError({"password": ["Too short."]}, code="password_invalid"),
    ),
    (
        errors.Unauthenticated("Token is invalid or expired.", code="token_not_valid"),
        exceptions.AuthenticationFailed("Token is invalid or expired.", code="token_not_valid"),
    ),
]


@pytest.mark.parametrize(("domain", "drf"), PAIRS, ids=[type(d).__name__ + str(i) for i, (d, _) in enumerate(PAIRS)])
def test_a_domain_error_renders_like_the_drf_exception_it_replaced(domain, drf):
    got = _raising(domain)
    if domain.status_code in (409, 503):  # DRF has no class for these: the status is the domain error's
        drf.status_code = domain.status_code
    if isinstance(domain, errors.Unavailable):
        drf.wait = 5
    want = _raising(drf)
    assert got.status_code == want.status_code == domain.status_code
    assert got.data == want.data
    assert got.get("Retry-After") == want.get("Retry-After")
    assert got.get("WWW-Authenticate") == want.get("WWW-Authenticate")


def test_retry_after_and_the_throttle_sentence_come_from_wait():
    response = _raising(errors.RateLimited("Too many code runs; slow down.", wait=2.5))
    assert response.status_code == 429
    assert response["Retry-After"] == "3"
    assert response.data["detail"] == "Too many code runs; slow down. Expected available in 3 seconds."
    assert response.data["errors"] == [{"attr": None, "code": "throttled", "detail": response.data["detail"]}]


def test_unauthenticated_is_403_where_the_view_has_no_authenticator_as_drf_does():
    assert _raising(errors.Unauthenticated(), authenticated_view=False).status_code == 403
    response = _raising(errors.Unauthenticated())
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
