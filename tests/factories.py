"""Factories shared by every app's tests."""

import factory
from django.contrib.auth.hashers import make_password

from users.models import User, UserPreferences

PASSWORD = "Str0ng-Passw0rd!"
# Argon2 costs ~0.15 s a hash: hash the shared test password once, not once per user.
_PASSWORD_HASH = make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    password = _PASSWORD_HASH

    @factory.post_generation
    def with_preferences(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            UserPreferences.objects.get_or_create(user=obj)


class StaffFactory(UserFactory):
    is_staff = True
    username = factory.Sequence(lambda n: f"staff{n}")
