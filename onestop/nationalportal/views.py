"""The staff page of the outbox: what waits for the National Public Service Portal, what failed and why,
and a button to send again. Admins only, like the rest of the administration."""
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from . import selectors, services
from .models import OutboxMessage


@staff_member_required
@require_safe
def outbox(request):
    state = request.GET.get("state") or "unsent"
    if state == "unsent":
        listed = selectors.outbox().exclude(state=OutboxMessage.State.SENT)
    else:
        listed = selectors.outbox(state=state if state in OutboxMessage.State.values else "-")
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    return render(request, "nationalportal/outbox.html", {
        **admin.site.each_context(request),  # the admin's header, user menu and sidebar, in the page's language
        "title": _("Messages to the National Public Service Portal"), "page": page, "state": state,
        "counts": selectors.outbox_counts(), "link": services.active_link(),
        "states": [("unsent", _("Not sent")), *OutboxMessage.State.choices],
    })


@staff_member_required
@require_POST
def retry(request, pk):
    message = services.retry(get_object_or_404(OutboxMessage, pk=pk))
    if message.state == OutboxMessage.State.SENT:
        messages.info(request, _("Message %(n)s of %(code)s was already sent.")
                      % {"n": message.sequence, "code": message.dossier.code})
    else:
        messages.success(request, _("Message %(n)s of %(code)s will be sent again.")
                         % {"n": message.sequence, "code": message.dossier.code})
    return redirect(request.POST.get("next") or "nationalportal:outbox")
