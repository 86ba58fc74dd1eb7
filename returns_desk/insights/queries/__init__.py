"""The figures of the insights page, each worked out by the database (aggregates, window functions, sorting);
Python only divides two aggregates, compares them, or sums SKU-level aggregates into products and categories.

The cohort is orders placed in the period: units sold are their lines, units returned the items of
their returns that were not cancelled or rejected, so a return rate is a share of what that period sold.
Activity figures (reasons, money, resolutions, stage times, satisfaction) count what happened in the
period. A category narrows everything to lines (and returns with items) of that category.

One module per theme, imported by name (this package re-exports nothing):

- `period`: the period (and category) every figure is asked for, and the period's returns;
- `rates`: units returned ÷ units sold per SKU, product and category;
- `outcomes`: why customers return, and how the period's returns ended;
- `money`: refunds, store credit and exchanges per week;
- `timing`: median stage times and SLA compliance;
- `surveys`: customers' satisfaction, overall and by reason, resolution or agent;
- `people`: agents' throughput, and customers who return a lot;
- `prevention`: SKUs returned far more often than their category, and why.
"""
