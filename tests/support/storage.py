"""The files a test's storage holds under a folder (the in-memory storage outlives a test)."""

from django.core.files.storage import default_storage


def files_under(prefix: str) -> list[str]:
    found = []

    def walk(folder):
        try:
            dirs, files = default_storage.listdir(folder)
        except FileNotFoundError:
            return
        found.extend(f"{folder}{f}" for f in files)
        for d in dirs:
            walk(f"{folder}{d}/")

    walk(prefix)
    return sorted(found)
