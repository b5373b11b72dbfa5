"""Linking an application to the signed-in account (the dashboard and the history, which
read the apps above this one, are in ``interviews/applicant_views.py``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.errors import ApplicationError
from common.shortcuts import refusal_status
from enrolment.forms import LinkApplicationForm
from enrolment.services import application_link


@require_http_methods(["GET", "POST"])
@login_required
def link_application(request):
    form = LinkApplicationForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        try:
            application = application_link(
                user=request.user,
                number=form.cleaned_data["number"],
                date_of_birth=form.cleaned_data["date_of_birth"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
            status = refusal_status(error)
        else:
            messages.success(
                request,
                _("Application %(number)s is now linked to your account.")
                % {"number": application.number},
            )
            return redirect("enrolment:dashboard")
    elif form.is_bound:
        status = 400
    return render(request, "enrolment/link.html", {"form": form}, status=status)
