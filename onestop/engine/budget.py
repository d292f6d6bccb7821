"""How much work one advance of a process may do, read from the settings.

``ONESTOP_MAX_INSTANCES`` bounds the instances of one multi-instance element (its cardinality or the
length of its collection), checked at upload for literal cardinalities and at run time for all;
``ONESTOP_MAX_STEPS`` bounds the engine steps (scripts, gateways, events) one advance runs before the
process waits again. SpiffWorkflow alone has no such bound: a loop without a waiting step runs until
its task tree is 1000 levels deep and then stops silently.
"""
from django.conf import settings
from django.utils.translation import gettext as _

from .errors import InstanceLimitExceeded

DEFAULT_MAX_INSTANCES = 100
DEFAULT_MAX_STEPS = 2000


def max_instances() -> int:
    return int(getattr(settings, "ONESTOP_MAX_INSTANCES", DEFAULT_MAX_INSTANCES))


def max_steps() -> int:
    return int(getattr(settings, "ONESTOP_MAX_STEPS", DEFAULT_MAX_STEPS))


def check_instances(spec, count) -> None:
    """Refuse ``count`` instances of the multi-instance element ``spec`` beyond the limit."""
    limit = max_instances()
    if isinstance(count, bool) or not isinstance(count, int):
        return  # SpiffWorkflow reports a cardinality that is not a number itself
    if count > limit:
        name = spec.bpmn_name or spec.bpmn_id or spec.name
        raise InstanceLimitExceeded(
            _("“%(step)s” asks for %(count)d instances; at most %(limit)d are allowed (ONESTOP_MAX_INSTANCES).")
            % {"step": name, "count": count, "limit": limit},
            element_id=spec.bpmn_id or "", element_name=spec.bpmn_name or "",
        )
