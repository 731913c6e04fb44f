from drf_spectacular.generators import SchemaGenerator


def test_every_throttled_operation_documents_429_with_retry_after():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [(path, method, op) for path, methods in schema["paths"].items() for method, op in methods.items()]
    undocumented = [
        (path, method) for path, method, op in operations if "429" not in op["responses"] and "/health/" not in path
    ]
    assert undocumented == []
    login = schema["paths"]["/api/auth/login/"]["post"]["responses"]["429"]
    assert login["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOutput"}
    assert login["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}
    # Unthrottled probes say nothing of 429.
    assert "429" not in schema["paths"]["/api/health/live/"]["get"]["responses"]
