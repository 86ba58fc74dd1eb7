"""The new part of an emailed reply: what the sender wrote above the thread their mail client quoted.

Where a reply's quote starts differs by client and language (Gmail's "On … wrote:", Outlook's "From:/Sent:"
block, Apple Mail's quoted header, "Am … schrieb …:", "Le … a écrit :"); `mail-parser-reply` keeps those
patterns, so the desk does not.
"""

import re
from email.message import EmailMessage
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

# The languages whose reply headers are recognised (English is always included by the library).
REPLY_LANGUAGES = ("en", "de", "fr", "es", "it", "nl")
BLOCK_TAGS = frozenset({"br", "p", "div", "tr", "li", "blockquote", "hr", "h1", "h2", "h3", "table"})


class _TextOfHtml(HTMLParser):
    """An HTML-only email as lines of text, so the quote's header stays on a line of its own."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "head"):
            self.skipping += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("style", "script", "head"):
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_as_text(markup: str) -> str:
    reader = _TextOfHtml()
    reader.feed(markup)
    reader.close()
    lines = [" ".join(line.split()) for line in "".join(reader.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))  # a <div><br></div> is one blank line, not three


def body_text(message: EmailMessage) -> str:
    """The whole text of an email, quoted thread included: its plain part, else its HTML part as text."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    return html_as_text(text) if part.get_content_type() == "text/html" else text


def reply_text(text: str) -> str:
    """The text the sender wrote in this email (`body_text`), without the earlier messages quoted below it."""
    latest = EmailReplyParser(languages=list(REPLY_LANGUAGES)).parse_reply(text)
    return (latest or "").strip()
