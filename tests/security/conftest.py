import pytest


@pytest.fixture
def login(client):
    """Log a user in through the session (UserFactory does not save the password it sets: save first, so the
    session's auth hash matches the stored one)."""

    def _login(user):
        user.save()
        client.force_login(user)
        return client

    return _login
