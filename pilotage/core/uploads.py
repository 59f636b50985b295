"""A back-office spreadsheet upload: check the file first, then import what was checked.

"Check" runs the import as a dry run and shows its report (created, changed with before
and after, left alone, or every problem) with nothing written; the checked file is kept
in the session, so "Import the checked file" needs no second upload. "Import" checks and
writes at once, all or nothing. The view that calls `upload_run` checks who may import
before it does; the import service checks again.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilotage.core.datafiles import DataError, DataFileError

SESSION_KEY = "pilotage-checked-upload"
# The largest spreadsheet an upload page takes (the back-office imports, and the campaign
# upload whose form extends UploadForm); the setting PILOTAGE_UPLOAD_MAX_BYTES overrides
# it. A bigger file is refused by its size, before it is read into memory; the command
# line imports any size.
UPLOAD_MAX_BYTES = 10 * 1024 * 1024


def upload_max_bytes() -> int:
    return getattr(settings, "PILOTAGE_UPLOAD_MAX_BYTES", UPLOAD_MAX_BYTES)


# A checked file bigger than this is not kept: it is uploaded again to be imported.
KEEP_AT_MOST = 4 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"), required=False)

    def clean_file(self):
        """A file over the limit is refused by its size, before its content is read."""
        upload = self.cleaned_data.get("file")
        limit = upload_max_bytes()
        if upload is not None and upload.size > limit:
            raise forms.ValidationError(
                _(
                    "%(name)s is %(size)s: at most %(limit)s can be uploaded here. Split "
                    "the file, or import it from the command line."
                )
                % {
                    "name": upload.name,
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(limit),
                },
                code="too_big",
            )
        return upload


@dataclass
class UploadResult:
    """What the page shows: the report of a check or an import, or the problems."""

    report: object | None = None
    problems: list[DataError] = field(default_factory=list)
    checked: str = ""  # the token of the checked file kept for its import
    done: bool = False  # imported: the view redirects with a message

    def context(self) -> dict:
        report = self.report
        # Templates read the report's parts: ImportReport["rows"] would count rows "rows".
        return {
            "report": report,
            "report_file": report.file if report else "",
            "report_counts": report.counts if report else {},
            "report_notes": report.notes if report else [],
            "report_rows": report.rows if report else [],
            "problems": self.problems,
            "checked": self.checked,
            "can_check": True,
        }


def upload_run(request, form: forms.Form, *, kind: str, run: Callable) -> UploadResult:
    """Check or import the uploaded (or kept) file with `run(name=, content=, dry_run=,
    **the form's other fields)`, which returns a report or raises DataFileError."""
    result = UploadResult()
    if request.method != "POST":
        return result
    if token := request.POST.get("import_checked"):
        kept = request.session.get(SESSION_KEY) or {}
        if kept.get("kind") != kind or kept.get("token") != token:
            result.problems = [
                DataError("", "", _("The checked file is no longer kept: upload it again."))
            ]
            return result
        name, content, options = kept["name"], base64.b64decode(kept["content"]), kept["options"]
        dry_run = False
    elif form.is_valid():
        upload = form.cleaned_data.get("file")
        if upload is None:
            form.add_error("file", _("Choose a file to check or import."))
            return result
        name, content = upload.name, upload.read()
        options = {key: value for key, value in form.cleaned_data.items() if key != "file"}
        dry_run = "check" in request.POST or bool(options.pop("dry_run", False))
    else:
        return result
    try:
        result.report = run(name=name, content=content, dry_run=dry_run, **options)
    except DataFileError as error:
        result.problems = error.errors
        return result
    if not dry_run:
        request.session.pop(SESSION_KEY, None)
        result.done = True
    elif len(content) <= KEEP_AT_MOST:
        result.checked = secrets.token_urlsafe(16)
        request.session[SESSION_KEY] = {
            "kind": kind,
            "token": result.checked,
            "name": name,
            "content": base64.b64encode(content).decode(),
            "options": options,
        }
    return result


def imported_message(report) -> str:
    return _(
        "%(file)s imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged."
    ) % {"file": report.file, **report.counts}


class ImportAdminMixin:
    """A model admin's page that checks, then imports, a spreadsheet; its change list
    links to it for whoever `can_import` lets in (checked again on the page, and by the
    import service). An admin sets the kind, title and template, and `import_file`."""

    import_form: type[forms.Form] = UploadForm
    import_kind = ""
    import_title = ""
    import_template = "admin/upload.html"
    change_list_template = "admin/import_change_list.html"

    def can_import(self, user) -> bool:
        raise NotImplementedError

    def import_file(self, request, **file):
        """Run the app's import service on the file: returns its report."""
        raise NotImplementedError

    def _import_url_name(self) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_import"

    def get_urls(self):
        from django.urls import path

        page = path(
            "import/",
            self.admin_site.admin_view(self.import_view),
            name=self._import_url_name(),
        )
        return [page, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        from django.urls import reverse

        extra = {
            "can_import": self.can_import(request.user),
            "import_url": reverse(f"admin:{self._import_url_name()}"),
            "import_title": self.import_title,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)

    def import_view(self, request):
        from django.core.exceptions import PermissionDenied
        from django.shortcuts import redirect
        from django.template.response import TemplateResponse

        if not self.can_import(request.user):
            raise PermissionDenied
        form = self.import_form(request.POST or None, request.FILES or None)
        result = upload_run(
            request,
            form,
            kind=self.import_kind,
            run=lambda **file: self.import_file(request, **file),
        )
        opts = self.model._meta
        if result.done:
            self.message_user(request, imported_message(result.report))
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": self.import_title,
            "form": form,
            "opts": opts,
            **result.context(),
        }
        return TemplateResponse(request, self.import_template, context)
