"""Log in and out: one page for citizens and officials alike (each then finds their own menu)."""
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.utils.translation import gettext as _

from .security import client_address


class LoginView(auth_views.LoginView):
    """django-axes locks one username from one address after a few wrong passwords; this page also counts the
    wrong passwords of one address across usernames (``ONESTOP_LOGIN_ADDRESS_FAILURES`` a quarter of an hour),
    against password spraying: one common password tried on many accounts."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True
    http_method_names = ["get", "head", "post"]  # Django's form views take PUT like POST
    window = 15 * 60

    def _key(self):
        return f"web.login-failures.{client_address(self.request) or 'unknown'}"

    def post(self, request, *args, **kwargs):
        if cache.get(self._key(), 0) >= settings.ONESTOP_LOGIN_ADDRESS_FAILURES:
            form = self.get_form()
            form._errors = ErrorDict({NON_FIELD_ERRORS: form.error_class(
                [_("Too many failed logins from your network. Try again in a quarter of an hour.")],
                error_class="nonfield")})
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            response["Retry-After"] = str(self.window)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if not cache.add(self._key(), 1, timeout=self.window):
            try:
                cache.incr(self._key())
            except ValueError:  # expired in between
                cache.add(self._key(), 1, timeout=self.window)
        return super().form_invalid(form)
