"""A customer's data rights: a manager exports everything held about one email (a zip), or erases it; a daily
task erases customers inactive for CUSTOMER_RETENTION_MONTHS.

This sits on the desk's floor because it reads and changes rows of every app below (returns, payments,
notifications, documents); `customers` keeps only the audit log (`CustomerDataRequest`) and the placeholder rule.

- `holdings`: what is held about one email, found once by id; what stops an erasure now.
- `export`: the zip (JSON and files). `erase`: the erasure. `retention`: the periodic task.
- `timeline`: the note each request leaves on the customer's returns.
"""

from .erase import Erasure, customer_data_erase
from .export import Export, customer_data_export
from .holdings import Holdings, customer_holdings, erasure_blockers, holdings_summary

__all__ = [
    "Erasure",
    "Export",
    "Holdings",
    "customer_data_erase",
    "customer_data_export",
    "customer_holdings",
    "erasure_blockers",
    "holdings_summary",
]
