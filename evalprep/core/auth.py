"""The signed-in user and their role assignments read together, once per request.

Django's ModelBackend reads the user, then evalprep.core.scoping.scope_for reads
their role assignments: two queries on every page. This backend reads both in
one (the assignments with their user), and leaves the assignments on the user
for scope_for. Someone with no role yet is read on their own, as before. Both
are kept in the shared cache until either changes (evalprep.core.usercache).
"""

from django.contrib.auth.backends import ModelBackend

from evalprep.core.models import RoleAssignment
from evalprep.core.usercache import user_cached


class ScopedModelBackend(ModelBackend):
    def get_user(self, user_id):
        user = user_cached(user_id, self._user_read)
        return user if user is not None and self.user_can_authenticate(user) else None

    def _user_read(self, user_id):
        assignments = tuple(RoleAssignment.objects.filter(user_id=user_id).select_related("user"))
        if not assignments:
            user = super().get_user(user_id)
            if user is not None:
                user._evalprep_assignments = ()
            return user
        user = assignments[0].user
        for assignment in assignments:
            assignment.user = user
        user._evalprep_assignments = assignments
        return user
