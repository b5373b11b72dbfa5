"""Authentication backend: unconfirmed accounts may prove their password, nobody inactive
keeps a session.

``AllowAllUsersModelBackend`` authenticates inactive users so that sign-in can say
"confirm your e-mail address first" instead of "wrong password". Its ``get_user`` would
also keep an inactive user's existing session alive; ours drops it, as Django's default
backend does, so deactivating an account signs it out on its next request.
"""

from django.contrib.auth.backends import AllowAllUsersModelBackend


class AccountBackend(AllowAllUsersModelBackend):
    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None
