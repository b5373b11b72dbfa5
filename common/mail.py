"""E-mail in the recipient's language, text and HTML, rendered from templates.

One template prefix gives three templates: ``<prefix>_subject.txt`` (one line),
``<prefix>.txt`` (the plain-text body, always sent) and ``<prefix>.html`` (the HTML
alternative). Everything is rendered with ``language`` active, so ``{% translate %}``
and date formats follow the recipient, not the request that caused the message.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


def mail_render(
    *, template_prefix: str, context: dict, to: list[str], language: str,
    attachments: tuple[Attachment, ...] = (),
) -> EmailMultiAlternatives:  # fmt: skip
    with translation.override(language):
        context = {**context, "LANGUAGE_CODE": language}
        subject = render_to_string(f"{template_prefix}_subject.txt", context)
        text = render_to_string(f"{template_prefix}.txt", context)
        html = render_to_string(f"{template_prefix}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # one line, whatever the template's whitespace
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers={"Content-Language": language},
    )
    message.attach_alternative(html, "text/html")
    for attachment in attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    return message


def mail_send(**kwargs) -> None:
    """Render (see ``mail_render``) and send at once."""
    mail_render(**kwargs).send()
