"""The password reset, limited, and with its mail sent after the answer."""

import logging

from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import render

from accounts.resets import count_reset_request
from ketasite.middleware import wait_text

logger = logging.getLogger("ketasite.accounts")


class RedirectThenRun(HttpResponseRedirect):
    """A redirect that runs `work` once it has been sent.

    WSGI and ASGI servers (and Django's test client) call `close()` after the last byte of
    the response, so the client has its answer before the work starts, and how long the work
    takes cannot be seen in the answer.
    """

    def __init__(self, redirect_to, *, work):
        super().__init__(redirect_to)
        self.work = work

    def close(self):
        work, self.work = self.work, None
        try:
            if work is not None:
                work()
        except Exception:
            # The answer is gone; all that is left to do with a failure is to report it.
            logger.exception("Work after the response failed")
        finally:
            super().close()


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, answering the same, equally fast, for every address.

    The request only counts itself (`accounts.resets`) and redirects; looking the address up
    and sending the mail happen after the answer is sent. A client over its limit gets a 429
    page; an address over its limit gets the usual answer and no mail, so the answer never
    says whether an address is known.
    """

    def form_valid(self, form):
        allowance = count_reset_request(self.request, email=form.cleaned_data["email"])
        if allowance.client_refused:
            response = render(
                self.request, "registration/password_reset_throttled.html",
                {"wait_text": wait_text(allowance.retry_after)}, status=429,
            )
            response["Retry-After"] = str(allowance.retry_after)
            return response
        if not allowance.may_send:
            return HttpResponseRedirect(self.get_success_url())
        options = {
            "use_https": self.request.is_secure(),
            "token_generator": self.token_generator,
            "from_email": self.from_email,
            "email_template_name": self.email_template_name,
            "subject_template_name": self.subject_template_name,
            "request": self.request,
            "html_email_template_name": self.html_email_template_name,
            "extra_email_context": self.extra_email_context,
        }
        return RedirectThenRun(self.get_success_url(), work=lambda: form.save(**options))
