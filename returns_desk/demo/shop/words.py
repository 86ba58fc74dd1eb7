"""What people say and use in the demo shop: customers' complaints, staff's questions and answers, carriers,
banks' refusals, and the SKUs the shop has real trouble with."""

import random

from returns_desk.orders.models import OrderLine
from returns_desk.policies.models import ReasonCode

DESCRIPTIONS = {
    "damaged": ["Seam split on the left sleeve.", "Box crushed and the sole is scuffed.", "Zip broke on first use."],
    "wrong-item": ["Ordered navy, received black.", "Size label says L, I ordered M."],
    "not-as-described": ["Colour is much darker than the photos.", "Fabric is thinner than described."],
    "doesnt-fit": ["Too tight across the shoulders.", "Runs a size small.", "Too long in the leg."],
    "changed-mind": ["Found something I like better.", "Bought two by mistake."],
    "arrived-late": ["Arrived after the event I needed it for."],
}
QUESTIONS = [
    "Could you send a photo of the damage, including the label?",
    "Is the item unworn with its tags still attached?",
]
REJECTIONS = [
    "The photos show wear beyond trying on; we can't accept this return.",
    "The item arrived without its tags and has been worn.",
]
FAILURES = ["The bank returned the transfer: account closed.", "Card issuer declined the refund: card expired."]
# The same failures as Stripe reports them (its failure codes), for orders paid through Stripe.
STRIPE_FAILURES = ["declined", "expired_or_canceled_card"]
CARRIERS = ["Royal Mail", "DPD", "Evri", "UPS"]
# SKUs the demo shop has real trouble with, so the insights page has something to prevent.
PROBLEM_SKUS = {
    "TOP-MERITEE-M": (
        "damaged",
        ["Seam split after the first wash.", "A hole by the seam already.", "Fabric pilled at once."],
    ),
    "BOT-SELVJEA-S": ("doesnt-fit", ["Runs a full size small.", "Waist far tighter than the size chart says."]),
}


def describe(rng: random.Random, line: OrderLine, reason: ReasonCode) -> str:
    """The customer's words: a problem SKU's own complaint when it comes back for its known reason."""
    known = PROBLEM_SKUS.get(line.sku)
    if known and known[0] == reason.code:
        return rng.choice(known[1])
    return rng.choice(DESCRIPTIONS.get(reason.code, [""]))
