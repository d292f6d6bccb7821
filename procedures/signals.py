"""Forget which agencies each published version can be routed from when the agency tree or a routing role
changes (``selectors.unroutable_agency_ids`` recomputes it on the next read)."""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from onestop.organisation.models import Agency, RoutingRole

from .selectors import forget_routing


@receiver([post_save, post_delete], sender=Agency)
@receiver([post_save, post_delete], sender=RoutingRole)
def _routing_changed(sender, **kwargs):
    forget_routing()
