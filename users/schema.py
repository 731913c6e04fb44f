"""OpenAPI description of our JWT authentication (imported in UsersConfig.ready)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "users.authentication.JWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer", bearer_format="JWT"
        )

    def get_security_requirement(self, auto_schema: Any) -> dict[str, list[str]]:
        return {self.name: []}  # AllowAny views add the anonymous alternative themselves
