"""Limits on submissions, shared by the API and the citizen's portal."""
import math

from django.conf import settings
from django.utils.translation import ngettext
from rest_framework.throttling import UserRateThrottle

# ONESTOP_SUBMIT_RATE (default 20 an hour), API and portal together. A citizen rarely files more than a few
# dossiers a day; a script filing hundreds floods every desk's queue. The count is DRF's (its cache, one bucket
# per user): the API's create and the portal's final "Submit" both ask ``SubmissionThrottle``, and count only
# the dossiers that were received (``record``): a submission refused for its form is not one.


class SubmissionThrottle(UserRateThrottle):
    scope = "submit"

    def __init__(self):
        self.key = None  # the rate is read by ``allow_request``, not here

    def get_rate(self):
        return getattr(settings, "ONESTOP_SUBMIT_RATE", "20/hour")

    def allow_request(self, request, view):
        """Whether one more dossier may be received now; counts nothing (``record`` does, once received)."""
        # The rate is parsed here rather than once per class, so that a changed setting applies at once.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request, view)
        if self.rate is None or self.key is None:
            return True
        self.now = self.timer()
        self.history = [at for at in self.cache.get(self.key, []) if at > self.now - self.duration]
        return len(self.history) < self.num_requests

    def record(self, request):
        """Count a dossier received from ``request``'s user (the throttle that let it in, or a new one)."""
        if self.key is None or self.rate is None:
            self.allow_request(request, None)  # reads the rate, the user's key and the recent history
            if self.rate is None or self.key is None:
                return
        else:  # read again: others may have been received meanwhile
            self.now = self.timer()
            self.history = [at for at in self.cache.get(self.key, []) if at > self.now - self.duration]
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


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

