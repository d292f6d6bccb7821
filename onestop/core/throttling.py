"""Limits on submissions, shared by the API and the citizen's portal."""
import math

from django.conf import settings
from django.utils.translation import ngettext
from rest_framework.throttling import UserRateThrottle

# ONESTOP_SUBMIT_RATE (default 20 an hour), API and portal together. A citizen rarely files more than a few
# dossiers a day; a script filing hundreds floods every desk's queue. The count is DRF's (its cache, one bucket
# per user): the API's create and the portal's final "Submit" both ask ``SubmissionThrottle``.


class SubmissionThrottle(UserRateThrottle):
    scope = "submit"

    def get_rate(self):
        return getattr(settings, "ONESTOP_SUBMIT_RATE", "20/hour")

    def allow_request(self, request, view):
        # The rate is parsed here rather than once per class, so that a changed setting applies at once.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


def submission_refused(wait_seconds):
    """The message a citizen sees: how many dossiers, and when they can submit again."""
    minutes = max(1, math.ceil((wait_seconds or 60) / 60))
    return ngettext(
        "You have submitted many dossiers in a short time. You can submit again in %(minutes)d minute.",
        "You have submitted many dossiers in a short time. You can submit again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def check_submission(request):
    """For views outside DRF: ``None`` when this submission may go ahead, else the message to show."""
    throttle = SubmissionThrottle()
    if throttle.allow_request(request, None):
        return None
    return submission_refused(throttle.wait())

