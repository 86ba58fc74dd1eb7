"""Read customer email from an IMAP mailbox (IMAP_URL) or a local Maildir and file it on returns."""

import imaplib
import mailbox
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from returns_desk.notifications.inbound import inbound_email_receive, parse


class Command(BaseCommand):
    help = "Fetch new customer email (IMAP_URL, or --maildir PATH) and file each message on its return."

    def add_arguments(self, parser):
        parser.add_argument("--maildir", help="Read new messages from this Maildir and move them to cur/.")

    def handle(self, *args, maildir=None, **options):
        results = self.from_maildir(maildir) if maildir else self.from_imap()
        filed = sum(1 for r in results if r.status == "filed")
        self.stdout.write(f"{len(results)} message(s): {filed} filed on returns, {len(results) - filed} to triage.")

    def from_maildir(self, path: str):
        box = mailbox.Maildir(path, factory=None, create=False)
        results = []
        for key in list(box.iterkeys()):
            message = box.get_message(key)
            if message.get_subdir() != "new":
                continue
            results.append(inbound_email_receive(message=parse(message.as_bytes()), source="maildir"))
            message.set_subdir("cur")
            message.add_flag("S")
            box[key] = message
        return results

    def from_imap(self):
        if not settings.IMAP_URL:
            raise CommandError("Set IMAP_URL (imaps://user:password@host/INBOX) or pass --maildir PATH.")
        url = urlparse(settings.IMAP_URL)
        client_class = imaplib.IMAP4_SSL if url.scheme == "imaps" else imaplib.IMAP4
        results = []
        port = url.port or (993 if url.scheme == "imaps" else 143)
        # A hung mail server gives up like SMTP does, instead of holding the cron job (or a worker) for ever.
        with client_class(url.hostname, port, timeout=settings.EMAIL_TIMEOUT) as client:
            client.login(unquote(url.username or ""), unquote(url.password or ""))
            client.select(url.path.lstrip("/") or "INBOX")
            _, data = client.search(None, "UNSEEN")
            for number in data[0].split():
                _, parts = client.fetch(number, "(RFC822)")
                results.append(inbound_email_receive(message=parse(parts[0][1]), source="imap"))
                client.store(number, "+FLAGS", "\\Seen")  # only once stored: a crash leaves it unseen
        return results
