"""Dates in the words customers read: "5 January 2027", never "05 January"."""

import datetime as dt


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"
