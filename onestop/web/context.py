"""What every page needs to know about its user: which parts of the site they work in.

A citizen (no membership) gets the portal; an official the desk and/or the queue of their agencies,
depending on their roles; a leader also the dashboard; staff the admin. Menu entries whose pages are
not installed are left out, so an app can be removed without breaking the layout.
"""
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _


def roles_of(user):
    """The set of roles ``user`` holds: citizen, receiver, specialist, leader, admin."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_onestop_roles", None)
    if cached is None:
        from onestop.organisation import access

        cached = {role for _agency, role in access.held_pairs(user)}
        if not cached and not user.is_staff:
            cached.add("citizen")
        if user.is_staff:
            cached.add("admin")
        user._onestop_roles = cached
    return cached


# (url name, label, roles that see it; None: everybody)
MENU = [
    ("portal:catalogue", _("Procedures"), None),
    ("portal:my-dossiers", _("My dossiers"), {"citizen"}),
    ("portal:lookup", _("Look up a dossier"), None),
    ("workspace:desk", _("One-stop desk"), {"receiver"}),
    ("workspace:queue", _("Task queue"), {"receiver", "specialist", "leader"}),
    ("reports:dashboard", _("Dashboard"), {"leader", "admin"}),
    ("reports:register", _("Dossier register"), {"receiver", "leader", "admin"}),
    ("workspace:incidents", _("Incidents"), {"receiver", "specialist", "leader", "admin"}),
    ("admin:index", _("Administration"), {"admin"}),
]


def _menu(request):
    roles = roles_of(request.user)
    entries = []
    for name, label, allowed in MENU:
        if allowed is not None and not (roles & allowed):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        entries.append({"url": url, "label": label, "active": request.path.startswith(url) and url != "/"})
    return entries


def navigation(request):
    return {
        "menu": SimpleLazyObject(lambda: _menu(request)),
        "user_roles": SimpleLazyObject(lambda: roles_of(request.user)),
    }
