"""The desk's queues, in three parts.

- `definitions`: which queues exist, who sees them, and the filter and order of each.
- `counts`: every visible queue's count, in one SQL statement, the shared ones cached for a few seconds.
- `rows`: one page of a queue's table, and what each of its rows shows.
"""
