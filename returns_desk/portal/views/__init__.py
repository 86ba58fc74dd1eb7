"""The customer's pages: start a return in four steps, then follow it by its unguessable link.

The customer has no account. The order number with the order's email opens a draft kept in the session;
after confirming, the return's own link (its customer token) opens that return, and only that one.

One module for each part of the customer's journey, in the order they meet them:

- `order_lookup`: step 1, finding the order by its number and email address;
- `orders_link`: the second way in, a signed link emailed to the address, listing its orders and returns;
- `new_return`: steps 2 to 4 on the draft, choosing the items, then the outcome, then reviewing and confirming;
- `return_status`: the return's own page, with its documents and photos;
- `status_actions`: what the customer does from that page: shipped, message, add photos, cancel, survey.
"""
