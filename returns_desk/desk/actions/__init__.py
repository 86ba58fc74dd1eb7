"""The ticket's actions: per transition, a form (`forms`), a handler that calls its service (`handlers`), a
template (`templates/desk/actions/<name>.html`), all found through the registry (`registry`).

The handlers register themselves when their module is imported; importing it here makes the registry complete
whichever module of this package a caller imports.
"""

from returns_desk.desk.actions import handlers  # noqa: F401
